/**
 * Measures the face engines' observation box against BlazeFace's detector box (the box the PAD models are
 * calibrated for, docs/pad.md "Box calibration"): prints one JSON line per engine with the median ratios, i.e. the
 * MEDIAPIPE_TO_PAD calibration (src/pad/box-calibration.ts).
 * Usage: npm run pad:engine-box
 */
import { createNamedFaceEngine } from '../src/adapters';
import { FACE_ENGINES } from '../src/face/face.env';
import { i420ToRgb } from '../src/face/i420';
import { fixture } from '../test/support/fixtures';
import { BlazeFace } from '../test/support/blazeface';
import { videoFrames } from '../test/support/video-frames';

const CLIPS = [
  ['videos', 'blink_webcam_viet281101.webm'],
  ['videos', 'headturn_webcam_zubair_real.webm'],
  ['attacks/videos', 'replay_screen_manikantha_fake.mp4'],
  ['videos', 'liveportrait_d0.mp4'],
] as const;

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const r3 = (n: number) => Math.round(n * 1000) / 1000;

async function main(): Promise<void> {
  const detector = await BlazeFace.load();
  for (const engineName of FACE_ENGINES) {
    const engine = createNamedFaceEngine(engineName, { workers: 1 });
    await engine.ready();
    const r = { sx: [] as number[], sy: [] as number[], dx: [] as number[], dy: [] as number[] };
    try {
      for (const [dir, clip] of CLIPS) {
        for await (const frame of videoFrames(fixture(dir, clip), { fps: 2, maxWidth: 640 })) {
          const faces = await detector.detect(i420ToRgb(frame));
          const o = await engine.analyze({ ...frame, data: frame.data.slice() });
          if (faces.length !== 1 || o.faceCount !== 1 || !o.face) continue;
          const [b] = faces;
          const e = o.face.box;
          r.sx.push(b.width / e.width);
          r.sy.push(b.height / e.height);
          r.dx.push((b.x + b.width / 2 - (e.x + e.width / 2)) / e.width);
          r.dy.push((b.y + b.height / 2 - (e.y + e.height / 2)) / e.height);
        }
      }
    } finally {
      await engine.close();
    }
    console.log(
      JSON.stringify({
        engine: engineName,
        faces: r.sx.length,
        sx: r3(median(r.sx)),
        sy: r3(median(r.sy)),
        dx: r3(median(r.dx)),
        dy: r3(median(r.dy)),
      }),
    );
  }
}

void main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
