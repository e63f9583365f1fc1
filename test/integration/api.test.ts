import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DemoController } from '../../demo/demo-controller';
import { pollUntil } from '../support/wait';
import { RunningApp, startApp } from '../support/app';

describe('POST /join-call', () => {
  let service: RunningApp;
  let controller: DemoController;
  let dir: string;
  let silent: Server;
  let silentUrl: string;
  const sockets = new Set<import('node:net').Socket>();
  /** Request lines of the WebSocket upgrades the silent room server received. */
  const upgrades: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vision-api-'));
    controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
    // Accepts TCP connections and never answers: a join hangs there until JOIN_TIMEOUT_S.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.once('data', (head) => upgrades.push(head.toString('latin1').split('\r\n')[0]));
    }).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    silentUrl = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/?roomId=r1&peerId=vision`;
    service = await startApp({ MAX_CONCURRENT_FLOWS: '2', JOIN_TIMEOUT_S: '3', CALLBACK_BACKOFF_MS: '50', LEAVE_TIMEOUT_S: '1' });
  });

  after(async () => {
    await service.close();
    for (const s of sockets) s.destroy();
    silent.close();
    await controller.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Waits until every flow has also left its room (a flow counts toward the limit until then). */
  const settled = () => service.idle(5_000);

  const body = (token: string, extra: Record<string, unknown> = {}) => ({
    ws_url: silentUrl,
    callback_base_url: controller.baseUrl,
    token,
    lang: 'es',
    ...extra,
  });

  it('should answer 400 validation_failed with field messages for bad bodies', async () => {
    const cases: [unknown, string[]][] = [
      [{}, ['ws_url', 'callback_base_url', 'token']],
      [{ ...body('t'), ws_url: 'http://x/?roomId=1&peerId=2' }, ['ws_url']],
      [{ ...body('t'), ws_url: 'ws://x/?roomId=1' }, ['ws_url']],
      [{ ...body('t'), callback_base_url: 'ftp://x' }, ['callback_base_url']],
      [{ ...body('t'), callback_base_url: 'http://user:pw@x' }, ['callback_base_url']],
      [{ ...body('t'), datastore_base_url: 'javascript:alert(1)' }, ['datastore_base_url']],
      [{ ...body(''), lang: 12 }, ['token', 'lang']],
      [{ ...body('x'.repeat(257)) }, ['token']],
      [{ ...body('a\nb') }, ['token']],
      [{ ...body('t'), token: 12 }, ['token']],
    ];
    for (const [payload, fields] of cases) {
      const res = await service.join(payload);
      assert.equal(res.status, 400, JSON.stringify(payload));
      assert.equal(res.body.error, 'validation_failed');
      assert.deepEqual(
        [...new Set(res.body.details.map((d: { field: string }) => d.field))].sort(),
        [...fields].sort(),
        JSON.stringify(res.body),
      );
      assert.ok(res.body.details.every((d: { message: string }) => d.message.length > 0));
    }
    const missing = await service.join({ ws_url: silentUrl, callback_base_url: controller.baseUrl });
    assert.deepEqual(missing.body.details, [{ field: 'token', message: 'token is required, as a string' }]);
    const empty = await service.join(body(''));
    assert.deepEqual(empty.body.details, [{ field: 'token', message: 'token must not be empty' }]);
  });

  it('should answer 400 for malformed JSON, a non-object body and the wrong content type', async () => {
    for (const [contentType, payload] of [
      ['application/json', '{"ws_url":'],
      ['application/json', '[1,2]'],
      ['text/plain', JSON.stringify(body('t'))],
    ]) {
      const res = await fetch(`${service.baseUrl}/join-call`, { method: 'POST', headers: { 'content-type': contentType }, body: payload });
      assert.equal(res.status, 400, payload);
      const answer = await res.json();
      assert.equal(answer.error, 'validation_failed');
      assert.equal(answer.details[0].field, 'body');
    }
  });

  it('should accept with 202, fall back to en for an unknown language and say so', async () => {
    const res = await service.join(body('lang-xx', { lang: 'xx' }));
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'accepted');
    assert.equal(res.body.lang, 'en');
    assert.match(res.body.notice, /"xx" is not available/);
    assert.equal(res.body.challenges.length, 2);
    const view = await (await fetch(`${service.baseUrl}/flows/${res.body.flow_id}`)).json();
    assert.equal(view.token, 'lang-xx');
    assert.equal(view.outcome, null);
    await fetch(`${service.baseUrl}/flows/${res.body.flow_id}`, { method: 'DELETE' });
    const [callback] = await controller.waitForCallbacks('lang-xx');
    assert.equal(callback.status, 'failure');
  });

  it('should answer a re-join (same token and room) with the running flow, 409 for another room, 429 past the limit', async () => {
    await settled();
    const first = await service.join(body('busy-1'));
    assert.equal(first.status, 202, JSON.stringify(first.body));
    // The subject's socket reconnected: the controller calls again with a new peerId for the same room.
    const again = await service.join(body('busy-1', { ws_url: silentUrl.replace('peerId=vision', 'peerId=vision-2') }));
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.flow_id, first.body.flow_id);
    assert.deepEqual(again.body.challenges, first.body.challenges);
    assert.match(again.body.notice, /already running in this room/);
    await pollUntil(
      async () => (upgrades.some((u) => /peerId=vision\b(?!-)/.test(u)) ? true : undefined),
      5_000,
      'the first join to reach the room',
      20,
    );
    // A second peer would connect right away; give it time to show up.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(upgrades.filter((u) => u.includes('peerId=vision-2')).length, 0, 'a second peer joined the room');
    const otherRoom = await service.join(body('busy-1', { ws_url: silentUrl.replace('roomId=r1', 'roomId=r2') }));
    assert.equal(otherRoom.status, 409);
    assert.equal(otherRoom.body.flow_id, first.body.flow_id);
    const otherPort = await service.join(body('busy-1', { ws_url: 'ws://127.0.0.1:9/?roomId=r1&peerId=vision' }));
    assert.equal(otherPort.status, 409);
    const second = await service.join(body('busy-2'));
    assert.equal(second.status, 202);
    const third = await service.join(body('busy-3'));
    assert.equal(third.status, 429);
    assert.ok(Number(third.headers.get('retry-after')) > 0);
    // Both running flows end on their own with one failure each (the room never answered).
    for (const token of ['busy-1', 'busy-2']) {
      const callbacks = await controller.waitForCallbacks(token, 1, 20_000);
      assert.equal(callbacks.length, 1);
      assert.equal(callbacks[0].status, 'failure');
    }
  });

  it('should cancel a running flow with DELETE /flows/{id}, and 404 for unknown flows', async () => {
    await settled();
    const started = await service.join(body('cancel-me'));
    const res = await fetch(`${service.baseUrl}/flows/${started.body.flow_id}`, { method: 'DELETE' });
    assert.equal(res.status, 202);
    await controller.waitForCallbacks('cancel-me');
    const view = await pollUntil(
      async () => {
        const v = await (await fetch(`${service.baseUrl}/flows/${started.body.flow_id}`)).json();
        return v.reason === null ? undefined : v;
      },
      2_500,
      'the cancelled flow to have a reason',
      50,
    );
    assert.equal(view.reason, 'cancelled');
    assert.equal((await fetch(`${service.baseUrl}/flows/nope`)).status, 404);
    assert.equal((await fetch(`${service.baseUrl}/flows/nope`, { method: 'DELETE' })).status, 404);
  });

  it('should end a flow whose room is unreachable with one failure callback, retried past controller errors', async () => {
    await settled();
    controller.failCallbacks = 2;
    const res = await service.join(body('closed-port', { ws_url: 'ws://127.0.0.1:9/?roomId=r&peerId=p' }));
    assert.equal(res.status, 202);
    const [callback] = await controller.waitForCallbacks('closed-port', 1, 20_000);
    assert.equal(callback.status, 'failure');
    const attempts = controller.callbacks.filter((c) => c.token === 'closed-port');
    assert.deepEqual(
      attempts.map((c) => c.answered),
      [500, 500, 200],
    );
    const view = await (await fetch(`${service.baseUrl}/flows/${res.body.flow_id}`)).json();
    assert.equal(view.reason, 'transport_failed');
  });

  it('should report health', async () => {
    const res = await fetch(`${service.baseUrl}/health`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, 'ok');
  });
});
