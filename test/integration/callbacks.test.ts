import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallbackError, FlowOutcome } from '../../src/callbacks/callback.port';
import { HttpCallbackAdapter, SIGNATURE_HEADER } from '../../src/callbacks/http-callback.adapter';
import { DemoController } from '../demo/demo-controller';
import { OutboundGuard } from '../../src/outbound/outbound-guard';

const outbound = new OutboundGuard({ allowPrivate: false, allowlist: ['127.0.0.1'] });

const outcome: FlowOutcome = {
  status: 'failure',
  reason: 'no_match',
  challenges: [{ id: 'blink', passed: true }],
  match: { distance: 0.61, threshold: 0.4 },
};

describe(HttpCallbackAdapter.name, () => {
  let dir: string;
  let controller: DemoController;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vision-cb-'));
    controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
  });

  after(async () => {
    await outbound.close();
    await controller.close();
    await rm(dir, { recursive: true, force: true });
  });

  const target = (token: string) => ({ flowId: 'f', token, callbackBaseUrl: `${controller.baseUrl}//` });

  it('should PUT /failure/{token} with no body by default, token URL-encoded', async () => {
    const adapter = new HttpCallbackAdapter({ includeDetails: false, timeoutMs: 2000, outbound });
    await adapter.send(target('a b/c'), outcome, 1, AbortSignal.timeout(5000));
    const [received] = await controller.waitForCallbacks('a b/c');
    assert.equal(received.status, 'failure');
    assert.equal(received.body, '');
    assert.ok(controller.requests.includes('PUT /failure/a b/c'));
    assert.equal(received.headers[SIGNATURE_HEADER], undefined);
  });

  it('should send details and a verifiable HMAC signature when configured', async () => {
    const secret = 's3cret';
    const adapter = new HttpCallbackAdapter({ includeDetails: true, hmacSecret: secret, timeoutMs: 2000, outbound });
    await adapter.send(target('signed'), outcome, 1, AbortSignal.timeout(5000));
    const [received] = await controller.waitForCallbacks('signed');
    assert.deepEqual(JSON.parse(received.body), {
      reason: 'no_match',
      challenges: [{ id: 'blink', passed: true }],
      match: { distance: 0.61, threshold: 0.4 },
    });
    const header = String(received.headers[SIGNATURE_HEADER]);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    assert.ok(t && v1, `header format: ${header}`);
    assert.ok(Math.abs(Number(t) - Date.now() / 1000) < 60);
    assert.equal(v1, createHmac('sha256', secret).update(`${t}.${received.body}`).digest('hex'));
  });

  it('should call 5xx and network errors retryable, 4xx final', async () => {
    const adapter = new HttpCallbackAdapter({ includeDetails: false, timeoutMs: 2000, outbound });
    controller.failCallbacks = 1;
    await assert.rejects(
      adapter.send(target('r'), outcome, 1, AbortSignal.timeout(5000)),
      (e: unknown) => e instanceof CallbackError && e.retryable,
    );
    await assert.rejects(
      adapter.send({ ...target('r'), callbackBaseUrl: 'http://127.0.0.1:9' }, outcome, 1, AbortSignal.timeout(5000)),
      (e: unknown) => e instanceof CallbackError && e.retryable,
    );
    await assert.rejects(
      adapter.send(
        { ...target('r'), callbackBaseUrl: `${controller.baseUrl}/nowhere/deeper` },
        { ...outcome, status: 'success' },
        1,
        AbortSignal.timeout(5000),
      ),
      (e: unknown) => e instanceof CallbackError && !e.retryable,
    );
  });
});
