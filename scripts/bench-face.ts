/**
 * Speed of the face engine on a real clip. Prints one JSON line:
 * {"ms_per_frame_median","ms_per_frame_p95","fps_single_worker","fps_pool","rss_mb", ...}.
 * Single worker: frames one after another (round trip, I420 in → observation out). Pool: one stream per worker,
 * each with one frame in flight, as concurrent flows would run.
 * Usage: npm run bench:face -- [--clip <video>] [--workers N] [--frames 150]
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { I420Frame } from '../src/common/image';
import { HumanFaceEngine } from '../src/face/human/human-face.engine';
import { fixturesDir, median, videoFrames } from './video-frames';

async function decode(file: string, count: number): Promise<I420Frame[]> {
  const frames: I420Frame[] = [];
  for await (const frame of videoFrames(file, { fps: 30 })) {
    frames.push(frame);
    if (frames.length === count) break;
  }
  return frames;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clip: { type: 'string', default: join(fixturesDir(), 'videos', 'blink_webcam_viet281101.h264.mp4') },
      workers: { type: 'string', default: String(availableParallelism()) },
      frames: { type: 'string', default: '150' },
    },
  });
  const workers = Number(values.workers);
  const frames = await decode(values.clip, Number(values.frames));
  const single = HumanFaceEngine.create({ workers: 1 });
  const ms: number[] = [];
  try {
    await single.ready();
    for (const frame of frames) {
      const started = performance.now();
      await single.analyze(frame, 'bench');
      ms.push(performance.now() - started);
    }
  } finally {
    await single.close();
  }
  const pool = HumanFaceEngine.create({ workers });
  let poolFps = 0;
  let rss = 0;
  try {
    await pool.ready();
    const started = performance.now();
    // One stream per worker, each walking through the clip (a copy, since analyze moves buffers).
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (const frame of frames) await pool.analyze({ ...frame, data: frame.data.slice() }, `stream-${w}`);
      }),
    );
    poolFps = (workers * frames.length * 1000) / (performance.now() - started);
    rss = process.memoryUsage().rss;
  } finally {
    await pool.close();
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  console.log(
    JSON.stringify({
      ms_per_frame_median: Number(median(ms).toFixed(1)),
      ms_per_frame_p95: Number(sorted[Math.floor(sorted.length * 0.95)].toFixed(1)),
      fps_single_worker: Number((1000 / mean).toFixed(1)),
      fps_pool: Number(poolFps.toFixed(1)),
      rss_mb: Math.round(rss / 2 ** 20),
      workers,
      frames: frames.length,
      size: `${frames[0].width}x${frames[0].height}`,
    }),
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
