/** A WorkerPool worker for the pool's own tests: answers with its thread id after `sleepMs`, or exits with `exitCode`. */
import { threadId } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveWorker } from '../../src/common/serve-worker';

export interface TestRequest {
  id: number;
  sleepMs?: number;
  exitCode?: number;
  throws?: string;
}

export type TestAnswer = { type: 'result'; id: number; threadId: number; ms: number } | { type: 'error'; id: number; message: string };

void serveWorker<TestRequest, TestAnswer>(
  async () => async (request) => {
    const started = performance.now();
    if (request.exitCode !== undefined) process.exit(request.exitCode);
    if (request.sleepMs) await sleep(request.sleepMs);
    if (request.throws) throw new Error(request.throws);
    return { answer: { type: 'result', id: request.id, threadId, ms: performance.now() - started } };
  },
  (request, message) => ({ answer: { type: 'error', id: request.id, message } }),
);
