import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceSession as Session } from 'onnxruntime-node';
import { VisionError } from '../common/errors';
import { BLAZEFACE_TO_PAD, type BoxCalibration, calibrateBox } from './box-calibration';
import { cropRegion, type FaceBox, PAD_INPUT_SIZE, type PadSource, sampleCrop } from './pad-crop';

/** The shipped models (models/minifasnet/PROVENANCE.md): crop scale around the face box and file sha256. */
export const PAD_MODELS = [
  { file: '2.7_80x80_MiniFASNetV2.onnx', scale: 2.7, sha256: 'de5a056c4626dab848ced0407a273b110e1bf357ca46e308961d112f4a577ab3' },
  { file: '4_0_0_80x80_MiniFASNetV1SE.onnx', scale: 4.0, sha256: '7ec6e54f6ee49b3de2166c52611deda584ee6bacef3212d2006ef5e474a41526' },
] as const;

/** One of PAD_MODELS. */
export type PadModel = (typeof PAD_MODELS)[number];

export const PAD_MODELS_DIR = join(__dirname, '..', '..', '..', 'models', 'minifasnet');

/** Index of the "real" class in the models' softmax output. */
const REAL_CLASS = 1;

/** The models are missing or altered: the passive check cannot score (a deployment fault, not the subject's). */
export class PadModelError extends VisionError {
  constructor(message: string) {
    super('internal_error', message);
    this.name = 'PadModelError';
  }
}

/**
 * Both MiniFASNet sessions, loaded once. score() is the fused "real" probability (0..1, higher = live) of one
 * face: each model's crop around the calibrated box, softmax "real" averaged as the Silent-Face repository does.
 */
export class PadScorer {
  private constructor(
    private readonly ort: typeof import('onnxruntime-node'),
    private readonly models: readonly PadModel[],
    private readonly sessions: readonly Session[],
  ) {}

  /**
   * Loads the models on the CPU with one intra-op thread (the caller runs one scorer per worker thread). `models`:
   * a subset to measure one alone (npm run eval:pad -- --model); the service fuses both.
   */
  static async load(dir = PAD_MODELS_DIR, models: readonly PadModel[] = PAD_MODELS): Promise<PadScorer> {
    const ort = await import('../common/onnxruntime');
    const sessions: Session[] = [];
    for (const model of models) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(dir, model.file));
      } catch (error) {
        throw new PadModelError(`cannot read ${model.file} in ${dir}: ${(error as Error).message}`);
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (sha256 !== model.sha256) throw new PadModelError(`${model.file} has sha256 ${sha256}, expected ${model.sha256}`);
      sessions.push(await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 }));
    }
    return new PadScorer(ort, models, sessions);
  }

  /** The fused score of the face in `box`, a BlazeFace detector box in `source` pixels (`calibration`: another convention). */
  async score(source: PadSource, box: FaceBox, calibration: BoxCalibration = BLAZEFACE_TO_PAD): Promise<number> {
    if (!(box.width > 0 && box.height > 0)) throw new RangeError(`empty face box ${JSON.stringify(box)}`);
    const modelBox = calibrateBox(box, calibration);
    let sum = 0;
    for (let i = 0; i < this.models.length; i++) {
      // A fresh buffer per crop: concurrent score() calls must not share one while a run is pending.
      const input = new Float32Array(3 * PAD_INPUT_SIZE * PAD_INPUT_SIZE);
      sampleCrop(source, cropRegion(source.width, source.height, modelBox, this.models[i].scale), input);
      const tensor = new this.ort.Tensor('float32', input, [1, 3, PAD_INPUT_SIZE, PAD_INPUT_SIZE]);
      const { prob } = await this.sessions[i].run({ input: tensor });
      sum += (prob.data as Float32Array)[REAL_CLASS];
    }
    return sum / this.models.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.release()));
  }
}

let threadScorer: Promise<PadScorer> | undefined;

/**
 * The fused score of one face, for any thread: the sessions load on the first call in each thread (module state
 * is per thread) and stay. `box` is BlazeFace's unless `calibration` maps another convention. Call only on frames with exactly one detected face: an empty crop reads ≈ 0.55.
 */
export function scoreFace(source: PadSource, box: FaceBox, calibration: BoxCalibration = BLAZEFACE_TO_PAD): Promise<number> {
  threadScorer ??= PadScorer.load().catch((error: unknown) => {
    threadScorer = undefined;
    throw error;
  });
  return threadScorer.then((scorer) => scorer.score(source, box, calibration));
}
