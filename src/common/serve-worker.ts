import { parentPort, type Transferable } from 'node:worker_threads';
import { messageOf } from './errors';
import { stopRequested } from './worker-ready';

/** A worker's answer and what of it is moved (not copied) to the pool. */
export interface Reply<A> {
  answer: A;
  transfer?: Transferable[];
}

/**
 * The message loop of a WorkerPool worker: `load` prepares the handler (models and warm-up), then `ready` (or
 * `failed` with why) is posted, and each request is handled in arrival order, one at a time (a stream's tracking
 * state must see its frames in order; single-threaded models gain nothing from interleaving). A thrown error is
 * answered with `failure(request, message)`. The stop request (stopWorker) exits once the queue is done.
 */
export async function serveWorker<R extends { id: number }, A>(
  load: () => Promise<(request: R) => Promise<Reply<A>>>,
  failure: (request: R, message: string) => Reply<A>,
): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('a pool worker must run in a worker thread');
  const post = ({ answer, transfer }: Reply<unknown>) => port.postMessage(answer, transfer ?? []);
  let handle: (request: R) => Promise<Reply<A>>;
  try {
    handle = await load();
  } catch (error) {
    post({ answer: { type: 'failed', message: messageOf(error) } });
    return;
  }
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (request: R) => {
    if (stopRequested(request, () => queue.then(() => undefined))) return;
    queue = queue.then(async () => {
      try {
        post(await handle(request));
      } catch (error) {
        post(failure(request, messageOf(error)));
      }
    });
  });
  post({ answer: { type: 'ready' } });
}
