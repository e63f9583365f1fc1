import type { Worker } from 'node:worker_threads';
import { FailureReason, VisionError } from './errors';

/** What a model worker posts once when it started: `ready`, or `failed` with why. */
export type StartReply = { type: 'ready' } | { type: 'failed'; message: string } | { type: string };

/**
 * Resolves when `worker` (a face or matcher worker, named `what` in errors) posts `ready`; rejects with `reason`
 * when it posts `failed`, exits, or takes longer than timeoutMs. Leaves no listener behind.
 */
export function waitWorkerReady(worker: Worker, timeoutMs: number, what: string, reason: FailureReason): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new VisionError(reason, `${what} did not start in time`)), timeoutMs);
    function done(error?: Error): void {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    const onMessage = (reply: StartReply) => {
      if (reply.type === 'ready') done();
      else if (reply.type === 'failed' && 'message' in reply) done(new VisionError(reason, `${what} failed to start: ${reply.message}`));
    };
    const onExit = (code: number) => done(new VisionError(reason, `${what} exited with code ${code} while starting`));
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
}
