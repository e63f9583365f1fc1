/**
 * CPU time of each converted Face Landmarker model on onnxruntime-node (CPU execution provider, one intra-op
 * thread, as the engine runs them) on a real face input, next to the original .tflite on TFLite's WASM runtime.
 * Usage: npm run bench:models [-- --runs N]. Prints one JSON line: per model and runtime the median CPU ms per
 * run (process CPU time, what the load on a shared machine inflates least) and the median and p95 wall ms.
 */
import sharp from 'sharp';
import {
  blendshapeInput,
  centreSquare,
  faceSquare,
  imageTensor,
  MODEL_NAMES,
  onnxFeeds,
  onnxSession,
  PARITY_PHOTOS,
  TfliteReference,
  tfliteModel,
  type ModelName,
} from '../test/support/face-models';

function option(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 && argv[at + 1] ? argv[at + 1] : fallback;
}

async function timed(runs: number, fn: () => unknown): Promise<{ cpu: number; median: number; p95: number }> {
  for (let i = 0; i < Math.min(20, runs); i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const at = (values: number[], q: number) => Math.round(values.sort((a, b) => a - b)[Math.floor(runs * q)] * 100) / 100;
  return { cpu: at(cpu, 0.5), median: at(wall, 0.5), p95: at(wall, 0.95) };
}

async function main(): Promise<void> {
  const runs = Number(option(process.argv.slice(2), 'runs', '200'));
  // Real inputs: the first parity photo, its face crop, its landmarks.
  const file = PARITY_PHOTOS[0];
  const square = await centreSquare(file);
  const { width = 0, height = 0 } = await sharp(file).rotate().metadata();
  const inputs = {} as Record<ModelName, Float32Array>;
  inputs.face_detector = await imageTensor(file, 128, [-1, 1], square);
  const detector = await TfliteReference.load(tfliteModel('face_detector'));
  const [regressors, scores] = detector.run([inputs.face_detector]);
  detector.close();
  inputs.face_landmarks_detector = await imageTensor(file, 256, [0, 1], faceSquare(regressors, scores, square, { width, height }));
  const mesh = await TfliteReference.load(tfliteModel('face_landmarks_detector'));
  inputs.face_blendshapes = blendshapeInput(mesh.run([inputs.face_landmarks_detector])[0]);
  mesh.close();

  const result: Record<string, unknown> = { runs, onnxruntime: 'onnxruntime-node 1.30, CPU EP, 1 intra-op thread' };
  for (const name of MODEL_NAMES) {
    const onnx = await onnxSession(name);
    const tflite = await TfliteReference.load(tfliteModel(name));
    const input = [inputs[name]];
    const feeds = onnxFeeds(onnx, input, tflite.inputShapes); // the layout change stays out of the timing
    result[`${name}_onnx_ms`] = await timed(runs, () => onnx.run(feeds));
    result[`${name}_tflite_wasm_ms`] = await timed(runs, () => tflite.run(input));
    await onnx.release();
    tflite.close();
  }
  console.log(JSON.stringify(result));
}

void main();
