import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallbackError, FlowOutcome } from '../../src/callbacks/callback.port';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpCallbackAdapter, SIGNATURE_HEADER, signCallback } from '../../src/callbacks/http-callback.adapter';
import { DemoController } from '../../demo/demo-controller';
import { startApp } from '../support/app';
import { OutboundGuard } from '../../src/outbound/outbound-guard';
import { flowLog } from '../../src/observability/logger';

/** Where the adapters under test log (the flow's logger in the service). */
const testLog = flowLog('callbacks-test');

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
    await adapter.send(target('a b/c'), outcome, 1, AbortSignal.timeout(5000), testLog);
    const [received] = await controller.waitForCallbacks('a b/c');
    assert.equal(received.status, 'failure');
    assert.equal(received.body, '');
    assert.ok(controller.requests.includes('PUT /failure/a b/c'));
    assert.equal(received.headers[SIGNATURE_HEADER], undefined);
  });

  it('should send details and a verifiable HMAC signature when configured', async () => {
    const secret = 's3cret';
    const adapter = new HttpCallbackAdapter({ includeDetails: true, hmacSecret: secret, timeoutMs: 2000, outbound });
    await adapter.send(target('signed'), outcome, 1, AbortSignal.timeout(5000), testLog);
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
      adapter.send(target('r'), outcome, 1, AbortSignal.timeout(5000), testLog),
      (e: unknown) => e instanceof CallbackError && e.retryable,
    );
    await assert.rejects(
      adapter.send({ ...target('r'), callbackBaseUrl: 'http://127.0.0.1:9' }, outcome, 1, AbortSignal.timeout(5000), testLog),
      (e: unknown) => e instanceof CallbackError && e.retryable,
    );
    await assert.rejects(
      adapter.send(
        { ...target('r'), callbackBaseUrl: `${controller.baseUrl}/nowhere/deeper` },
        { ...outcome, status: 'success' },
        1,
        AbortSignal.timeout(5000),
        testLog,
      ),
      (e: unknown) => e instanceof CallbackError && !e.retryable,
    );
  });

  describe('redirects', () => {
    let redirector: Server;
    let redirectorUrl: string;
    /** Status and Location the redirector answers every request with. */
    let answer: { status: number; location: () => string };

    before(async () => {
      redirector = createServer((req, res) => res.writeHead(answer.status, { location: answer.location() }).end());
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/vision`;
    });
    after(() => redirector.close());

    const secret = 'redirect-secret';
    const adapter = () => new HttpCallbackAdapter({ includeDetails: true, hmacSecret: secret, timeoutMs: 2000, outbound });

    for (const status of [307, 308]) {
      it(`should follow ${status} to the controller with the same method, body and signature`, async () => {
        const token = `moved-${status}`;
        answer = { status, location: () => `${controller.baseUrl}/failure/${token}` };
        await adapter().send({ flowId: 'f', token, callbackBaseUrl: redirectorUrl }, outcome, 1, AbortSignal.timeout(5000), testLog);
        const [received] = await controller.waitForCallbacks(token);
        assert.equal(received.status, 'failure');
        assert.equal(JSON.parse(received.body).reason, 'no_match');
        assert.equal(received.headers['webhook-id'], 'msg_f_failure');
        const [, t] = /^t=(\d+),/.exec(String(received.headers[SIGNATURE_HEADER])) ?? [];
        assert.equal(received.headers[SIGNATURE_HEADER], signCallback(secret, Number(t), received.body));
      });
    }

    for (const status of [301, 302, 303]) {
      it(`should take ${status} as final, not retried, naming the redirect in the error`, async () => {
        const before = controller.requests.length;
        answer = { status, location: () => `${controller.baseUrl}/failure/final` };
        await assert.rejects(
          adapter().send({ flowId: 'f', token: 'final', callbackBaseUrl: redirectorUrl }, outcome, 1, AbortSignal.timeout(5000), testLog),
          (e: unknown) =>
            e instanceof CallbackError &&
            !e.retryable &&
            e.message.includes(`answered ${status} to ${controller.baseUrl}/failure/final`) &&
            e.message.includes('only 307 and 308 are followed'),
        );
        assert.equal(controller.requests.length, before, 'the controller was not called');
      });
    }

    it('should re-check the redirect target with the outbound guard', async () => {
      answer = { status: 307, location: () => 'http://169.254.169.254/latest/meta-data/' };
      await assert.rejects(
        adapter().send({ flowId: 'f', token: 'meta', callbackBaseUrl: redirectorUrl }, outcome, 1, AbortSignal.timeout(5000), testLog),
        (e: unknown) => e instanceof CallbackError && !e.retryable && /metadata/.test(e.message),
      );
    });

    it('should stop after 3 redirects, final', async () => {
      answer = { status: 308, location: () => `${redirectorUrl}/again` };
      await assert.rejects(
        adapter().send({ flowId: 'f', token: 'loop', callbackBaseUrl: redirectorUrl }, outcome, 1, AbortSignal.timeout(5000), testLog),
        (e: unknown) => e instanceof CallbackError && !e.retryable && /more than 3 redirects/.test(e.message),
      );
    });
  });
});

describe('a flow whose controller answers its callback with a redirect', { timeout: 60_000 }, () => {
  it('should follow 307 to the controller once, and take 301 as final after one attempt (no retries)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vision-cb-flow-'));
    const controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
    const seen: string[] = [];
    const redirector = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const moved = req.url?.includes('/moved-permanently/') ? 301 : 307;
      res.writeHead(moved, { location: `${controller.baseUrl}${req.url?.replace('/vision', '')}` }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/vision`;
    const service = await startApp({ CALLBACK_BACKOFF_MS: '50', JOIN_TIMEOUT_S: '2', LEAVE_TIMEOUT_S: '1' });
    try {
      const join = (token: string, callbackBaseUrl: string) =>
        service.join({ ws_url: 'ws://127.0.0.1:9/?roomId=r&peerId=p', callback_base_url: callbackBaseUrl, token });
      const followed = await join('t307', base);
      const final = await join('t301', `${base}/moved-permanently`);
      assert.deepEqual([followed.status, final.status], [202, 202]);
      await controller.waitForCallbacks('t307', 1, 20_000);
      await service.idle(20_000);
      assert.deepEqual(seen.sort(), ['PUT /vision/failure/t307', 'PUT /vision/moved-permanently/failure/t301']);
      assert.ok(controller.requests.includes('PUT /failure/t307'));
      assert.ok(!controller.requests.some((r) => r.includes('t301')), 'a 301 is not followed');
      const view = async (id: string) => (await (await fetch(`${service.baseUrl}/flows/${id}`)).json()) as { callback_delivered: boolean };
      assert.equal((await view(followed.body.flow_id)).callback_delivered, true);
      assert.equal((await view(final.body.flow_id)).callback_delivered, false);
    } finally {
      await service.close();
      redirector.close();
      await controller.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
