/**
 * Cost of the passive PAD scorer on a real clip, one JSON line:
 * {"cpu_ms_per_scored_frame","ms_per_frame_median","ms_per_frame_p95","frames","size"}. Boxes come from BlazeFace
 * beforehand (the engine has them already); timed: both crops from the I420 frame and both models, one thread.
 * Usage: npm run bench:pad -- [--clip <video>] [--frames 100]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { I420Frame } from '../src/common/image';
import type { FaceBox } from '../src/pad/pad-crop';
import { PadScorer } from '../src/pad/pad-scorer';
import { BlazeFace } from '../test/support/blazeface';
import { median, videoFrames } from '../test/support/video-frames';
import { fixturesDir } from '../test/support/fixtures';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clip: { type: 'string', default: join(fixturesDir(), 'videos', 'blink_webcam_viet281101.h264.mp4') },
      frames: { type: 'string', default: '100' },
    },
  });
  const detector = await BlazeFace.load();
  const faces: { frame: I420Frame; box: FaceBox }[] = [];
  for await (const frame of videoFrames(values.clip, { fps: 10 })) {
    const found = await detector.detect(frame);
    if (found.length === 1) faces.push({ frame, box: found[0] });
    if (faces.length === Number(values.frames)) break;
  }
  await detector.close();
  if (faces.length === 0) throw new Error(`no face found in ${values.clip}`);
  const scorer = await PadScorer.load();
  await scorer.score(faces[0].frame, faces[0].box); // warm-up
  const ms: number[] = [];
  const cpu = process.cpuUsage();
  for (const { frame, box } of faces) {
    const started = performance.now();
    await scorer.score(frame, box);
    ms.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  await scorer.close();
  const sorted = [...ms].sort((a, b) => a - b);
  const round1 = (n: number) => Number(n.toFixed(1));
  console.log(
    JSON.stringify({
      cpu_ms_per_scored_frame: round1((used.user + used.system) / 1000 / faces.length),
      ms_per_frame_median: round1(median(ms)),
      ms_per_frame_p95: round1(sorted[Math.floor(sorted.length * 0.95)]),
      frames: faces.length,
      size: `${faces[0].frame.width}x${faces[0].frame.height}`,
    }),
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
