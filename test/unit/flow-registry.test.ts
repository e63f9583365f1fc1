import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ALL_CHALLENGES } from '../../challenges';
import { loadConfig } from '../../src/config/app-config';
import { FlowInspector } from '../../src/flow/flow-inspector';
import type { Flow } from '../../src/flow/flow';
import { Admission, FlowRegistry, FlowRejection } from '../../src/flow/flow-registry';
import type { FlowRequest } from '../../src/flow/flow.types';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import { Metrics } from '../../src/observability/metrics';
import { pollUntil, waitUntil } from '../support/wait';
import { brokenChallenge } from '../support/broken-challenge';
import { FakeCallbacks, FakeFace, FakeMatcher, FakeReferences, FakeTransport, frame } from '../support/flow-fakes';
import { locales } from '../support/flow-harness';

/** A registry over fake ports; flows hang in the join (FakeTransport 'hang') unless the test says otherwise. */
function setup(env: Record<string, string> = {}) {
  const config = loadConfig({ MAX_CONCURRENT_FLOWS: '2', SHUTDOWN_GRACE_S: '0', RESULT_DISPLAY_S: '0', INSTRUCTION_S: '0', ...env });
  const transport = new FakeTransport();
  transport.mode = 'hang';
  const callbacks = new FakeCallbacks();
  const face = new FakeFace();
  const registry = new FlowRegistry(
    config,
    transport,
    face,
    new FakeReferences(),
    new FakeMatcher(),
    callbacks,
    new ChallengeRegistry([...ALL_CHALLENGES, brokenChallenge], locales),
    locales,
    new FlowInspector(config),
    new Metrics(),
  );
  registries.push(registry);
  return { registry, transport, callbacks, face };
}

const registries: FlowRegistry[] = [];
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.beforeApplicationShutdown()));
});

const request = (token: string, roomId = 'r1', peerId = 'vision'): FlowRequest => ({
  wsUrl: `ws://127.0.0.1:4443/?roomId=${roomId}&peerId=${peerId}`,
  callbackBaseUrl: 'http://127.0.0.1:2',
  token,
  lang: 'en',
});

/** The flow of an admission answered by this process. */
function here(admission: Admission): Flow {
  assert.ok(admission.flow, 'a flow of this process');
  return admission.flow;
}

async function rejection(promise: Promise<unknown>): Promise<FlowRejection> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FlowRejection, String(error));
    return error;
  }
  assert.fail('admitted');
}

describe('FlowRegistry admission', () => {
  it('should answer a re-join of the same token in the same room with the running flow', async () => {
    const { registry } = setup();
    const first = await registry.start(request('t'));
    const again = await registry.start(request('t', 'r1', 'vision-2'));
    assert.equal(first.rejoined, false);
    assert.equal(again.rejoined, true);
    assert.equal(again.flow, first.flow);
    assert.equal(registry.activeCount, 1);
  });

  it('should refuse the same token in another room with token_in_use, naming the running flow', async () => {
    const { registry } = setup();
    const flow = here(await registry.start(request('t')));
    const refused = await rejection(registry.start(request('t', 'r2')));
    assert.equal(refused.kind, 'token_in_use');
    assert.equal(refused.flowId, flow.id);
  });

  it('should refuse past MAX_CONCURRENT_FLOWS and admit again once a flow has ended', async () => {
    const { registry } = setup();
    const flow = here(await registry.start(request('a')));
    await registry.start(request('b'));
    const refused = await rejection(registry.start(request('c')));
    assert.equal(refused.kind, 'too_many_flows');
    assert.match(refused.message, /2 flows are running, the limit is 2/);
    assert.equal(registry.cancel(flow.id), flow);
    await flow.done;
    assert.equal(registry.activeCount, 1);
    assert.equal((await registry.start(request('c'))).rejoined, false);
  });

  it('should keep a finished flow listed, with its token free for a new flow', async () => {
    const { registry, callbacks } = setup();
    const flow = here(await registry.start(request('t')));
    registry.cancel(flow.id);
    await flow.done;
    assert.equal(registry.get(flow.id), flow);
    assert.equal(registry.cancel(flow.id), undefined, 'a finished flow cannot be cancelled');
    const view = flow.view();
    assert.equal(view.reason, 'cancelled');
    assert.equal(view.callback_delivered, true);
    assert.ok(view.finished_at);
    assert.equal(callbacks.attempts.length, 1);
    const next = await registry.start(request('t'));
    assert.notEqual(here(next).id, flow.id);
  });

  it('should refuse new flows once draining, and fail the running ones with service_shutdown', async () => {
    const { registry, callbacks } = setup();
    const flow = here(await registry.start(request('t')));
    const drained = registry.beforeApplicationShutdown();
    assert.equal(registry.isDraining, true);
    assert.equal((await rejection(registry.start(request('u')))).kind, 'draining');
    await drained;
    assert.equal(registry.activeCount, 0);
    assert.equal(flow.view().reason, 'service_shutdown');
    assert.deepEqual(
      callbacks.attempts.map((a) => [a.target.token, a.outcome.status, a.outcome.reason]),
      [['t', 'failure', 'service_shutdown']],
    );
  });
});

describe('FlowRegistry and its flow store (memory)', () => {
  it('should record the flow at admission, its verdict and delivery, and free the token when it ends', async () => {
    const { registry, callbacks } = setup();
    const flow = here(await registry.start(request('t')));
    const created = await registry.stored(flow.id);
    assert.deepEqual([created?.token, created?.room, created?.outcome], ['t', flow.room, undefined]);
    registry.cancel(flow.id);
    await flow.done;
    await waitUntil(() => callbacks.attempts.length === 1, 2000, 'the callback');
    const record = await pollUntil(
      async () => ((await registry.stored(flow.id))?.finishedAt ? registry.stored(flow.id) : undefined),
      2000,
      'the end',
    );
    assert.deepEqual([record?.outcome?.status, record?.outcome?.reason], ['failure', 'cancelled']);
    assert.deepEqual(record?.delivery, { attempts: 1, delivered: true, webhookId: `msg_${flow.id}_failure` });
    assert.equal(record?.state, 'done');
    assert.equal((await registry.start(request('t', 'r2'))).rejoined, false, 'the token is free, in another room too');
  });

  it('should refuse a join with store_unavailable when the store stays unreachable, and start nothing', async () => {
    const { registry, transport } = setup({ FLOW_STORE: 'redis://127.0.0.1:1', FLOW_LEASE_TTL_S: '2', FLOW_LEASE_RENEW_S: '1' });
    const refused = await rejection(registry.start(request('t')));
    assert.equal(refused.kind, 'store_unavailable');
    assert.equal(registry.activeCount, 0);
    assert.equal(transport.listener, undefined, 'no room joined');
    assert.equal((await registry.storeHealth()).up, false);
  });
});

describe('FlowRegistry crash net', () => {
  it('should tell the controller once, failure internal_error, when the machine throws', async () => {
    const { registry, transport, callbacks } = setup({ CHALLENGES: 'broken', NUMBER_OF_GESTURES_TO_REQUEST: '1' });
    transport.mode = 'join';
    const flow = here(await registry.start(request('crash')));
    await waitUntil(() => transport.listener !== undefined, 2000, 'the join');
    transport.listener!.onSubjectVideoStarted();
    // Steady face first (the challenge starts), then the frame whose observation reaches the broken plugin.
    for (let i = 1; i <= 20 && flow.view().state !== 'crashed'; i++) {
      transport.listener!.onSubjectFrame(frame(i * 100));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await flow.done;
    const view = flow.view();
    assert.equal(view.state, 'crashed');
    assert.equal(view.outcome, 'failure');
    assert.equal(view.reason, 'internal_error');
    assert.match(view.message ?? '', /plugin bug/);
    assert.equal(view.callback_delivered, true);
    assert.deepEqual(
      callbacks.attempts.map((a) => [a.outcome.status, a.outcome.reason, a.attempt]),
      [['failure', 'internal_error', 1]],
    );
    assert.equal(registry.activeCount, 0);
    assert.equal(transport.closes, 1, 'the crashed flow left the room');
  });
});
