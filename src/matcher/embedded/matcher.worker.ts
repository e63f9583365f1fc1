/** Worker thread of the embedded matcher: one FaceEmbedder (detector + embedding model), loaded once. */
import { parentPort, workerData } from 'node:worker_threads';
import { stopRequested } from '../../common/worker-ready';
import { FaceEmbedder } from './face-embedder';
import type { EmbedRequest, MatcherWorkerOptions, MatcherWorkerReply } from './worker-protocol';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('matcher.worker must run in a worker thread');
  const reply = (message: MatcherWorkerReply) => port.postMessage(message);
  let embedder: FaceEmbedder;
  try {
    const options = workerData as MatcherWorkerOptions;
    embedder = await FaceEmbedder.create(options.model, options.runtime);
    await embedder.warmUp();
  } catch (error) {
    reply({ type: 'failed', message: (error as Error).message });
    return;
  }
  // One image at a time: detection (TFJS-WASM) and the embedding session are single-threaded, interleaving would
  // only add memory.
  let queue = Promise.resolve();
  port.on('message', (request: EmbedRequest) => {
    if (stopRequested(request, () => queue)) return;
    queue = queue.then(async () => {
      const image = { width: request.width, height: request.height, channels: request.channels, data: new Uint8Array(request.buffer) };
      try {
        const result = await embedder.embed(image);
        reply({
          type: 'result',
          id: request.id,
          faces: result.faces,
          embedding: result.embedding ?? null,
          detectMs: result.detectMs,
          embedMs: result.embedMs,
        });
      } catch (error) {
        reply({ type: 'error', id: request.id, message: (error as Error).message });
      }
    });
  });
  reply({ type: 'ready' });
}

void main();
