/**
 * The Face Landmarker models two ways, for parity tests and bench:models: the converted ONNX files on
 * onnxruntime-node, and the original .tflite files (read from face_landmarker.task) on TFLite's own WASM runtime
 * (the emscripten module shipped in @tensorflow/tfjs-tflite, XNNPACK, one thread). Plus fixed real and synthetic
 * inputs for each model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import * as ort from '../../src/common/onnxruntime';
import sharp from 'sharp';
import { fixture, REPO_ROOT } from './fixtures';
import { seededRandom } from './random';
import { ssdAnchors } from '../../src/face/mediapipe/detector';
import { BLENDSHAPE_LANDMARKS } from '../../src/face/mediapipe/landmarker';

export const MODEL_DIR = join(REPO_ROOT, 'models', 'face_landmarker');
export const MODEL_NAMES = ['face_detector', 'face_landmarks_detector', 'face_blendshapes'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** The bytes of one entry of a zip file (the .task bundle), found through its central directory (stored or deflated). */
function zipEntry(zip: Buffer, name: string): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('the model bundle is not a zip file');
  const entries = zip.readUInt16LE(end + 10);
  for (let at = zip.readUInt32LE(end + 16), i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    if (zip.toString('utf8', at + 46, at + 46 + nameLength) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 0 ? data : inflateRawSync(data);
    }
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  throw new Error(`${name} not found in the model bundle`);
}

export function tfliteModel(name: ModelName): Buffer {
  return zipEntry(readFileSync(join(MODEL_DIR, 'face_landmarker.task')), `${name}.tflite`);
}

/** The settings the engine uses: CPU execution provider, one intra-op thread. */
export function onnxSession(name: ModelName): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(join(MODEL_DIR, `${name}.onnx`), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
}

/**
 * The feeds of an ONNX session for inputs in graph-input order, given as TFLite takes them (`shapes`: NHWC images,
 * which the ONNX graphs take planar, NCHW).
 */
export function onnxFeeds(session: ort.InferenceSession, inputs: Float32Array[], shapes: number[][]): Record<string, ort.Tensor> {
  return Object.fromEntries(
    session.inputNames.map((n, i) => {
      const [b, h, w, c] = shapes[i];
      return [
        n,
        shapes[i].length === 4
          ? new ort.Tensor('float32', toPlanar(inputs[i], h * w, c), [b, c, h, w])
          : new ort.Tensor('float32', inputs[i], shapes[i]),
      ];
    }),
  );
}

/** Runs an ONNX session on inputs as onnxFeeds takes them; outputs in graph-output order. */
export async function runOnnx(session: ort.InferenceSession, inputs: Float32Array[], shapes: number[][]): Promise<Float32Array[]> {
  const out = await session.run(onnxFeeds(session, inputs, shapes));
  return session.outputNames.map((n) => out[n].data as Float32Array);
}

interface TensorInfo {
  data(): Float32Array;
  name: string;
  shape: string;
  delete(): void;
}
interface TensorInfos {
  size(): number;
  get(i: number): TensorInfo;
  delete(): void;
}
interface ModelRunner {
  GetInputs(): TensorInfos;
  GetOutputs(): TensorInfos;
  Infer(): boolean;
  delete(): void;
}
interface TfliteModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(
      ptr: number,
      size: number,
      options: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number },
    ): { ok(): boolean; errorMessage(): string; value(): ModelRunner };
  };
}

let tfliteModule: Promise<TfliteModule> | undefined;

function loadTfliteModule(): Promise<TfliteModule> {
  const dir = join(require.resolve('@tensorflow/tfjs-tflite/package.json'), '..', 'wasm');
  const factory = require(join(dir, 'tflite_web_api_cc_simd.js')) as (options: object) => Promise<TfliteModule>;
  const quiet = (line: string) => {
    if (!line.startsWith('INFO:')) process.stderr.write(`tflite: ${line}\n`);
  };
  tfliteModule ??= factory({ wasmBinary: readFileSync(join(dir, 'tflite_web_api_cc_simd.wasm')), print: quiet, printErr: quiet });
  return tfliteModule;
}

/** An interleaved (HWC) image tensor of `pixels` pixels as planes (CHW). */
function toPlanar(data: Float32Array, pixels: number, channels: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[c * pixels + p] = data[p * channels + c];
  return out;
}

/** The original .tflite model on TFLite's WASM runtime. */
export class TfliteReference {
  private constructor(
    private readonly module: TfliteModule,
    private readonly model: number,
    private readonly runner: ModelRunner,
    readonly inputShapes: number[][],
  ) {}

  static async load(model: Buffer): Promise<TfliteReference> {
    const m = await loadTfliteModule();
    const ptr = m._malloc(model.length);
    m.HEAPU8.set(model, ptr);
    const created = m.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, model.length, {
      numThreads: 1,
      enableProfiling: false,
      maxProfilingBufferEntries: 0,
    });
    if (!created.ok()) throw new Error(`TFLite: ${created.errorMessage()}`);
    const runner = created.value();
    const shapes = TfliteReference.each(runner.GetInputs(), (t) => t.shape.split(',').map(Number));
    return new TfliteReference(m, ptr, runner, shapes);
  }

  private static each<T>(infos: TensorInfos, fn: (t: TensorInfo) => T): T[] {
    const out: T[] = [];
    for (let i = 0; i < infos.size(); i++) {
      const t = infos.get(i);
      out.push(fn(t));
      t.delete();
    }
    infos.delete();
    return out;
  }

  /** Inputs and outputs in the model's tensor order (the ONNX graphs keep the same order and names). */
  run(inputs: Float32Array[]): Float32Array[] {
    const infos = this.runner.GetInputs();
    for (let i = 0; i < infos.size(); i++) {
      const t = infos.get(i);
      t.data().set(inputs[i]);
      t.delete();
    }
    infos.delete();
    if (!this.runner.Infer()) throw new Error('TFLite inference failed');
    return TfliteReference.each(this.runner.GetOutputs(), (t) => new Float32Array(t.data()));
  }

  close(): void {
    this.runner.delete();
    this.module._free(this.model); // the runner reads the model in place until deleted
  }
}

/** RGB float NHWC of a region of an image file, resized (stretched) to size×size, scaled as range. */
export async function imageTensor(
  file: string,
  size: number,
  range: [number, number],
  region?: { left: number; top: number; width: number; height: number },
): Promise<Float32Array> {
  let image = sharp(file).rotate();
  if (region) image = image.extract(region);
  const rgb = await image.resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const [lo, hi] = range;
  return Float32Array.from(rgb, (v) => lo + (v / 255) * (hi - lo));
}

/** Real photos for the parity cases: centre square for the detector, the face (from the detector) for the mesh. */
export const PARITY_PHOTOS = [
  ['faces', 'barack_obama', '1.jpg'],
  ['faces', 'joe_biden', '2.jpg'],
  ['faces', 'angelina_jolie', '2.jpg'],
  ['expressions', 'd18_t4.2s_mouth_wide_open.jpg'],
  ['expressions', 'd0_t1.5s_smile_teeth.jpg'],
].map((parts) => fixture(...parts));

export async function centreSquare(file: string): Promise<{ left: number; top: number; width: number; height: number }> {
  const { width = 0, height = 0 } = await sharp(file).rotate().metadata();
  const side = Math.min(width, height);
  return { left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), width: side, height: side };
}

/** The best detection's square (1.5× the box, as MediaPipe's ROI) in image pixels, from detector outputs. */
export function faceSquare(
  regressors: Float32Array,
  scores: Float32Array,
  square: { left: number; top: number; width: number },
  image: { width: number; height: number },
): { left: number; top: number; width: number; height: number; score: number } {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  const { x: ax, y: ay } = ssdAnchors()[best];
  const cx = square.left + (regressors[best * 16] / 128 + ax) * square.width;
  const cy = square.top + (regressors[best * 16 + 1] / 128 + ay) * square.width;
  const side = (Math.max(regressors[best * 16 + 2], regressors[best * 16 + 3]) / 128) * square.width * 1.5;
  const left = Math.max(0, Math.round(cx - side / 2));
  const top = Math.max(0, Math.round(cy - side / 2));
  const width = Math.min(Math.round(side), image.width - left, image.height - top);
  return { left, top, width, height: width, score: 1 / (1 + Math.exp(-scores[best])) };
}

/** The 146-landmark blendshape input (x, y in crop pixels) from a mesh output. */
export function blendshapeInput(landmarks: Float32Array): Float32Array {
  const out = new Float32Array(146 * 2);
  BLENDSHAPE_LANDMARKS.forEach((k, i) => {
    out[2 * i] = landmarks[3 * k];
    out[2 * i + 1] = landmarks[3 * k + 1];
  });
  return out;
}

export function randomTensor(length: number, seed: number, lo: number, hi: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => lo + random() * (hi - lo));
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
