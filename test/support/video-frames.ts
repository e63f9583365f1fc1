/**
 * Test/CLI helper: decodes a video file (or a still image repeated) into I420 frames with ffmpeg, at a fixed
 * rate, scaled to at most 640 px wide, as a call would deliver them. Nothing is written to disk.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { I420Frame } from '../../src/common/image';
import type { FaceObservation } from '../../src/face/face-observation';

/** What to decode. Times in seconds of the clip. */
export interface DecodeOptions {
  fps: number;
  start?: number;
  duration?: number;
  maxWidth?: number;
}

function probeSize(file: string): { width: number; height: number } {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file],
    {
      encoding: 'utf8',
    },
  );
  const [width, height] = out.trim().split('\n')[0].split(',').map(Number);
  if (!width || !height) throw new Error(`cannot read the video size of ${file}`);
  return { width, height };
}

const even = (v: number): number => Math.max(2, Math.round(v / 2) * 2);

/** Frames of `file` at `fps`, timestamps in ms from the clip's start. */
export async function* videoFrames(file: string, options: DecodeOptions): AsyncGenerator<I420Frame> {
  const source = probeSize(file);
  const scale = Math.min(1, (options.maxWidth ?? 640) / source.width);
  const width = even(source.width * scale);
  const height = even(source.height * scale);
  const start = options.start ?? 0;
  const args = ['-v', 'error', ...(start > 0 ? ['-ss', String(start)] : []), '-i', file];
  if (options.duration !== undefined) args.push('-t', String(options.duration));
  args.push('-an', '-vf', `fps=${options.fps},scale=${width}:${height}`, '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1');
  const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  ffmpeg.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => ffmpeg.on('close', resolve));
  const frameBytes = width * height * 1.5;
  let pending: Buffer = Buffer.alloc(0);
  let index = 0;
  try {
    for await (const chunk of ffmpeg.stdout as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= frameBytes) {
        const data = new Uint8Array(frameBytes);
        data.set(pending.subarray(0, frameBytes));
        pending = pending.subarray(frameBytes);
        yield { width, height, data, timestampMs: Math.round(start * 1000 + (index++ * 1000) / options.fps) };
      }
    }
  } finally {
    ffmpeg.kill();
  }
  const code = await exited;
  if (code !== 0 && code !== null) throw new Error(`ffmpeg failed on ${file}: ${stderr.trim()}`);
}

/** One still image repeated as a video for `seconds` (a photo held up to the camera, perfectly still). */
export function* stillFrames(frame: I420Frame, fps: number, seconds: number): Generator<I420Frame> {
  for (let i = 0; i < fps * seconds; i++) yield { ...frame, data: frame.data.slice(), timestampMs: Math.round((i * 1000) / fps) };
}

/** Something that analyses frames (the face engine). */
interface Analyzer {
  analyze(frame: I420Frame, stream?: string): Promise<FaceObservation>;
}

/** Analyses every frame of a clip in order; also returns the round-trip time of each frame, ms. */
export async function analyzeClip(
  engine: Analyzer,
  file: string,
  options: DecodeOptions,
): Promise<{ observations: FaceObservation[]; ms: number[] }> {
  const observations: FaceObservation[] = [];
  const ms: number[] = [];
  for await (const frame of videoFrames(file, options)) {
    const started = performance.now();
    observations.push(await engine.analyze(frame, file));
    ms.push(performance.now() - started);
  }
  return { observations, ms };
}

/** Median of a list of numbers (0 when empty). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)];
}
