import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { VisionError } from '../../src/common/errors';
import { WorkerPool, type WorkerPoolOptions } from '../../src/common/worker-pool';
import type { TestAnswer, TestRequest } from '../support/pool-test-worker';

const WORKER_FILE = join(__dirname, '..', 'support', 'pool-test-worker.js');

function testPool(options: Partial<WorkerPoolOptions<TestAnswer>> = {}): WorkerPool<TestRequest, TestAnswer> {
  return new WorkerPool<TestRequest, TestAnswer>({
    name: 'test worker',
    owner: 'test pool',
    reason: 'matcher_unavailable',
    workers: 1,
    workerFile: WORKER_FILE,
    workerData: undefined,
    startTimeoutMs: 30_000,
    requestTimeoutMs: 30_000,
    timing: (answer) => ({ total: answer.ms }),
    respawn: { maxDeaths: 2, windowMs: 60_000, firstDelayMs: 300 },
    ...options,
  });
}

const ask = (pool: WorkerPool<TestRequest, TestAnswer>, request: Omit<TestRequest, 'id'> = {}) =>
  pool.request((id) => ({ id, ...request }));

async function threadOf(pool: WorkerPool<TestRequest, TestAnswer>): Promise<number> {
  const answer = await ask(pool);
  assert.equal(answer.type, 'result');
  return (answer as Extract<TestAnswer, { type: 'result' }>).threadId;
}

/** The pool's own error: its failure reason and a message that says why. */
const poolError = (pattern: RegExp) => (e: unknown) =>
  e instanceof VisionError && e.reason === 'matcher_unavailable' && pattern.test(e.message);

describe('WorkerPool (real worker threads)', { timeout: 60_000 }, () => {
  it('should send each request to the least busy worker and keep the workers’ times', async () => {
    const pool = testPool({ workers: 2 });
    try {
      await pool.ready();
      const answers = await Promise.all([ask(pool, { sleepMs: 150 }), ask(pool, { sleepMs: 150 })]);
      const threads = answers.map((a) => (a.type === 'result' ? a.threadId : -1));
      assert.equal(new Set(threads).size, 2, `one request per worker, got threads ${threads}`);
      assert.ok(pool.medianMs('total') >= 100, `median ${pool.medianMs('total')} ms`);
      const failed = await ask(pool, { throws: 'bad input' });
      assert.deepEqual(failed.type === 'error' && failed.message, 'bad input', 'an error answer is the caller’s to map');
    } finally {
      await pool.close();
    }
  });

  it('should reject the requests of a worker that dies with why, and answer the next one on its replacement', async () => {
    const pool = testPool();
    try {
      const first = await threadOf(pool);
      await assert.rejects(ask(pool, { exitCode: 7 }), poolError(/^test worker exited with code 7$/));
      const second = await threadOf(pool);
      assert.notEqual(second, first, 'a new worker took its place');
      assert.equal(pool.brokenReason(), undefined);
    } finally {
      await pool.close();
    }
  });

  it('should respawn a second death after the backoff and break past the budget, refusing every request', async () => {
    const pool = testPool();
    try {
      await assert.rejects(ask(pool, { exitCode: 7 }), /exited with code 7/);
      await threadOf(pool);
      await assert.rejects(ask(pool, { exitCode: 7 }), /exited with code 7/);
      const died = performance.now();
      await threadOf(pool);
      assert.ok(performance.now() - died >= 250, `replaced after ${performance.now() - died} ms, the backoff is 300 ms`);
      assert.equal(pool.brokenReason(), undefined, 'two deaths are within the budget');
      await assert.rejects(ask(pool, { exitCode: 7 }), poolError(/exited with code 7 \(3 test worker deaths in 1 min\)/));
      assert.match(pool.brokenReason() ?? '', /3 test worker deaths/);
      await assert.rejects(ask(pool), poolError(/3 test worker deaths/));
    } finally {
      await pool.close();
    }
  });

  it('should reject a request unanswered within requestTimeoutMs and leave the worker running', async () => {
    const pool = testPool({ requestTimeoutMs: 300 });
    try {
      const before = await threadOf(pool);
      await assert.rejects(ask(pool, { sleepMs: 1000 }), poolError(/^test worker did not answer within 300 ms$/));
      await sleep(900); // the worker is still on the late request: the next one would queue behind it
      assert.equal(await threadOf(pool), before, 'the same worker answers once it is done');
    } finally {
      await pool.close();
    }
  });

  it('should let a busy worker finish on close (never terminated mid-run), rejecting its caller', async () => {
    const pool = testPool();
    await pool.ready();
    const exitCode = new Promise<number>((resolve) => pool.members[0].worker.once('exit', resolve));
    const busy = ask(pool, { sleepMs: 600 });
    busy.catch(() => undefined);
    await sleep(50);
    const closing = performance.now();
    await pool.close();
    const took = performance.now() - closing;
    assert.ok(took >= 300, `close returned after ${took} ms while the worker was still busy`);
    assert.equal(await exitCode, 0, 'the worker exited by itself (terminate() gives 1)');
    await assert.rejects(busy, poolError(/^test pool closed$/));
    await assert.rejects(ask(pool), poolError(/^test pool is closed$/));
  });
});
