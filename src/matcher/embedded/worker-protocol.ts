import type { EmbeddingModelName, EmbeddingRuntime } from '../../face-embedding/embedding-model';

/** Options every matcher worker starts with. */
export interface MatcherWorkerOptions {
  model: EmbeddingModelName;
  runtime: EmbeddingRuntime;
}

/** One image to embed; `buffer` is a copy of the caller's RGB(A) pixels, transferred. */
export interface EmbedRequest {
  id: number;
  width: number;
  height: number;
  channels: 3 | 4;
  buffer: ArrayBuffer;
}

/**
 * What a matcher worker answers an image with (after its StartReply). `buffer` is the request's, moved back: a
 * buffer moved to a worker stays on the main thread's ArrayBuffer account until the worker's heap is collected,
 * and onnxruntime allocates outside that heap, so an idle worker would keep every image it saw (the pool drops it).
 */
export type MatcherWorkerReply =
  | { type: 'result'; id: number; faces: number; embedding: Float32Array | null; detectMs: number; embedMs: number; buffer: ArrayBuffer }
  | { type: 'error'; id: number; message: string; buffer: ArrayBuffer };
