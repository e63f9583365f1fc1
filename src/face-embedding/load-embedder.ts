import type { Embedder, EmbeddingModelName, EmbeddingRuntime } from './embedding-model';
import { loadOnnxEmbedder } from './onnx-embedder';

/** An embedding model on a runtime; TFJS is loaded only when asked for (it needs an initialised TFJS backend). */
export function loadEmbedder(name: EmbeddingModelName, runtime: EmbeddingRuntime = 'onnx'): Promise<Embedder> {
  if (runtime === 'onnx') return loadOnnxEmbedder(name);
  return (require('./tfjs-embedder') as typeof import('./tfjs-embedder')).loadTfjsEmbedder(name);
}
