/**
 * Several replicas acting as one service (issue 15): real service processes (test/sfu/replica-child.ts) on one real
 * redis-server, a round-robin loopback proxy in front, real rooms on the SFU harness with a subject bot, a real
 * HTTP receiver for the callbacks. A SIGKILL is a real crash. Short leases (renew 0.5 s, TTL 2 s) keep it quick;
 * every wait is bounded.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { ReceivedPut, WebhookReceiver } from '../abuse/webhook-receiver';
import { RedisServer } from '../support/redis-server';
import { RoomServer } from '../support/room-server';
import { RoundRobinProxy } from '../support/round-robin-proxy';
import { SubjectBot } from '../support/subject-bot';
import { pollUntil, waitUntil } from '../support/wait';

const LEASE_TTL_S = 2;
/** The bound on the adopted callback after a SIGKILL. */
const ADOPTED_WITHIN_MS = (LEASE_TTL_S + 5) * 1000;

/** One service process. */
class Replica {
  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    private readonly output: () => string,
  ) {}

  static async start(env: Record<string, string>): Promise<Replica> {
    const child = spawn(process.execPath, [join(__dirname, 'replica-child.js'), JSON.stringify(env)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // The root logger reads LOG_LEVEL from the process environment.
      env: { ...process.env, LOG_LEVEL: env.LOG_LEVEL ?? 'error' },
    });
    replicas.add(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitUntil(() => /"listening"/.test(output) || child.exitCode !== null, 60_000, 'a replica to listen');
    const listening = /\{"listening":"([^"]+)"\}/.exec(output);
    assert.ok(listening, `the replica did not start: ${output}`);
    const replica = new Replica(child, listening[1], () => output);
    await pollUntil(async () => ((await fetch(`${replica.baseUrl}/ready`)).ok ? true : undefined), 30_000, 'a replica to be ready', 100);
    return replica;
  }

  /** A crash: no drain, no callback, no goodbye. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
    replicas.delete(this.child);
  }

  async activeFlows(): Promise<number> {
    return ((await (await fetch(`${this.baseUrl}/health`)).json()) as { active_flows: number }).active_flows;
  }

  get log(): string {
    return this.output();
  }
}

const replicas = new Set<ChildProcess>();

async function call(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('replicas on one Redis', () => {
  let redis: RedisServer;
  let server: RoomServer;
  let receiver: WebhookReceiver;
  const bots: SubjectBot[] = [];
  let proxy: RoundRobinProxy | undefined;

  before(async () => {
    // appendfsync always: a Redis restart keeps the records (as the README advises for production).
    redis = await RedisServer.start({ persist: 'always' });
    server = await RoomServer.create();
    receiver = await WebhookReceiver.start({ status: 200, delayMs: 0 });
  });

  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    for (const bot of bots.splice(0)) bot.close();
    await Promise.all(
      [...replicas].map(async (child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    replicas.clear();
    receiver.puts.length = 0;
    receiver.answer = { status: 200, delayMs: 0 };
  });

  after(async () => {
    await receiver.close();
    await server.close();
    await redis.close();
  });

  const env = (): Record<string, string> => ({
    FLOW_STORE: redis.url,
    FLOW_LEASE_RENEW_S: '0.5',
    FLOW_LEASE_TTL_S: String(LEASE_TTL_S),
    CALLBACK_INCLUDE_DETAILS: 'true',
    CALLBACK_BACKOFF_MS: '2000',
    CALLBACK_MAX_ATTEMPTS: '4',
    // The flows stay in their blink challenge (the double's face never blinks) until the test ends them.
    CHALLENGES: 'blink',
    NUMBER_OF_GESTURES_TO_REQUEST: '1',
    CHALLENGE_TIMEOUT_S: '60',
    INSTRUCTION_S: '0.2',
    JOIN_TIMEOUT_S: '10',
    RESULT_DISPLAY_S: '0.2',
    LEAVE_TIMEOUT_S: '1',
    SHUTDOWN_GRACE_S: '0',
  });

  /** A subject in `room`, and the join body of the service for it. */
  async function subjectIn(room: string, token = room) {
    bots.push(await SubjectBot.join({ wsUrl: server.url(room, 'subject'), video: { kind: 'flat', luma: 100 } }));
    return { ws_url: server.url(room, 'vision'), callback_base_url: receiver.baseUrl, token, lang: 'en' };
  }

  /** Resolves once `flowId`, seen through `baseUrl`, is in its challenge. */
  async function inChallenge(baseUrl: string, flowId: string): Promise<void> {
    await pollUntil(
      async () => ((await call(baseUrl, 'GET', `/flows/${flowId}`)).body.state === 'verifying.challenges.running' ? true : undefined),
      20_000,
      'the flow to run its challenge',
      100,
    );
  }

  const putsFor = (token: string): ReceivedPut[] => receiver.puts.filter((p) => p.path.endsWith(`/${token}`));

  /** Waits `ms` more and asserts `token` got exactly one callback: that one. */
  async function exactlyOne(token: string, ms = 1500): Promise<ReceivedPut> {
    await waitUntil(() => putsFor(token).length > 0, ADOPTED_WITHIN_MS + 10_000, `the callback of ${token}`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    const puts = putsFor(token);
    assert.equal(puts.length, 1, JSON.stringify(puts.map((p) => p.path)));
    return puts[0];
  }

  it('should act as one service behind a round-robin proxy: one flow per token, GET and DELETE agree on every replica', async () => {
    const [a, b] = await Promise.all([Replica.start(env()), Replica.start(env())]);
    proxy = await RoundRobinProxy.start([a.baseUrl, b.baseUrl]);
    const body = await subjectIn('fleet-1');
    const first = await call(proxy.baseUrl, 'POST', '/join-call', body);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const id = first.body.flow_id as string;
    // The second join goes to the other replica: the same flow, wherever it runs.
    const again = await call(proxy.baseUrl, 'POST', '/join-call', { ...body, ws_url: server.url('fleet-1', 'vision-2') });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.flow_id, id);
    assert.match(again.body.notice, /already running in this room/);
    assert.deepEqual(again.body.challenges, first.body.challenges);
    const elsewhere = await call(proxy.baseUrl, 'POST', '/join-call', { ...body, ws_url: server.url('fleet-2', 'vision') });
    assert.equal(elsewhere.status, 409);
    assert.equal(elsewhere.body.flow_id, id);
    assert.equal((await a.activeFlows()) + (await b.activeFlows()), 1, 'one flow in the fleet');

    await inChallenge(a.baseUrl, id);
    const [viewA, viewB] = await Promise.all([call(a.baseUrl, 'GET', `/flows/${id}`), call(b.baseUrl, 'GET', `/flows/${id}`)]);
    for (const view of [viewA, viewB]) {
      assert.equal(view.status, 200);
      assert.equal(view.body.flow_id, id);
      assert.equal(view.body.token, body.token);
      assert.equal(view.body.state, 'verifying.challenges.running');
      assert.deepEqual(
        view.body.challenges.map((c: { id: string; status: string }) => [c.id, c.status]),
        [['blink', 'running']],
      );
    }
    // DELETE on the replica that does not run it: the owner cancels it.
    const owner = (await a.activeFlows()) === 1 ? a : b;
    const other = owner === a ? b : a;
    const cancelled = await call(other.baseUrl, 'DELETE', `/flows/${id}`);
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.flow_id, id);
    const put = await exactlyOne(body.token);
    assert.match(put.path, /\/failure\//);
    assert.equal(JSON.parse(put.body).reason, 'cancelled');
    await pollUntil(
      async () => {
        const views = await Promise.all([a, b].map((r) => call(r.baseUrl, 'GET', `/flows/${id}`)));
        return views.every((v) => v.body.reason === 'cancelled' && v.body.callback_delivered === true) ? true : undefined;
      },
      10_000,
      'both replicas to show the cancelled flow',
    );
    assert.equal((await call(other.baseUrl, 'DELETE', `/flows/${id}`)).status, 404, 'a finished flow is not cancelled again');
    assert.equal((await call(proxy.baseUrl, 'GET', '/flows/no-such-flow')).status, 404);
  });

  it(`should fail a flow with service_restarted, once, from the other replica within TTL + 5 s when its replica is killed mid-challenge`, async () => {
    const [a, b] = await Promise.all([Replica.start(env()), Replica.start(env())]);
    const body = await subjectIn('kill-1');
    const joined = await call(a.baseUrl, 'POST', '/join-call', body);
    assert.equal(joined.status, 202);
    await inChallenge(b.baseUrl, joined.body.flow_id);
    const killedAt = Date.now();
    await a.kill();
    const put = await exactlyOne(body.token);
    const tookMs = put.at - killedAt;
    assert.match(put.path, /\/failure\//);
    assert.equal(JSON.parse(put.body).reason, 'service_restarted');
    assert.equal(put.headers['webhook-id'], `msg_${joined.body.flow_id}_failure`);
    assert.ok(tookMs < ADOPTED_WITHIN_MS, `adopted callback ${tookMs} ms after the SIGKILL`);
    const view = await call(b.baseUrl, 'GET', `/flows/${joined.body.flow_id}`);
    assert.equal(view.body.reason, 'service_restarted');
    assert.equal(view.body.callback_delivered, true);
    console.log(`SIGKILL mid-challenge → adopted failure callback: ${tookMs} ms`);
  });

  it('should deliver the recorded outcome with the same webhook-id from the other replica when the owner dies between callback attempts', async () => {
    // b logs its callback attempts.
    const [a, b] = await Promise.all([Replica.start(env()), Replica.start({ ...env(), LOG_LEVEL: 'info' })]);
    receiver.answer = { status: 503, delayMs: 0 };
    // No room server there: the join fails at once and the verdict is failure (transport), no subject needed.
    const body = { ws_url: 'ws://127.0.0.1:9/?roomId=r&peerId=vision', callback_base_url: receiver.baseUrl, token: 'refused-1' };
    const joined = await call(a.baseUrl, 'POST', '/join-call', body);
    assert.equal(joined.status, 202);
    await waitUntil(() => putsFor(body.token).length === 1, 20_000, 'the first callback attempt');
    const killedAt = Date.now();
    await a.kill();
    receiver.answer = { status: 200, delayMs: 0 };
    await waitUntil(() => putsFor(body.token).length === 2, ADOPTED_WITHIN_MS, 'the adopted delivery');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [refused, delivered] = putsFor(body.token);
    const tookMs = delivered.at - killedAt;
    assert.equal(putsFor(body.token).length, 2);
    assert.equal(delivered.path, refused.path, 'the same outcome');
    assert.equal(delivered.body, refused.body, 'the same reason and challenges');
    assert.equal(delivered.headers['webhook-id'], refused.headers['webhook-id']);
    assert.notEqual(JSON.parse(delivered.body).reason, 'service_restarted');
    const view = await call(b.baseUrl, 'GET', `/flows/${joined.body.flow_id}`);
    assert.equal(view.body.callback_delivered, true);
    assert.match(b.log, /callback attempt 2: PUT failure/, 'the attempt numbers continue');
    console.log(`SIGKILL after the verdict → adopted delivery: ${tookMs} ms`);
  });

  it('should let a restarted single replica fail its own orphan with service_restarted', async () => {
    const a = await Replica.start(env());
    const body = await subjectIn('restart-1');
    const joined = await call(a.baseUrl, 'POST', '/join-call', body);
    await inChallenge(a.baseUrl, joined.body.flow_id);
    const killedAt = Date.now();
    await a.kill();
    const restarted = await Replica.start(env());
    const restartedAt = Date.now();
    const put = await exactlyOne(body.token);
    const tookMs = put.at - killedAt;
    assert.equal(JSON.parse(put.body).reason, 'service_restarted');
    assert.equal((await call(restarted.baseUrl, 'GET', `/flows/${joined.body.flow_id}`)).body.reason, 'service_restarted');
    assert.ok(put.at - restartedAt < ADOPTED_WITHIN_MS, `adopted ${put.at - restartedAt} ms after the restart`);
    console.log(`SIGKILL + restart of a single replica → adopted failure callback: ${tookMs} ms (${put.at - restartedAt} ms after ready)`);
  });

  it('should keep a flow through a Redis restart: /ready red while it is down, then exactly one callback', async () => {
    const [a, b] = await Promise.all([Replica.start(env()), Replica.start(env())]);
    const body = await subjectIn('redis-1');
    const joined = await call(a.baseUrl, 'POST', '/join-call', body);
    const id = joined.body.flow_id as string;
    await inChallenge(a.baseUrl, id);
    await redis.stop();
    for (const replica of [a, b]) {
      const ready = await pollUntil(
        async () => {
          const res = await call(replica.baseUrl, 'GET', '/ready');
          return res.status === 503 ? res : undefined;
        },
        5000,
        '/ready to turn red',
      );
      assert.equal(ready.body.error?.flow_store?.status, 'down', JSON.stringify(ready.body));
    }
    assert.equal((await call(a.baseUrl, 'GET', `/flows/${id}`)).status, 200, 'the owner still shows its flow');
    assert.equal((await call(b.baseUrl, 'GET', `/flows/${id}`)).status, 503, 'the other replica cannot know');
    // Down for longer than the lease TTL: the other replica must not adopt the flow once Redis is back.
    await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_S * 1000 + 500));
    await redis.start();
    for (const replica of [a, b])
      await pollUntil(async () => ((await fetch(`${replica.baseUrl}/ready`)).ok ? true : undefined), 10_000, '/ready');
    await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_S * 1000 + 1000));
    assert.equal(putsFor(body.token).length, 0, 'no adoption of a live flow after the outage');
    assert.equal((await call(b.baseUrl, 'DELETE', `/flows/${id}`)).status, 202);
    const put = await exactlyOne(body.token);
    assert.equal(JSON.parse(put.body).reason, 'cancelled');
  });
});
