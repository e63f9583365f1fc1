/**
 * Speed of the face engine on a real clip. Prints one JSON line:
 * {"ms_per_frame_median","ms_per_frame_p95","fps_single_worker","fps_pool","rss_mb", ...}.
 * Single worker: frames one after another (round trip, I420 in → observation out). Pool: --streams concurrent
 * streams (default one per worker), each with one frame in flight, as concurrent flows would run (tracks are per
 * stream, so more streams than workers interleave on a worker without sharing a track).
 * --fps sets the decoding rate: 30 is a camera analysed in full, 2 what an overloaded flow gets.
 * --engine picks the engine (FACE_ENGINES: mediapipe, the only one since Human was removed).
 * PAD: `pad_cpu_ms_per_scored_frame` is the scorer's CPU per scored frame in the same worker round-trip (every
 * frame scored, minus the run without); `fps_pool_pad` the pool with PAD scoring each stream at PAD_FPS.
 * Usage: npm run bench:face -- [--engine mediapipe] [--clip <video>] [--workers N] [--streams N] [--frames 150]
 *        [--fps 30]
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { I420Frame } from '../src/common/image';
import { createNamedFaceEngine } from '../src/adapters';
import { FACE_ENGINES, type FaceEngineName } from '../src/face/face.env';
import type { AnalysisNeeds } from '../src/face/face-analysis.port';
import type { WorkerFaceEngine } from '../src/face/worker-face-engine';
import { loadConfig } from '../src/config/app-config';
import { padScoreDue } from '../src/pad/pad-policy';
import { median, videoFrames } from '../test/support/video-frames';
import { fixturesDir } from '../test/support/fixtures';

async function decode(file: string, count: number, fps: number): Promise<I420Frame[]> {
  const frames: I420Frame[] = [];
  for await (const frame of videoFrames(file, { fps })) {
    frames.push(frame);
    if (frames.length === count) break;
  }
  return frames;
}

const PAD_NEEDS = { pad: true };

/**
 * Frames each engine analyses before it is measured, on a stream of its own: a service runs for hours, and a fresh
 * worker's first second runs its crops and post-processing before V8 has optimised them (≈ 2 ms more per frame).
 */
const WARM_UP_FRAMES = 30;

async function warmUp(engine: WorkerFaceEngine, frames: I420Frame[], streams: number, needs?: AnalysisNeeds): Promise<void> {
  await Promise.all(
    Array.from({ length: streams }, async (_, w) => {
      const scratch = new Scratch();
      for (const frame of frames.slice(0, WARM_UP_FRAMES)) await engine.analyze(scratch.fill(frame), `warm-up-${w}`, needs);
    }),
  );
}

/**
 * One reusable frame buffer per stream: analyze moves the buffer to a worker and puts it back into `data`, and the
 * decoded frames are shared by every run, so each frame is copied into it. A fresh copy per frame would put the
 * bench's own allocation and garbage collection (≈ 460 KB a frame) into the engine's CPU per frame.
 */
class Scratch {
  private frame?: I420Frame;

  fill(from: I420Frame): I420Frame {
    if (this.frame?.data.byteLength !== from.data.byteLength) this.frame = { ...from, data: new Uint8Array(from.data.byteLength) };
    this.frame.data.set(from.data);
    return Object.assign(this.frame, { width: from.width, height: from.height, timestampMs: from.timestampMs });
  }
}

/** Frames one after another through one worker: wall ms per frame, and CPU ms per frame of the whole process. */
async function singleWorker(frames: I420Frame[], create: () => WorkerFaceEngine, pad = false) {
  const engine = create();
  const ms: number[] = [];
  try {
    await engine.ready();
    const scratch = new Scratch();
    // With PAD, this also loads its sessions (on the worker's first scored frame).
    await warmUp(engine, frames, 1, pad ? PAD_NEEDS : undefined);
    const cpu = process.cpuUsage();
    for (const frame of frames) {
      const started = performance.now();
      await engine.analyze(scratch.fill(frame), 'bench', pad ? PAD_NEEDS : undefined);
      ms.push(performance.now() - started);
    }
    const used = process.cpuUsage(cpu);
    return { ms, cpuMsPerFrame: (used.user + used.system) / 1000 / frames.length };
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clip: { type: 'string', default: join(fixturesDir(), 'videos', 'blink_webcam_viet281101.h264.mp4') },
      workers: { type: 'string', default: String(availableParallelism()) },
      frames: { type: 'string', default: '150' },
      fps: { type: 'string', default: '30' },
      streams: { type: 'string' },
      engine: { type: 'string', default: FACE_ENGINES[0] },
    },
  });
  const engine = values.engine as FaceEngineName;
  if (!FACE_ENGINES.includes(engine)) throw new Error(`--engine must be one of ${FACE_ENGINES.join(', ')}`);
  const workers = Number(values.workers);
  const streams = Number(values.streams ?? workers);
  const fps = Number(values.fps);
  const frames = await decode(values.clip, Number(values.frames), fps);
  const { ms, cpuMsPerFrame } = await singleWorker(frames, () => createNamedFaceEngine(engine, { workers: 1 }));
  const withPad = await singleWorker(frames, () => createNamedFaceEngine(engine, { workers: 1 }), true);
  const plain = await poolRun(engine, workers, streams, frames, 0);
  const pad = await poolRun(engine, workers, streams, frames, loadConfig().pad.PAD_FPS);
  const [poolFps, rss] = [plain.fps, plain.rss];
  const sorted = [...ms].sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  console.log(
    JSON.stringify({
      engine,
      ms_per_frame_median: round1(median(ms)),
      ms_per_frame_p95: round1(sorted[Math.floor(sorted.length * 0.95)]),
      cpu_ms_per_frame: round1(cpuMsPerFrame),
      fps_single_worker: round1(1000 / mean),
      fps_pool: round1(poolFps),
      pad_cpu_ms_per_scored_frame: round1(withPad.cpuMsPerFrame - cpuMsPerFrame),
      fps_pool_pad: round1(pad.fps),
      rss_mb: Math.round(rss / 2 ** 20),
      workers,
      streams,
      frames: frames.length,
      fps,
      size: `${frames[0].width}x${frames[0].height}`,
    }),
  );
}

/** Streams walking through the clip at once, each with its Scratch; PAD at `padFps` per stream (0: off). */
async function poolRun(engine: FaceEngineName, workers: number, streams: number, frames: I420Frame[], padFps: number) {
  const pool = createNamedFaceEngine(engine, { workers });
  try {
    await pool.ready();
    const scratches = Array.from({ length: streams }, () => new Scratch());
    await warmUp(pool, frames, streams, padFps > 0 ? PAD_NEEDS : undefined);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: streams }, async (_, w) => {
        let scoredMs: number | undefined;
        for (const frame of frames) {
          const due = padFps > 0 && padScoreDue(scoredMs, frame.timestampMs, padFps);
          const o = await pool.analyze(scratches[w].fill(frame), `stream-${w}`, due ? PAD_NEEDS : undefined);
          if (o.padScore !== undefined) scoredMs = o.timestampMs;
        }
      }),
    );
    return { fps: (streams * frames.length * 1000) / (performance.now() - started), rss: process.memoryUsage().rss };
  } finally {
    await pool.close();
  }
}

function round1(n: number): number {
  return Number(n.toFixed(1));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
