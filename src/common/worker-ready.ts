import type { Worker } from 'node:worker_threads';
import { withTimeout } from './deadline';
import { FailureReason, VisionError } from './errors';

/** What a model worker posts once when it started: `ready`, or `failed` with why. */
export type StartReply = { type: 'ready' } | { type: 'failed'; message: string } | { type: string };

/**
 * Resolves when `worker` (a face or matcher worker, named `what` in errors) posts `ready`; rejects with `reason`
 * when it posts `failed`, exits, or takes longer than timeoutMs. Leaves no listener behind.
 */
export async function waitWorkerReady(worker: Worker, timeoutMs: number, what: string, reason: FailureReason): Promise<void> {
  let onMessage!: (reply: StartReply) => void;
  let onExit!: (code: number) => void;
  const started = new Promise<void>((resolve, reject) => {
    onMessage = (reply) => {
      if (reply.type === 'ready') resolve();
      else if (reply.type === 'failed' && 'message' in reply) reject(new VisionError(reason, `${what} failed to start: ${reply.message}`));
    };
    onExit = (code) => reject(new VisionError(reason, `${what} exited with code ${code} while starting`));
    worker.on('message', onMessage);
    worker.on('exit', onExit);
  });
  try {
    await withTimeout(started, timeoutMs, () => new VisionError(reason, `${what} did not start in time`));
  } finally {
    worker.off('message', onMessage);
    worker.off('exit', onExit);
  }
}

/** Asks a model worker to stop once the work it has taken is done (see stopWorker). */
export interface StopRequest {
  type: 'stop';
}

/**
 * Stops a model worker: it finishes what it has taken, frees its sessions and exits. Never terminate() one that
 * may be inside an ONNX Runtime run: the binding throws into the dying thread and the whole process aborts.
 * A worker that has not exited after `timeoutMs` is terminated.
 */
export async function stopWorker(worker: Worker, timeoutMs = 10_000): Promise<void> {
  if (worker.threadId === -1) return;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage({ type: 'stop' } satisfies StopRequest);
  await withTimeout(exited, timeoutMs, () => new Error('still running')).catch(() => worker.terminate());
}

/** Worker side of stopWorker: true (and the thread exits after `finish`) when `message` is the stop request. */
export function stopRequested(message: unknown, finish: () => Promise<void>): boolean {
  if ((message as StopRequest | undefined)?.type !== 'stop') return false;
  void finish().finally(() => process.exit(0));
  return true;
}
