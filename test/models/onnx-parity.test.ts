import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import {
  blendshapeInput,
  centreSquare,
  faceSquare,
  imageTensor,
  maxAbsDiff,
  onnxSession,
  PARITY_PHOTOS,
  randomTensor,
  runOnnx,
  TfliteReference,
  tfliteModel,
  type ModelName,
} from '../support/face-models';

// Each converted model against the original .tflite on TFLite's own runtime, on real face crops and synthetic
// inputs. Tolerances are about 3× the worst difference measured (both float32; only the summation order differs):
// detector 1.8e-4 / 3.7e-4, mesh 5.6e-4 px / 4.4e-5 / 2.4e-6, blendshapes 2.0e-6 (session 5 graphs).
const TOLERANCE = {
  // regressors in 128-px input units, classificators in logits
  face_detector: [5e-4, 1.2e-3],
  // landmarks in 256-px crop pixels, presence logit, second score
  face_landmarks_detector: [1.8e-3, 2e-4, 2e-5],
  face_blendshapes: [5e-6],
} satisfies Record<ModelName, number[]>;

async function pair(name: ModelName) {
  return { onnx: await onnxSession(name), tflite: await TfliteReference.load(tfliteModel(name)) };
}

async function compare(name: ModelName, models: Awaited<ReturnType<typeof pair>>, input: Float32Array, label: string) {
  const expected = models.tflite.run([input]);
  const actual = await runOnnx(models.onnx, [input], models.tflite.inputShapes);
  const diffs = expected.map((e, i) => maxAbsDiff(e, actual[i]));
  diffs.forEach((d, i) => assert.ok(d <= TOLERANCE[name][i], `${name} ${label} output ${i}: max |Δ| ${d} > ${TOLERANCE[name][i]}`));
  return { expected, diffs };
}

test('ONNX models match the TFLite originals on real faces and synthetic inputs', { timeout: 120_000 }, async (t) => {
  const detector = await pair('face_detector');
  const mesh = await pair('face_landmarks_detector');
  const blendshapes = await pair('face_blendshapes');
  const worst: Record<string, number[]> = {};
  const note = (name: string, diffs: number[]) => (worst[name] = diffs.map((d, i) => Math.max(d, worst[name]?.[i] ?? 0)));
  for (const file of PARITY_PHOTOS) {
    const square = await centreSquare(file);
    const det = await compare('face_detector', detector, await imageTensor(file, 128, [-1, 1], square), file);
    note('face_detector', det.diffs);
    const { width = 0, height = 0 } = await sharp(file).rotate().metadata();
    const face = faceSquare(det.expected[0], det.expected[1], square, { width, height });
    assert.ok(face.score > 0.9, `${file}: face found by the detector (score ${face.score})`);
    const landmarks = await compare('face_landmarks_detector', mesh, await imageTensor(file, 256, [0, 1], face), file);
    note('face_landmarks_detector', landmarks.diffs);
    assert.ok(landmarks.expected[1][0] > 5, `${file}: mesh sees a face (presence logit ${landmarks.expected[1][0]})`);
    note('face_blendshapes', (await compare('face_blendshapes', blendshapes, blendshapeInput(landmarks.expected[0]), file)).diffs);
  }
  for (const seed of [1, 2, 3]) {
    note('face_detector', (await compare('face_detector', detector, randomTensor(128 * 128 * 3, seed, -1, 1), `noise ${seed}`)).diffs);
    note(
      'face_landmarks_detector',
      (await compare('face_landmarks_detector', mesh, randomTensor(256 * 256 * 3, seed, 0, 1), `noise ${seed}`)).diffs,
    );
    note('face_blendshapes', (await compare('face_blendshapes', blendshapes, randomTensor(146 * 2, seed, 0, 256), `points ${seed}`)).diffs);
  }
  t.diagnostic(`worst max |Δ| per output: ${JSON.stringify(worst)}`);
  for (const m of [detector, mesh, blendshapes]) {
    m.tflite.close();
    await m.onnx.release();
  }
});
