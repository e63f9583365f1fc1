import type { RawImage } from '../../common/image';
import { alignByEyes } from '../../face-embedding/align';
import type { Embedder, EmbeddingModelName, EmbeddingRuntime } from '../../face-embedding/embedding-model';
import { loadEmbedder } from '../../face-embedding/load-embedder';
import { DetectedFace, FaceDetector } from './face-detector';

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

/** Aligns one detected face of the image on the model's template and embeds it. */
export function embedFace(model: Embedder, image: RawImage, face: DetectedFace): Promise<Float32Array> {
  return model.embed(alignByEyes(image, face.leftEye, face.rightEye, model.template));
}

/** Detect → largest face → align on the eyes → embed, for one model, in the calling thread. */
export class FaceEmbedder {
  private constructor(
    readonly detector: FaceDetector,
    readonly model: Embedder,
  ) {}

  static async create(model: EmbeddingModelName, runtime: EmbeddingRuntime = 'onnx'): Promise<FaceEmbedder> {
    const detector = await FaceDetector.create();
    return new FaceEmbedder(detector, await loadEmbedder(model, runtime));
  }

  async embed(image: RawImage): Promise<FaceEmbedding> {
    const started = performance.now();
    const faces = await this.detector.detect(image);
    const detectMs = performance.now() - started;
    if (faces.length === 0) return { faces: 0, detectMs, embedMs: 0 };
    const embedding = await embedFace(this.model, image, faces[0]);
    return { faces: faces.length, embedding, box: faces[0].box, detectMs, embedMs: performance.now() - started - detectMs };
  }

  /** Runs the whole pipeline once on a synthetic image so kernels are compiled before the first real one. */
  async warmUp(): Promise<void> {
    await this.detector.detect(WARM_UP.image);
    await warmUpEmbedder(this.model);
  }
}

const WARM_UP = {
  image: { width: 160, height: 160, channels: 3, data: new Uint8Array(160 * 160 * 3).fill(128) } satisfies RawImage,
  face: {
    box: [40, 40, 80, 80],
    score: 1,
    leftEye: { x: 60, y: 70 },
    rightEye: { x: 100, y: 70 },
    yawDeg: 0,
    pitchDeg: 0,
  } satisfies DetectedFace,
};

/** Embeds a synthetic face once so the model's first real image does not pay for initialisation. */
export async function warmUpEmbedder(model: Embedder): Promise<void> {
  await embedFace(model, WARM_UP.image, WARM_UP.face);
}
