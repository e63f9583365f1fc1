import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HttpCallbackAdapter } from '../../src/callbacks/http-callback.adapter';
import { flowLog } from '../../src/observability/logger';
import { OutboundGuard } from '../../src/outbound/outbound-guard';
import { systemClock } from '../../src/store/clock';
import { createFlowStore } from '../../src/store/create-flow-store';
import type { FlowStore, StoredFlow, StoreTimes } from '../../src/store/flow-store.port';
import type { Adoption } from '../../src/store/leases';
import { RedisFlowStore } from '../../src/store/redis-flow-store';
import { DemoController } from '../../demo/demo-controller';
import { RedisServer } from '../support/redis-server';
import { pollUntil, waitUntil } from '../support/wait';
import { counter, replica } from '../support/replica';

/** Short leases so adoption happens within the test; the retry budget is one TTL. */
const times: StoreTimes = { leaseTtlMs: 1000, renewEveryMs: 200, finishedTtlMs: 1000 };

function record(id: string, overrides: Partial<StoredFlow> = {}): StoredFlow {
  const now = Date.now();
  return {
    id,
    token: `token-${id}`,
    room: 'room-a',
    callbackBaseUrl: 'http://127.0.0.1:1',
    state: 'verifying.challenges.running',
    challenges: [{ id: 'blink', status: 'passed' }],
    delivery: { attempts: 0, delivered: false },
    owner: 'dead',
    leaseExpiresAt: now + times.leaseTtlMs,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

describe('FlowStore on a real redis-server', () => {
  let redis: RedisServer;
  const clients: RedisFlowStore[] = [];
  const client = (t: StoreTimes = times) => {
    const store = new RedisFlowStore(redis.url, t);
    clients.push(store);
    return store;
  };

  before(async () => {
    redis = await RedisServer.start({ persist: 'always' });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await redis.close();
  });

  it('should give a token to exactly one of many concurrent creates from two clients, and show the holder’s room', async () => {
    const [a, b] = [client(), client()];
    const attempts = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).create(record(`u${i}`, { token: 'shared', room: `room-${i}` })));
    const results = await Promise.all(attempts);
    const created = results.flatMap((r, i) => (r.created ? [`u${i}`] : []));
    assert.equal(created.length, 1, JSON.stringify(results));
    for (const r of results) if (!r.created) assert.deepEqual([r.holder.id, r.holder.room], [created[0], `room-${created[0].slice(1)}`]);
    assert.equal((await b.get(created[0]))?.token, 'shared');
    // A create retried after a lost reply is not refused by its own token.
    assert.deepEqual(await a.create(record(created[0], { token: 'shared' })), { created: true });
  });

  it('should let exactly one of two racing clients claim each expired flow', async () => {
    const [a, b] = [client(), client()];
    const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);
    for (const id of ids) assert.deepEqual(await a.create(record(id, { leaseExpiresAt: Date.now() - 1 })), { created: true });
    // Only this test's records: an earlier test's lease may have run out meanwhile on a loaded machine.
    const ours = async (store: RedisFlowStore) => (await store.expired(Date.now(), 100)).filter((id) => ids.includes(id));
    assert.deepEqual((await ours(b)).sort(), [...ids].sort());
    const claims = await Promise.all(ids.flatMap((id) => [a.claim(id, 'a', Date.now()), b.claim(id, 'b', Date.now())]));
    const winners = claims.filter((c) => c !== undefined);
    assert.deepEqual(winners.map((w) => w.id).sort(), [...ids].sort());
    assert.deepEqual(await ours(a), []);
  });

  it('should tell an owner whose flow was claimed: renew lists it as lost, writes answer lost, unknown flows missing', async () => {
    const [owner, adopter] = [client(), client()];
    await owner.create(record('l1', { owner: 'slow', leaseExpiresAt: Date.now() - 1 }));
    await owner.create(record('l2', { owner: 'slow' }));
    assert.equal((await adopter.claim('l1', 'fast', Date.now()))?.owner, 'fast');
    assert.equal(await adopter.claim('l2', 'fast', Date.now()), undefined, 'a live lease is not claimed');
    assert.deepEqual(
      await owner.renew('slow', ['l1', 'l2', 'gone'], Date.now()),
      ['l1'],
      'a missing record (Redis lost its data) is not lost',
    );
    assert.equal(await owner.update('l1', 'slow', { state: 'matching' }, Date.now()), 'lost');
    assert.equal(await owner.update('nope', 'slow', { state: 'matching' }, Date.now()), 'missing');
    assert.equal((await owner.get('l1'))?.state, 'verifying.challenges.running');
  });

  it('should bring a cancel request from any client to the owner, and refuse one for a finished flow', async () => {
    const [owner, other] = [client(), client()];
    const asked: string[] = [];
    await owner.onCancel('owner-1', (id) => asked.push(id));
    await owner.create(record('k1', { owner: 'owner-1' }));
    assert.equal(await other.requestCancel('k1'), true);
    await waitUntil(() => asked.length > 0, 2000, 'the cancel message');
    assert.deepEqual(asked, ['k1']);
    assert.equal(await owner.update('k1', 'owner-1', { finishedAt: Date.now() }, Date.now()), 'ok');
    assert.equal(await other.requestCancel('k1'), false);
    assert.equal(await other.requestCancel('unknown'), false);
  });

  it('should expire finished records after the finished TTL and free their token', async () => {
    const store = client();
    await store.create(record('e1', { owner: 'o' }));
    assert.equal(await store.update('e1', 'o', { finishedAt: Date.now() }, Date.now()), 'ok');
    assert.equal((await store.create(record('e2', { token: 'token-e1' }))).created, true);
    assert.ok(await store.get('e1'));
    await pollUntil(async () => ((await store.get('e1')) === undefined ? true : undefined), 5000, 'the finished record to expire');
  });

  it('should retry writes while Redis restarts, and be unhealthy while it is down', async () => {
    const longRetry = { ...times, leaseTtlMs: 10_000 };
    const one = replica(client(longRetry), 'r', longRetry, systemClock);
    await one.run('r1');
    const store = clients[clients.length - 1];
    const asked: string[] = [];
    await store.onCancel('r', (id) => asked.push(id));
    assert.deepEqual(await store.health(), { up: true, detail: 'redis ready' });
    await redis.stop();
    await pollUntil(async () => ((await store.health()).up ? undefined : true), 3000, 'health to turn red');
    const write = one.writer.update('r1', { state: 'matching' }, 'state matching');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis.start();
    assert.equal(await write, 'ok');
    assert.equal((await store.get('r1'))?.state, 'matching');
    assert.ok((await counter(one.metrics, 'vision_store_errors_total', { operation: 'update' })) >= 1);
    await pollUntil(async () => ((await store.health()).up ? true : undefined), 3000, 'health to turn green');
    // The owner's cancel subscription came back with the connection.
    const other = client();
    await pollUntil(async () => ((await other.requestCancel('r1')) ? true : undefined), 3000, 'the owner to listen again');
    await waitUntil(() => asked.includes('r1'), 2000, 'the cancel after the restart');
  });
});

describe('adoption of a dead replica’s flows, delivered by the HTTP callback sender to a real receiver', () => {
  let redis: RedisServer;
  let dir: string;
  let controller: DemoController;
  const outbound = new OutboundGuard({ allowPrivate: false, allowlist: ['127.0.0.1'] });
  const stores: FlowStore[] = [];

  before(async () => {
    redis = await RedisServer.start();
    dir = await mkdtemp(join(tmpdir(), 'vision-adopt-'));
    controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
  });

  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await outbound.close();
    await controller.close();
    await redis.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should deliver exactly one callback per orphan: service_restarted before the verdict, the recorded verdict after it', async () => {
    const kept = { ...times, finishedTtlMs: 60_000 }; // finished records stay to be looked at
    const sender = new HttpCallbackAdapter({ includeDetails: true, timeoutMs: 2000, outbound });
    const live = ['b', 'c'].map((owner) => {
      const store = createFlowStore(redis.url, kept, systemClock); // as the service will build it from FLOW_STORE
      stores.push(store);
      const r = replica(store, owner, kept, systemClock, (adoption: Adoption) => void deliver(adoption));
      // What the registry will do with an adopted flow: send its outcome, record the delivery, finish it.
      const deliver = async ({ flow }: Adoption) => {
        const attempt = flow.delivery.attempts + 1;
        await sender.send(
          { flowId: flow.id, token: flow.token, callbackBaseUrl: flow.callbackBaseUrl },
          flow.outcome,
          attempt,
          AbortSignal.timeout(5000),
          flowLog(flow.id, flow.token),
        );
        await r.writer.update(
          flow.id,
          { delivery: { ...flow.delivery, attempts: attempt, delivered: true }, finishedAt: Date.now() },
          'the delivery',
        );
        r.keeper.release(flow.id);
      };
      return r;
    });
    const deadStore = new RedisFlowStore(redis.url, times);
    stores.push(deadStore);
    const verdict = { status: 'success' as const, challenges: [{ id: 'blink', passed: true }], match: { distance: 0.21, threshold: 0.4 } };
    await deadStore.create(record('pre', { token: 'pre', callbackBaseUrl: controller.baseUrl }));
    await deadStore.create(
      record('post', {
        token: 'post',
        callbackBaseUrl: controller.baseUrl,
        outcome: verdict,
        delivery: { attempts: 1, delivered: false, webhookId: 'w-post' },
      }),
    );
    const started = Date.now();
    for (const r of live) r.start();
    try {
      const [pre] = await controller.waitForCallbacks('pre', 1, 10_000);
      const [post] = await controller.waitForCallbacks('post', 1, 10_000);
      const took = Date.now() - started;
      assert.ok(took < times.leaseTtlMs * 2 + 5000, `adopted and delivered within 2 TTL + 5 s (took ${took} ms)`);
      assert.equal(pre.status, 'failure');
      assert.equal(JSON.parse(pre.body).reason, 'service_restarted');
      assert.equal(post.status, 'success');
      assert.deepEqual(JSON.parse(post.body).match, verdict.match);
      // Several more scan rounds of both replicas: nobody delivers again.
      await new Promise((resolve) => setTimeout(resolve, times.leaseTtlMs * 3));
      assert.equal(controller.callbacks.filter((c) => c.token === 'pre' || c.token === 'post').length, 2);
      const adopted = live.flatMap((r) => r.adopted.map((a) => `${a.flow.id}:${a.reason}`)).sort();
      assert.deepEqual(adopted, ['post:resume_delivery', 'pre:service_restarted']);
      for (const id of ['pre', 'post']) {
        const stored = await deadStore.get(id);
        assert.equal(stored?.delivery.delivered, true);
        assert.ok(stored?.finishedAt);
      }
      assert.equal((await deadStore.get('post'))?.delivery.webhookId, 'w-post');
    } finally {
      for (const r of live) r.stop();
    }
  });
});
