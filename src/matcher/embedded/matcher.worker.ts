/** Worker thread of the embedded matcher: one FaceEmbedder (detector + embedding model), loaded once. */
import { workerData } from 'node:worker_threads';
import { serveWorker } from '../../common/serve-worker';
import { FaceEmbedder } from './face-embedder';
import type { EmbedRequest, MatcherWorkerOptions, MatcherWorkerReply } from './worker-protocol';

void serveWorker<EmbedRequest, MatcherWorkerReply>(
  async () => {
    const options = workerData as MatcherWorkerOptions;
    const embedder = await FaceEmbedder.create(options.model, options.runtime);
    await embedder.warmUp();
    return async (request) => {
      const image = { width: request.width, height: request.height, channels: request.channels, data: new Uint8Array(request.buffer) };
      const result = await embedder.embed(image);
      const { faces, detectMs, embedMs } = result;
      const answer = {
        type: 'result',
        id: request.id,
        faces,
        embedding: result.embedding ?? null,
        detectMs,
        embedMs,
        buffer: request.buffer,
      } as const;
      return { answer, transfer: [request.buffer] };
    };
  },
  (request, message) => ({ answer: { type: 'error', id: request.id, message, buffer: request.buffer }, transfer: [request.buffer] }),
);
