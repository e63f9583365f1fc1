import type { RawImage } from '../../common/image';
import { alignByEyes } from './align';
import { DetectedFace, FaceDetector } from './face-detector';
import { EmbeddingModel, EmbeddingModelName, loadEmbeddingModel } from './embedding-models';

/** The identity of the one usable face of an image, or why there is none. */
export interface FaceEmbedding {
  /** Faces found (after dropping duplicate detections); the largest one is embedded. */
  faces: number;
  embedding?: Float32Array;
  box?: DetectedFace['box'];
  /** Detection time and alignment + embedding time, ms. */
  detectMs: number;
  embedMs: number;
}

/** Detect → largest face → align on the eyes → embed, for one model, in the calling thread. */
export class FaceEmbedder {
  private constructor(
    private readonly detector: FaceDetector,
    readonly model: EmbeddingModel,
  ) {}

  static async create(model: EmbeddingModelName): Promise<FaceEmbedder> {
    const detector = await FaceDetector.create();
    return new FaceEmbedder(detector, await loadEmbeddingModel(model));
  }

  async embed(image: RawImage): Promise<FaceEmbedding> {
    const started = performance.now();
    const faces = await this.detector.detect(image);
    const detectMs = performance.now() - started;
    if (faces.length === 0) return { faces: 0, detectMs, embedMs: 0 };
    const [face] = faces;
    const crop = alignByEyes(image, face.leftEye, face.rightEye, this.model.template);
    const embedding = await this.model.embed(crop);
    return { faces: faces.length, embedding, box: face.box, detectMs, embedMs: performance.now() - started - detectMs };
  }

  /** Runs the whole pipeline once on a synthetic image so kernels are compiled before the first real one. */
  async warmUp(): Promise<void> {
    const size = 160;
    const image: RawImage = { width: size, height: size, channels: 3, data: new Uint8Array(size * size * 3).fill(128) };
    await this.detector.detect(image);
    await this.model.embed(alignByEyes(image, { x: 60, y: 70 }, { x: 100, y: 70 }, this.model.template));
  }
}
