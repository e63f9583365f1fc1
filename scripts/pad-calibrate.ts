/**
 * Measures the BlazeFace → MiniFASNet box calibration on the shared fixtures (docs/pad.md "Box calibration").
 * 1. Geometry: BlazeFace's box against face-api's SSD MobileNet v1 box (trained on WIDER FACE, the annotation
 *    convention the Silent-Face RetinaFace learned) on every fixture photo and webcam frame with one face each.
 * 2. Effect: the fused score of live and attack frames under candidate calibrations.
 * Prints one JSON line per measurement. Usage: npm run pad:calibrate
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type BoxCalibration, BLAZEFACE_TO_PAD } from '../src/pad/box-calibration';
import type { FaceBox, PadSource } from '../src/pad/pad-crop';
import { PadScorer } from '../src/pad/pad-scorer';
import { BlazeFace } from '../test/support/blazeface';
import { mediaFrames } from '../test/support/pad-media';
import { median } from '../test/support/video-frames';
import { fixturesDir } from '../test/support/fixtures';

type FaceApi = typeof import('@vladmandic/face-api');

/** Fixture files and whether they show a live face. Videos are sampled at 2 fps. */
function items(): { file: string; live: boolean | undefined }[] {
  const f = fixturesDir();
  const faces = readdirSync(join(f, 'faces'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('bbt_'))
    .flatMap((d) => readdirSync(join(f, 'faces', d.name)).map((n) => ({ file: join(f, 'faces', d.name, n), live: undefined })));
  const img = (n: string) => join(f, 'attacks', 'images', n);
  return [
    ...faces,
    { file: img('silentface_image_T1_real.jpg'), live: true },
    { file: img('frame_zubair_real_t1.0s_bonafide.jpg'), live: true },
    { file: join(f, 'videos', 'blink_webcam_viet281101.webm'), live: true },
    { file: join(f, 'videos', 'headturn_webcam_zubair_real.webm'), live: true },
    { file: img('silentface_image_F1_print_attack.jpg'), live: false },
    { file: img('silentface_image_F2_tablet_replay.jpg'), live: false },
    { file: join(f, 'attacks', 'videos', 'replay_screen_manikantha_fake.mp4'), live: false },
    { file: join(f, 'attacks', 'videos', 'replay_phone_zubair_fake.webm'), live: false },
  ];
}

async function loadSsd(): Promise<{ detect(source: PadSource): Promise<FaceBox[]> }> {
  const tf = require('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model'));
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  return {
    async detect(source) {
      if (!('channels' in source)) throw new Error('SSD reads RGB images only');
      const input = tf.tensor3d(source.data, [source.height, source.width, source.channels], 'int32');
      try {
        const found = await faceapi.detectAllFaces(input as never, options);
        return found.map(({ box }) => ({ x: box.x, y: box.y, width: box.width, height: box.height }));
      } finally {
        input.dispose();
      }
    },
  };
}

const q = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.floor(p * (values.length - 1))];
const r3 = (n: number) => Math.round(n * 1000) / 1000;

async function main(): Promise<void> {
  const detector = await BlazeFace.load();
  const scorer = await PadScorer.load();
  const ssd = await loadSsd();
  const { i420ToRgb } = await import('../src/face/i420');
  const ratios: BoxCalibration[] = [];
  const samples: { source: PadSource; box: FaceBox; live: boolean }[] = [];
  for (const { file, live } of items()) {
    for await (const frame of mediaFrames(file, 2)) {
      const rgb = 'channels' in frame ? frame : i420ToRgb(frame);
      const faces = await detector.detect(rgb);
      if (faces.length !== 1) continue;
      const [b] = faces;
      if (live !== undefined) samples.push({ source: rgb, box: b, live });
      const other = await ssd.detect(rgb);
      if (other.length !== 1) continue;
      const [s] = other;
      ratios.push({
        sx: s.width / b.width,
        sy: s.height / b.height,
        dx: (s.x + s.width / 2 - (b.x + b.width / 2)) / b.width,
        dy: (s.y + s.height / 2 - (b.y + b.height / 2)) / b.height,
      });
    }
  }
  const keys = ['sx', 'sy', 'dx', 'dy'] as const;
  const measured = Object.fromEntries(keys.map((k) => [k, r3(median(ratios.map((r) => r[k])))])) as unknown as BoxCalibration;
  console.log(
    JSON.stringify({
      measure: 'ssd_wider_over_blazeface',
      faces: ratios.length,
      median: measured,
      p10: Object.fromEntries(
        keys.map((k) => [
          k,
          r3(
            q(
              ratios.map((r) => r[k]),
              0.1,
            ),
          ),
        ]),
      ),
      p90: Object.fromEntries(
        keys.map((k) => [
          k,
          r3(
            q(
              ratios.map((r) => r[k]),
              0.9,
            ),
          ),
        ]),
      ),
    }),
  );
  const candidates: Record<string, BoxCalibration> = {
    identity: { sx: 1, sy: 1, dx: 0, dy: 0 },
    provenance: { sx: 0.98, sy: 1.05, dx: 0, dy: 0 },
    ssd_measured: measured,
    shipped: BLAZEFACE_TO_PAD,
    'scale_0.8': { sx: 0.8, sy: 0.8, dx: 0, dy: 0 },
    'scale_1.2': { sx: 1.2, sy: 1.2, dx: 0, dy: 0 },
    'scale_1.4': { sx: 1.4, sy: 1.4, dx: 0, dy: 0 },
  };
  for (const [name, calibration] of Object.entries(candidates)) {
    const live: number[] = [];
    const attack: number[] = [];
    for (const s of samples) (s.live ? live : attack).push(await scorer.score(s.source, s.box, calibration));
    console.log(
      JSON.stringify({
        calibration: name,
        ...calibration,
        live_frames: live.length,
        live_p05: r3(q(live, 0.05)),
        live_median: r3(median(live)),
        attack_frames: attack.length,
        attack_median: r3(median(attack)),
        attack_p95: r3(q(attack, 0.95)),
        live_below_0_5: r3(live.filter((v) => v < 0.5).length / live.length),
        attack_above_0_5: r3(attack.filter((v) => v >= 0.5).length / attack.length),
      }),
    );
  }
  await Promise.all([detector.close(), scorer.close()]);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
