import type { InferenceSession as Session } from 'onnxruntime-node';
import type { RawImage } from '../common/image';
import { checkCrop, Embedder, EMBEDDING_MODEL_SPECS, EmbeddingModelName } from './embedding-model';

const loaded = new Map<EmbeddingModelName, Promise<Embedder>>();

/**
 * The model on onnxruntime-node (CPU, one intra-op thread: the callers scale with worker threads). Loaded once per
 * thread and shared by every caller of that thread; `embed` calls on one session run one after another.
 */
export function loadOnnxEmbedder(name: EmbeddingModelName): Promise<Embedder> {
  let embedder = loaded.get(name);
  if (!embedder) {
    embedder = create(name);
    loaded.set(name, embedder);
    embedder.catch(() => loaded.delete(name));
  }
  return embedder;
}

async function create(name: EmbeddingModelName): Promise<Embedder> {
  const ort = require('../common/onnxruntime') as typeof import('../common/onnxruntime');
  const spec = EMBEDDING_MODEL_SPECS[name];
  const session: Session = await ort.InferenceSession.create(spec.onnxFile, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const { size } = spec.template;
  return {
    name,
    runtime: 'onnx',
    template: spec.template,
    dims: spec.dims,
    async embed(face: RawImage): Promise<Float32Array> {
      checkCrop(spec, face);
      const input = new ort.Tensor('float32', Float32Array.from(face.data), [1, size, size, 3]);
      const { embedding } = await session.run({ image: input });
      return embedding.data as Float32Array;
    },
  };
}
