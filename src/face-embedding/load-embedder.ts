import type { Embedder, EmbeddingModelName, EmbeddingRuntime } from './embedding-model';
import { loadOnnxEmbedder } from './onnx-embedder';

/** An embedding model on a runtime; TFJS (devDependencies, the originals) is loaded only when asked for. */
export function loadEmbedder(name: EmbeddingModelName, runtime: EmbeddingRuntime = 'onnx'): Promise<Embedder> {
  if (runtime === 'onnx') return loadOnnxEmbedder(name);
  return (require('./tfjs-embedder') as typeof import('./tfjs-embedder')).loadTfjsEmbedder(name);
}
