import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowStore, StoreTimes } from '../../src/store/flow-store.port';
import { StoreError } from '../../src/store/flow-store.port';
import { adoptionOf } from '../../src/store/leases';
import { MemoryFlowStore } from '../../src/store/memory-flow-store';
import { FakeClock } from '../support/fake-clock';
import { counter, replica } from '../support/replica';

const times: StoreTimes = { leaseTtlMs: 10_000, renewEveryMs: 2_000, finishedTtlMs: 60_000 };

function setup() {
  const clock = new FakeClock();
  const store = new MemoryFlowStore(times, () => clock.now());
  return { clock, store };
}

/** A store whose every operation fails while `down` is set (an unreachable Redis). */
function flaky(store: FlowStore): FlowStore & { down: boolean } {
  const wrapped = { down: false } as FlowStore & { down: boolean };
  for (const name of ['create', 'get', 'update', 'renew', 'expired', 'claim', 'requestCancel', 'onCancel', 'health', 'close'] as const) {
    (wrapped as unknown as Record<string, unknown>)[name] = (...args: unknown[]) =>
      wrapped.down
        ? Promise.reject(new StoreError(name, 'connection refused'))
        : (store[name] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
  }
  return wrapped;
}

describe('adoptionOf', () => {
  const { store } = setup();
  const base = replica(store, 'a', times, new FakeClock()).writer.newRecord({
    id: 'f1',
    token: 't',
    room: 'r',
    callbackBaseUrl: 'http://127.0.0.1:1',
    state: 'verifying.challenges.running',
    challenges: [
      { id: 'blink', status: 'passed' },
      { id: 'smile', status: 'running' },
    ],
  });

  it('should fail a flow without verdict with service_restarted, keeping the challenge results', () => {
    const adoption = adoptionOf(base);
    assert.equal(adoption.reason, 'service_restarted');
    assert.deepEqual(adoption.flow.outcome, {
      status: 'failure',
      reason: 'service_restarted',
      challenges: [
        { id: 'blink', passed: true },
        { id: 'smile', passed: false },
      ],
    });
  });

  it('should deliver a recorded verdict as it was', () => {
    const outcome = { status: 'success' as const, challenges: [{ id: 'blink', passed: true }], match: { distance: 0.2, threshold: 0.4 } };
    const adoption = adoptionOf({ ...base, outcome, delivery: { attempts: 2, delivered: false, webhookId: 'msg_f1_success' } });
    assert.equal(adoption.reason, 'resume_delivery');
    assert.deepEqual(adoption.flow.outcome, outcome);
    assert.equal(adoption.flow.delivery.webhookId, 'msg_f1_success');
  });
});

describe('leases and adoption (fake clock)', () => {
  it('should keep a live owner’s flows: renewals every 2 s, nobody adopts them', async () => {
    const { clock, store } = setup();
    const a = replica(store, 'a', times, clock);
    const b = replica(store, 'b', times, clock);
    await a.run('f1');
    a.start();
    b.start();
    await clock.advance(60_000);
    a.stop();
    b.stop();
    assert.deepEqual(b.adopted, []);
    assert.equal((await store.get('f1'))?.owner, 'a');
    assert.ok((await store.get('f1'))!.leaseExpiresAt > clock.now() + times.leaseTtlMs - times.renewEveryMs - 1);
    assert.equal(await counter(a.metrics, 'vision_lease_renewals_late_total'), 0);
  });

  it('should adopt a dead owner’s flow once the TTL passed, record service_restarted, and hold its lease', async () => {
    const { clock, store } = setup();
    const dead = replica(store, 'dead', times, clock);
    const b = replica(store, 'b', times, clock);
    await dead.run('f1');
    b.start();
    // The adopter waits one TTL of a reachable store, then the lease (10 s from creation) is expired.
    await clock.advance(times.leaseTtlMs - 1);
    assert.equal(b.adopted.length, 0);
    await clock.advance(times.leaseTtlMs + times.renewEveryMs);
    b.stop();
    assert.equal(b.adopted.length, 1);
    assert.equal(b.adopted.at(0)?.reason, 'service_restarted');
    const stored = await store.get('f1');
    assert.equal(stored?.owner, 'b');
    assert.equal(stored?.outcome?.reason, 'service_restarted');
    assert.ok(b.keeper.holds('f1'));
    assert.equal(await counter(b.metrics, 'vision_flows_adopted_total', { reason: 'service_restarted' }), 1);
  });

  it('should let exactly one of two racing replicas adopt each orphan', async () => {
    const { clock, store } = setup();
    const dead = replica(store, 'dead', times, clock);
    const ids = Array.from({ length: 20 }, (_, i) => `f${i}`);
    for (const id of ids) await dead.run(id);
    const b = replica(store, 'b', times, clock);
    const c = replica(store, 'c', times, clock);
    await Promise.all([b.adopter.scan(), c.adopter.scan()]); // both see a reachable store from now on
    await clock.advance(times.leaseTtlMs + 1);
    const [fromB, fromC] = await Promise.all([b.adopter.scan(), c.adopter.scan()]);
    const all = [...fromB, ...fromC].map((a) => a.flow.id).sort();
    assert.deepEqual(all, [...ids].sort());
    assert.ok(fromB.length > 0 && fromC.length > 0, `both raced for real (b ${fromB.length}, c ${fromC.length})`);
    assert.deepEqual(await Promise.all([b.adopter.scan(), c.adopter.scan()]), [[], []]);
  });

  it('should resume delivery of a recorded verdict', async () => {
    const { clock, store } = setup();
    const dead = replica(store, 'dead', times, clock);
    await dead.run('f1');
    const outcome = { status: 'success' as const, challenges: [] };
    assert.equal(
      await dead.writer.update('f1', { outcome, delivery: { attempts: 1, delivered: false, webhookId: 'w1' } }, 'verdict'),
      'ok',
    );
    const b = replica(store, 'b', times, clock);
    await b.adopter.scan();
    await clock.advance(times.leaseTtlMs + 1);
    const [adoption] = await b.adopter.scan();
    assert.equal(adoption.reason, 'resume_delivery');
    assert.deepEqual(adoption.flow.outcome, outcome);
    assert.equal(adoption.flow.delivery.webhookId, 'w1');
    assert.equal(await counter(b.metrics, 'vision_flows_adopted_total', { reason: 'resume_delivery' }), 1);
  });

  it('should tell a stalled owner its flow was adopted; its writes then answer lost', async () => {
    const { clock, store } = setup();
    const a = replica(store, 'a', times, clock);
    const b = replica(store, 'b', times, clock);
    await a.run('f1');
    await b.adopter.scan();
    await clock.advance(times.leaseTtlMs + 1); // a's event loop stalled: no renewal
    assert.equal((await b.adopter.scan()).length, 1);
    await a.keeper.renew();
    assert.deepEqual(a.lost, ['f1']);
    assert.equal(a.keeper.holds('f1'), false);
    assert.equal(await a.writer.update('f1', { state: 'matching' }, 'state'), 'lost');
    assert.equal(await counter(a.metrics, 'vision_lease_renewals_late_total'), 1);
  });

  it('should not adopt its own live flow whose renewal is late', async () => {
    const { clock, store } = setup();
    const a = replica(store, 'a', times, clock);
    await a.run('f1');
    await a.adopter.scan();
    await clock.advance(times.leaseTtlMs + 1);
    assert.deepEqual(await a.adopter.scan(), []);
    assert.deepEqual(a.adopted, []);
  });

  it('should wait one TTL after a store outage before adopting, so live owners renew first', async () => {
    const { clock, store: memory } = setup();
    const store = flaky(memory);
    const a = replica(store, 'a', times, clock);
    const b = replica(store, 'b', times, clock);
    await a.run('f1');
    b.start(); // b's scans run before a's renewals on the same tick
    a.start();
    await clock.advance(4_000);
    store.down = true;
    await clock.advance(20_000); // a cannot renew: in the store its lease expired
    store.down = false;
    await clock.advance(times.leaseTtlMs);
    a.stop();
    b.stop();
    assert.deepEqual(b.adopted, []);
    assert.equal((await memory.get('f1'))?.owner, 'a');
    assert.ok((await counter(b.metrics, 'vision_store_errors_total', { operation: 'expired' })) > 0);
    assert.equal(await counter(a.metrics, 'vision_lease_renewals_late_total'), 1);
  });

  it('should retry writes through a short outage, and log what it could not record after one TTL', async () => {
    const { clock, store: memory } = setup();
    const store = flaky(memory);
    const a = replica(store, 'a', times, clock);
    await a.run('f1');
    store.down = true;
    const write = a.writer.update('f1', { state: 'matching' }, 'state matching');
    await clock.advance(1_000);
    store.down = false;
    await clock.advance(2_000);
    assert.equal(await write, 'ok');
    assert.equal((await memory.get('f1'))?.state, 'matching');
    store.down = true;
    const lostWrite = a.writer.update('f1', { state: 'finishing' }, 'state finishing');
    await clock.advance(times.leaseTtlMs + 2_000);
    assert.equal(await lostWrite, 'unrecorded');
    const errors = await counter(a.metrics, 'vision_store_errors_total', { operation: 'update' });
    assert.ok(errors >= 8, `${errors} errors counted`);
  });
});

describe('StoreWriter order', () => {
  it('should never let a retried old write overwrite a newer one, and merge writes queued behind it', async () => {
    const { clock, store: memory } = setup();
    const store = flaky(memory);
    const a = replica(store, 'a', times, clock);
    await a.run('f1');
    store.down = true;
    const first = a.writer.update('f1', { state: 'matching' }, 'state matching'); // fails, retries in 100 ms
    await clock.advance(50);
    store.down = false;
    const second = a.writer.update('f1', { state: 'finishing' }, 'state finishing');
    const third = a.writer.update('f1', { challenges: [{ id: 'blink', status: 'passed' }] }, 'challenges');
    await clock.advance(1_000);
    assert.deepEqual(await Promise.all([first, second, third]), ['ok', 'ok', 'ok']);
    const stored = await memory.get('f1');
    assert.equal(stored?.state, 'finishing');
    assert.deepEqual(stored?.challenges, [{ id: 'blink', status: 'passed' }]);
  });
});

describe(MemoryFlowStore.name, () => {
  it('should keep a token for one running flow, answer re-joins with it, and free it when the flow finishes', async () => {
    const { clock, store } = setup();
    const a = replica(store, 'a', times, clock);
    assert.deepEqual(await a.run('f1', 'tok', 'room-1'), { created: true });
    assert.deepEqual(await a.run('f1', 'tok', 'room-1'), { created: true }, 'a retried create');
    const again = await a.run('f2', 'tok', 'room-1');
    assert.equal(again.created, false);
    assert.equal(!again.created && again.holder.id, 'f1');
    assert.equal(!again.created && again.holder.room, 'room-1');
    assert.equal(await a.writer.update('f1', { finishedAt: clock.now() }, 'end'), 'ok');
    assert.deepEqual(await a.run('f3', 'tok', 'room-2'), { created: true });
  });

  it('should expire finished flows after the finished TTL', async () => {
    const { clock, store } = setup();
    const a = replica(store, 'a', times, clock);
    await a.run('f1');
    await a.writer.update('f1', { finishedAt: clock.now() }, 'end');
    await clock.advance(times.finishedTtlMs - 1);
    assert.ok(await store.get('f1'));
    await clock.advance(1);
    assert.equal(await store.get('f1'), undefined);
  });

  it('should pass cancel requests to the owner, and answer false for a finished flow', async () => {
    const { clock, store } = setup();
    const a = replica(store, 'a', times, clock);
    const asked: string[] = [];
    await store.onCancel('a', (id) => asked.push(id));
    await a.run('f1');
    assert.equal(await store.requestCancel('f1'), true);
    assert.deepEqual(asked, ['f1']);
    await a.writer.update('f1', { finishedAt: clock.now() }, 'end');
    assert.equal(await store.requestCancel('f1'), false);
    assert.equal(await store.requestCancel('nope'), false);
  });
});
