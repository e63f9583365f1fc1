import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/app-config';
import { storeTimesOf } from '../../src/store/store.env';

describe('flow store settings', () => {
  it('should default to the memory store with a 10 s lease renewed every 2 s', () => {
    const { store } = loadConfig({});
    assert.equal(store.FLOW_STORE, 'memory');
    assert.deepEqual(storeTimesOf(store), { leaseTtlMs: 10_000, renewEveryMs: 2_000, finishedTtlMs: 3_600_000 });
  });

  it('should take redis:// and rediss:// URLs and refuse anything else', () => {
    assert.equal(loadConfig({ FLOW_STORE: 'redis://:pw@redis:6379/2' }).store.FLOW_STORE, 'redis://:pw@redis:6379/2');
    assert.equal(loadConfig({ FLOW_STORE: 'rediss://redis.internal' }).store.FLOW_STORE, 'rediss://redis.internal');
    for (const bad of ['http://redis:6379', 'redis', 'postgres://db'])
      assert.throws(() => loadConfig({ FLOW_STORE: bad }), /FLOW_STORE: must be memory or a redis/);
  });

  it('should refuse a renewal period over half the lease TTL', () => {
    assert.throws(
      () => loadConfig({ FLOW_LEASE_TTL_S: '10', FLOW_LEASE_RENEW_S: '6' }),
      /FLOW_LEASE_RENEW_S: must be at most half of FLOW_LEASE_TTL_S/,
    );
    assert.equal(loadConfig({ FLOW_LEASE_TTL_S: '4', FLOW_LEASE_RENEW_S: '0.5' }).store.FLOW_LEASE_RENEW_S, 0.5);
  });
});
