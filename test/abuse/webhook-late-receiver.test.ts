import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, RunningApp } from '../support/app';
import { pollUntil } from '../support/wait';
import { WebhookReceiver } from './webhook-receiver';

const ATTEMPTS = 3;
const key = randomBytes(24);
const secret = `whsec_${key.toString('base64')}`;

describe('webhooks: a controller that answers after the timeout', { timeout: 60_000 }, () => {
  let receiver: WebhookReceiver;
  let service: RunningApp;

  before(async () => {
    // Answers 200 after 5 s; the service gives up on each attempt after 3 s.
    receiver = await WebhookReceiver.start({ status: 200, delayMs: 5_000 });
    service = await startApp({
      CALLBACK_TIMEOUT_S: '3',
      CALLBACK_MAX_ATTEMPTS: String(ATTEMPTS),
      CALLBACK_BACKOFF_MS: '50',
      CALLBACK_HMAC_SECRET: secret,
      JOIN_TIMEOUT_S: '2',
      LEAVE_TIMEOUT_S: '1',
    });
  });

  after(async () => {
    await service.close();
    await receiver.close();
  });

  it('should carry the same webhook-id on every attempt, each signed the Standard Webhooks way', async () => {
    // A room that refuses the connection: the flow fails at once and reports.
    const res = await service.join({
      ws_url: 'ws://127.0.0.1:9/?roomId=r&peerId=p',
      callback_base_url: receiver.baseUrl,
      token: 'late',
    });
    assert.equal(res.status, 202);
    const flowId = res.body.flow_id as string;
    await pollUntil(async () => (receiver.puts.length >= ATTEMPTS ? true : undefined), 30_000, 'every attempt', 100);
    await service.idle(15_000);
    assert.equal(receiver.puts.length, ATTEMPTS, 'no attempt past CALLBACK_MAX_ATTEMPTS');
    const ids = new Set(receiver.puts.map((p) => p.headers['webhook-id']));
    assert.equal(ids.size, 1, `one webhook-id: ${[...ids].join(', ')}`);
    const [id] = ids;
    assert.match(String(id), new RegExp(flowId));
    for (const put of receiver.puts) {
      assert.equal(put.path, '/failure/late');
      const timestamp = String(put.headers['webhook-timestamp']);
      assert.match(timestamp, /^\d{10}$/);
      const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${put.body}`).digest('base64');
      assert.equal(put.headers['webhook-signature'], `v1,${expected}`);
      assert.match(String(put.headers['x-vision-signature']), new RegExp(`^t=${timestamp},v1=[0-9a-f]{64}$`));
    }
    const view = await (await fetch(`${service.baseUrl}/flows/${flowId}`)).json();
    assert.equal(view.callback_delivered, false, 'the service saw no answer in time: at-least-once, not exactly-once');
  });
});
