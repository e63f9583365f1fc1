import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { withTimeout } from '../../src/common/deadline';

const never = () => new Promise<never>(() => undefined);
const late = () => new Error('too slow');

describe('withTimeout', () => {
  it('should settle like the work when it is first', async () => {
    assert.equal(await withTimeout(Promise.resolve(3), 1000, late), 3);
    await assert.rejects(withTimeout(Promise.reject(new Error('own')), 1000, late), /own/);
  });

  it("should reject with onTimeout's error after the limit; .catch gives a wait-at-most", async () => {
    await assert.rejects(withTimeout(never(), 20, late), /too slow/);
    assert.equal(await withTimeout(never(), 20, late).catch(() => 'gave up'), 'gave up');
  });

  it('should swallow a rejection of the work that comes after the limit', async () => {
    const afterLimit = sleep(40).then(() => {
      throw new Error('after the limit');
    });
    await assert.rejects(withTimeout(afterLimit, 10, late), /too slow/);
    await sleep(60); // an unhandled rejection would fail the run here
  });

  it("should reject with onAbort's error (default: the signal's reason) when the signal aborts, before or during the wait", async () => {
    const controller = new AbortController();
    const waiting = withTimeout(never(), 10_000, late, { signal: controller.signal, onAbort: () => new Error('cancelled') });
    controller.abort();
    await assert.rejects(waiting, /cancelled/);
    await assert.rejects(withTimeout(never(), 10_000, late, { signal: AbortSignal.abort(new Error('gone')) }), /gone/);
  });
});
