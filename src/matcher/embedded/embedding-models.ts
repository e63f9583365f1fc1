import { dirname, join } from 'node:path';
import type { RawImage } from '../../common/image';
import { HUMAN_MODELS_DIR, humanTf, loadLocalGraphModel } from '../../face/human/load-human';
import type { EyeTemplate } from './align';

/** The face embedding models the matcher can run (see docs/matching.md for how they compare). */
export const EMBEDDING_MODELS = ['faceapi', 'faceres'] as const;
export type EmbeddingModelName = (typeof EMBEDDING_MODELS)[number];

/**
 * Cosine distance below which a pair matches, per model: the threshold at FMR 0.1 % measured on the shared
 * identities (docs/matching.md), rounded down.
 */
export const DEFAULT_THRESHOLDS: Record<EmbeddingModelName, number> = { faceapi: 0.074, faceres: 0.36 };

/** A loaded embedding model: an aligned face crop in, an identity vector out. */
export interface EmbeddingModel {
  name: EmbeddingModelName;
  /** Where the model wants the eyes of its input crop. */
  template: EyeTemplate;
  embed(face: RawImage): Promise<Float32Array>;
}

// Eye positions: dlib's 150 px face chip (mean face shape, padding 0.25), which face-api's ResNet was trained on;
// Human's own face crop (measured on frontal portraits) for faceres.
const DLIB_CHIP: EyeTemplate = { size: 150, leftX: 0.317, rightX: 0.67, eyeY: 0.311 };
const HUMAN_CROP: EyeTemplate = { size: 224, leftX: 0.373, rightX: 0.627, eyeY: 0.36 };

type Tensor = import('@tensorflow/tfjs-core').Tensor;

/** How a model wants pixel values: `value * scale + offset`. */
interface PixelScale {
  scale: number;
  offset: number;
}

function inputTensor(face: RawImage, pixels: PixelScale): Tensor {
  const tf = humanTf();
  return tf.tidy(() => tf.add(tf.mul(tf.tensor4d(face.data, [1, face.height, face.width, 3], 'float32'), pixels.scale), pixels.offset));
}

/** A TFJS graph model whose output of `dims` values is the embedding. */
async function graphModel(name: EmbeddingModelName, file: string, template: EyeTemplate, pixels: PixelScale, dims: number) {
  const model = await loadLocalGraphModel(file);
  return {
    name,
    template,
    async embed(face: RawImage): Promise<Float32Array> {
      const input = inputTensor(face, pixels);
      const output = model.execute(input) as Tensor | Tensor[];
      input.dispose();
      const outputs = Array.isArray(output) ? output : [output];
      try {
        const embedding = outputs.find((t) => t.size === dims);
        if (!embedding) throw new Error(`${name} has no output of ${dims} values`);
        return (await embedding.data()) as Float32Array;
      } finally {
        outputs.forEach((t) => t.dispose());
      }
    },
  };
}

/** face-api's 128-d ResNet-34 (dlib lineage); face-api normalises its input itself. */
async function faceApi(): Promise<EmbeddingModel> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof import('@vladmandic/face-api');
  const net = faceapi.nets.faceRecognitionNet;
  if (!net.isLoaded) await net.loadFromDisk(join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model'));
  return {
    name: 'faceapi',
    template: DLIB_CHIP,
    async embed(face: RawImage): Promise<Float32Array> {
      const tf = humanTf();
      const input = tf.tensor3d(face.data, [face.height, face.width, 3], 'int32');
      try {
        return (await net.computeFaceDescriptor(input as never)) as Float32Array;
      } finally {
        input.dispose();
      }
    },
  };
}

/** Loads a model once; call after the TFJS backend is initialised (e.g. after the FaceDetector). */
export async function loadEmbeddingModel(name: EmbeddingModelName): Promise<EmbeddingModel> {
  switch (name) {
    case 'faceapi':
      return faceApi();
    case 'faceres':
      return graphModel(name, join(HUMAN_MODELS_DIR, 'faceres.json'), HUMAN_CROP, { scale: 1, offset: 0 }, 1024);
  }
}
