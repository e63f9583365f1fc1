import { join } from 'node:path';
import type { RawImage } from '../common/image';
import type { EyeTemplate } from './align';

/** The face embedding models (docs/matching.md compares them). */
export const EMBEDDING_MODELS = ['faceapi', 'faceres'] as const;
export type EmbeddingModelName = (typeof EMBEDDING_MODELS)[number];

/** onnx: production (models/embeddings/*.onnx); tfjs: the original TFJS models, kept as the parity reference. */
export const EMBEDDING_RUNTIMES = ['onnx', 'tfjs'] as const;
export type EmbeddingRuntime = (typeof EMBEDDING_RUNTIMES)[number];

/** A loaded embedding model: an eye-aligned RGB face crop of `template.size` in, an identity vector out. */
export interface Embedder {
  name: EmbeddingModelName;
  runtime: EmbeddingRuntime;
  /** Where the model wants the eyes of its input crop (pass it to alignByEyes). */
  template: EyeTemplate;
  dims: number;
  /** Raw (not normalised) embedding; compare with cosineDistance. The crop must be template-sized RGB. */
  embed(face: RawImage): Promise<Float32Array>;
}

/** What each model is and wants. */
export interface EmbeddingModelSpec {
  template: EyeTemplate;
  dims: number;
  onnxFile: string;
}

const MODELS_DIR = join(__dirname, '..', '..', '..', 'models', 'embeddings');

// Eye positions: dlib's 150 px face chip (mean face shape, padding 0.25), which face-api's ResNet was trained on;
// Human's own face crop (measured on frontal portraits) for faceres.
export const EMBEDDING_MODEL_SPECS: Record<EmbeddingModelName, EmbeddingModelSpec> = {
  faceapi: {
    template: { size: 150, leftX: 0.317, rightX: 0.67, eyeY: 0.311 },
    dims: 128,
    onnxFile: join(MODELS_DIR, 'faceapi-resnet.onnx'),
  },
  faceres: { template: { size: 224, leftX: 0.373, rightX: 0.627, eyeY: 0.36 }, dims: 1024, onnxFile: join(MODELS_DIR, 'faceres.onnx') },
};

/**
 * Descriptor distance above which a face counts as another person (liveness face_changed), per model, when the
 * model is the liveness descriptor: above the highest same-person reading on the shared clips (faceapi 0.088,
 * faceres 0.401, faces within 25° of frontal; `npm run eval:descriptor`, docs/matching.md) with a margin.
 */
export const FACE_CHANGED_DISTANCE: Record<EmbeddingModelName, number> = { faceapi: 0.11, faceres: 0.5 };

/** Throws unless `face` is an RGB crop of the model's input size. */
export function checkCrop(spec: EmbeddingModelSpec, face: RawImage): void {
  const { size } = spec.template;
  if (face.width !== size || face.height !== size || face.channels !== 3)
    throw new Error(`embedding input must be ${size}x${size} RGB, got ${face.width}x${face.height}x${face.channels}`);
}
