import { dirname, join } from 'node:path';
import type { RawImage } from '../common/image';
import { createHuman, HUMAN_MODELS_DIR, humanConfig, humanTf, loadLocalGraphModel } from '../face/human/load-human';
import { checkCrop, Embedder, EMBEDDING_MODEL_SPECS, EmbeddingModelName } from './embedding-model';

/**
 * The original TFJS models the ONNX files were converted from: the reference of the parity test and the TFJS column
 * of bench:match. Initialises TFJS's WASM backend through Human (with no model) when nothing else has.
 */
export async function loadTfjsEmbedder(name: EmbeddingModelName): Promise<Embedder> {
  if (humanTf().getBackend() !== 'wasm') await createHuman(humanConfig({ enabled: false }));
  const spec = EMBEDDING_MODEL_SPECS[name];
  const embed = name === 'faceapi' ? await faceApi() : await faceRes();
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

type Tensor = import('@tensorflow/tfjs-core').Tensor;

/** Human's faceres graph; its 1024-value output is the embedding (the others are age and gender). */
async function faceRes(): Promise<(face: RawImage) => Promise<Float32Array>> {
  const model = await loadLocalGraphModel(join(HUMAN_MODELS_DIR, 'faceres.json'));
  return async (face) => {
    const tf = humanTf();
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
async function faceApi(): Promise<(face: RawImage) => Promise<Float32Array>> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof import('@vladmandic/face-api');
  const net = faceapi.nets.faceRecognitionNet;
  if (!net.isLoaded) await net.loadFromDisk(join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model'));
  return async (face) => {
    const input = humanTf().tensor3d(face.data, [face.height, face.width, 3], 'int32');
    try {
      return (await net.computeFaceDescriptor(input as never)) as Float32Array;
    } finally {
      input.dispose();
    }
  };
}
