/**
 * What the Redis flow store adds to a flow, on a redis-server started on loopback for the run.
 * Usage: npm run bench:store [-- --changes N --flows N]
 * Prints one JSON line: latency of one recorded state change (the owner's write, as a flow makes it: retrying
 * writer, Lua update) without persistence and with an append-only file fsynced every second, the same under 8
 * flows writing at once, and Redis memory per finished flow record.
 */
import { Redis } from 'ioredis';
import { Metrics } from '../src/observability/metrics';
import { systemClock } from '../src/store/clock';
import type { StoreTimes } from '../src/store/flow-store.port';
import { RedisFlowStore } from '../src/store/redis-flow-store';
import { StoreWriter } from '../src/store/store-writer';
import { RedisServer } from '../test/support/redis-server';

const times: StoreTimes = { leaseTtlMs: 10_000, renewEveryMs: 2_000, finishedTtlMs: 3_600_000 };
const STATES = ['joining', 'instructing', 'verifying.challenges.running', 'verifying.challenges.between', 'matching', 'finishing'];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function quantiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 1000) / 1000;
  return { p50: at(0.5), p99: at(0.99), mean: Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 1000) / 1000 };
}

function newWriter(store: RedisFlowStore, owner: string): StoreWriter {
  return new StoreWriter({ store, owner, times, clock: systemClock, metrics: new Metrics() });
}

/** `flows` flows, each recording `changes` state changes one after another; all flows at once. */
async function stateChanges(url: string, flows: number, changes: number): Promise<number[]> {
  const store = new RedisFlowStore(url, times);
  const writer = newWriter(store, `bench-${flows}`);
  const samples: number[] = [];
  await Promise.all(
    Array.from({ length: flows }, async (_, f) => {
      const id = `lat-${flows}-${f}`;
      await writer.create(
        writer.newRecord({ id, token: id, room: 'room', callbackBaseUrl: 'http://127.0.0.1:1', state: 'joining', challenges: [] }),
      );
      for (let i = 0; i < changes; i++) {
        const t0 = performance.now();
        const result = await writer.update(id, { state: STATES[i % STATES.length] }, 'state');
        samples.push(performance.now() - t0);
        if (result !== 'ok') throw new Error(`update answered ${result}`);
      }
    }),
  );
  await store.close();
  return samples;
}

/** Bytes of Redis memory per finished flow record (a realistic one: 2 challenges, verdict with match, webhook-id). */
async function bytesPerFinishedFlow(url: string, count: number): Promise<number> {
  const store = new RedisFlowStore(url, times);
  const writer = newWriter(store, 'bench-memory');
  const info = new Redis(url);
  const used = async () => Number(/used_memory:(\d+)/.exec(await info.info('memory'))![1]);
  const before = await used();
  for (let i = 0; i < count; i++) {
    const id = crypto.randomUUID();
    const challenges = [
      { id: 'blink', status: 'passed' },
      { id: 'turn-head-left', status: 'passed' },
    ];
    await writer.create(
      writer.newRecord({
        id,
        token: crypto.randomUUID(),
        room: 'wss://webrtc.example.org:443/?roomId=abcdef012345',
        callbackBaseUrl: 'https://controller.example.org/vision',
        state: 'joining',
        challenges,
      }),
    );
    const outcome = {
      status: 'success' as const,
      challenges: challenges.map((c) => ({ id: c.id, passed: true })),
      match: { distance: 0.2134, threshold: 0.4 },
    };
    await writer.update(
      id,
      {
        state: 'done',
        challenges,
        outcome,
        delivery: { attempts: 1, delivered: true, webhookId: `msg_${id}_success` },
        finishedAt: Date.now(),
      },
      'end',
    );
  }
  const after = await used();
  info.disconnect();
  await store.close();
  return Math.round((after - before) / count);
}

async function main(): Promise<void> {
  const changes = arg('changes', 2000);
  const flows = arg('flows', 1000);
  const plain = await RedisServer.start();
  const aof = await RedisServer.start({ persist: 'everysec' });
  try {
    await stateChanges(plain.url, 1, 200); // warm-up: connections, script cache
    const result = {
      redis: 'redis-server on 127.0.0.1',
      state_changes: changes,
      state_change_ms: quantiles(await stateChanges(plain.url, 1, changes)),
      state_change_aof_everysec_ms: quantiles(await stateChanges(aof.url, 1, changes)),
      state_change_8_flows_ms: quantiles(await stateChanges(plain.url, 8, Math.ceil(changes / 8))),
      finished_flows: flows,
      redis_bytes_per_finished_flow: await bytesPerFinishedFlow(plain.url, flows),
    };
    console.log(JSON.stringify(result));
  } finally {
    await plain.close();
    await aof.close();
  }
}

void main();
