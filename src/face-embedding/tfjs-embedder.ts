import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RawImage } from '../common/image';
import { checkCrop, Embedder, EMBEDDING_MODEL_SPECS, EmbeddingModelName } from './embedding-model';

/**
 * The original TFJS models the ONNX files were converted from: the reference of the parity test and the TFJS column
 * of bench:match / eval:match. Development only: TFJS, Human (the faceres files) and face-api are devDependencies,
 * absent from the image, and production loads this module never (load-embedder requires it on demand).
 */
export async function loadTfjsEmbedder(name: EmbeddingModelName): Promise<Embedder> {
  const tf = await tfjs();
  const spec = EMBEDDING_MODEL_SPECS[name];
  const embed = name === 'faceapi' ? await faceApi(tf) : await faceRes(tf);
  return {
    name,
    runtime: 'tfjs',
    template: spec.template,
    dims: spec.dims,
    embed(face: RawImage): Promise<Float32Array> {
      checkCrop(spec, face);
      return embed(face);
    },
  };
}

type TfCore = typeof import('@tensorflow/tfjs-core');
type Tensor = import('@tensorflow/tfjs-core').Tensor;

/** TFJS on its WASM backend (the one the originals were measured on), initialised once. */
async function tfjs(): Promise<TfCore> {
  const tf = require('@tensorflow/tfjs-core') as TfCore;
  require('@tensorflow/tfjs-backend-wasm');
  if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
  return tf;
}

/** A model.json and its weight shards read from disk as TFJS model artifacts (nothing fetched). */
function fileLoadHandler(file: string) {
  return {
    async load() {
      const modelJson = JSON.parse(await readFile(file, 'utf8'));
      const weightSpecs = [];
      const shards: Buffer[] = [];
      for (const group of modelJson.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const path of group.paths) shards.push(await readFile(join(dirname(file), path)));
      }
      const weights = Buffer.concat(shards);
      const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
      const { modelTopology, format, signature, userDefinedMetadata } = modelJson;
      return { modelTopology, format, signature, userDefinedMetadata, weightSpecs, weightData };
    },
  };
}

/** Human's faceres graph (its package's own files); its 1024-value output is the embedding (the others are age and gender). */
async function faceRes(tf: TfCore): Promise<(face: RawImage) => Promise<Float32Array>> {
  const converter = require('@tensorflow/tfjs-converter') as typeof import('@tensorflow/tfjs-converter');
  const models = join(dirname(require.resolve('@vladmandic/human')), '..', 'models');
  const model = await converter.loadGraphModel(fileLoadHandler(join(models, 'faceres.json')));
  return async (face) => {
    const input = tf.tensor4d(face.data, [1, face.height, face.width, 3], 'float32');
    const output = model.execute(input) as Tensor | Tensor[];
    input.dispose();
    const outputs = Array.isArray(output) ? output : [output];
    try {
      const embedding = outputs.find((t) => t.size === EMBEDDING_MODEL_SPECS.faceres.dims);
      if (!embedding) throw new Error('faceres has no 1024-value output');
      return (await embedding.data()) as Float32Array;
    } finally {
      outputs.forEach((t) => t.dispose());
    }
  };
}

/** face-api's 128-d ResNet; face-api normalises its input itself. */
async function faceApi(tf: TfCore): Promise<(face: RawImage) => Promise<Float32Array>> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof import('@vladmandic/face-api');
  const net = faceapi.nets.faceRecognitionNet;
  if (!net.isLoaded) await net.loadFromDisk(join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model'));
  return async (face) => {
    const input = tf.tensor3d(face.data, [face.height, face.width, 3], 'int32');
    try {
      return (await net.computeFaceDescriptor(input as never)) as Float32Array;
    } finally {
      input.dispose();
    }
  };
}
