/**
 * The whole verification as users run it, every part real on 127.0.0.1: the mediasoup room server, Vision Service
 * (ProtooTransport, the MediaPipe face engine, embedded matcher, HTTP references and callbacks), the demo controller, and
 * a responsive subject bot that reads the current challenge from GET /flows/{id} and plays the clip stretch that
 * performs it. Flows of one test run side by side: fewer engine-heavy minutes, and the service is tested with
 * company.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { signCallback, SIGNATURE_HEADER } from '../../src/callbacks/http-callback.adapter';
import type { FlowView } from '../../src/api/flow-view.dto';
import { DemoController, ListFault, ReceivedCallback } from '../../demo/demo-controller';
import { Behaviour, clipStill, PERFORMERS, ResponsiveBot } from '../support/responsive-bot';
import { RoomServer } from '../support/room-server';
import { waitUntil } from '../support/wait';
import { RunningApp, startApp } from '../support/app';
import { fixture } from '../support/fixtures';
import { BOT_CHALLENGES, BOT_FLOW_SETTINGS, dataUrl, finishedFlow } from './verification';

const SECRET = 'e2e-secret';
const person = PERFORMERS.d18;

interface Case {
  token: string;
  behaviour?: Behaviour;
  /** The /list answer. */
  list?: unknown;
  listFault?: ListFault;
  /** Leave the room once the first challenge shows. */
  leaves?: boolean;
}

interface Ended {
  view: FlowView;
  callbacks: ReceivedCallback[];
  /** The JSON body of the one callback (CALLBACK_INCLUDE_DETAILS). */
  details: { reason: string | null; challenges: { id: string; passed: boolean }[]; match: { distance: number; threshold: number } | null };
  bot: ResponsiveBot;
}

describe('verification end to end through the SFU', { timeout: 6 * 60_000 }, () => {
  let server: RoomServer;
  let controller: DemoController;
  let service: RunningApp;

  before(async () => {
    server = await RoomServer.create();
    controller = await DemoController.create({ log: () => undefined });
    // The genuine reference is a frame of the same person from another part of the clip; the impostor is a photo.
    controller.assets.set('genuine.jpg', await clipStill(person.clip, person.referenceAt));
    controller.assets.set('impostor.jpg', await readFile(fixture('faces', 'barack_obama', '1.jpg')));
    service = await startApp({
      ...BOT_CHALLENGES,
      ...BOT_FLOW_SETTINGS,
      FLOW_TIMEOUT_S: '40',
      REFERENCE_TIMEOUT_S: '60',
      CALLBACK_HMAC_SECRET: SECRET,
      // d18 is a studio capture PAD reads as an attack (docs/pad.md: every window 0.31–0.41): these flows are about
      // the rest of the verification; test/sfu/pad.test.ts covers PAD with a webcam subject and the replay.
      PAD_POLICY: 'report',
    });
    await service.ready();
  });

  after(async () => {
    await service?.close();
    await server?.close();
    await controller?.close();
  });

  /** One flow with its own room and bot, to its end; checks what holds for every flow. */
  async function run(c: Case): Promise<Ended> {
    if (c.list !== undefined) controller.lists.set(c.token, c.list);
    if (c.listFault) controller.listFaults.set(c.token, c.listFault);
    const room = `room-${c.token}`;
    const bot = await ResponsiveBot.join({ wsUrl: server.url(room, 'subject'), performer: person, behaviour: c.behaviour });
    try {
      const res = await service.join({
        ws_url: server.url(room, 'vision'),
        callback_base_url: controller.baseUrl,
        datastore_base_url: controller.baseUrl,
        token: c.token,
        lang: 'es',
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      bot.follow(service.baseUrl, res.body.flow_id);
      if (c.leaves) {
        await waitUntil(() => Boolean(bot.view?.current_challenge), 30_000, `${c.token}: the first challenge`);
        bot.close();
      }
      const view = await finishedFlow(service.baseUrl, res.body.flow_id);
      // Done means reported and left: the room server no longer has the service's peer.
      await waitUntil(() => !server.peerIds(room).includes('vision'), 5_000, `${c.token}: the service to leave the room`);
      const callbacks = controller.callbacks.filter((cb) => cb.token === c.token);
      assert.equal(
        callbacks.length,
        1,
        `${c.token}: exactly one terminal callback, got ${JSON.stringify(callbacks.map((cb) => cb.status))}`,
      );
      const [callback] = callbacks;
      const t = /^t=(\d+),/.exec(String(callback.headers[SIGNATURE_HEADER]))?.[1];
      assert.equal(callback.headers[SIGNATURE_HEADER], signCallback(SECRET, Number(t), callback.body), `${c.token}: signed callback`);
      assert.equal(view.callback_delivered, true);
      assert.equal(view.outcome, callback.status, `${c.token}: GET /flows agrees with the callback`);
      return { view, callbacks, details: JSON.parse(callback.body), bot };
    } finally {
      bot.close();
    }
  }

  it('should verify a cooperative subject, and fail an impostor (no_match) and an unreachable list (no_reference)', async () => {
    const [byDataUrl, byDatastoreId, impostor, listDown] = await Promise.all([
      run({ token: 'genuine-data-url', list: [dataUrl(controller.assets.get('genuine.jpg')!)] }),
      // A deprecated Data Store id, beside an item that is skipped (not an image).
      run({ token: 'genuine-datastore-id', list: ['genuine.jpg', `${controller.baseUrl}/assets/missing.jpg`] }),
      run({ token: 'impostor-http-url', list: [`${controller.baseUrl}/assets/impostor.jpg`] }),
      run({ token: 'list-down', listFault: 'down' }),
    ]);
    for (const ok of [byDataUrl, byDatastoreId]) {
      assert.equal(ok.callbacks[0].status, 'success', JSON.stringify(ok.details));
      assert.equal(ok.details.reason, null);
      assert.ok(ok.details.match && ok.details.match.distance < ok.details.match.threshold, JSON.stringify(ok.details.match));
      // The bot performed exactly what the service asked, in its order, and both passed.
      assert.deepEqual(
        ok.bot.performed,
        ok.view.challenges.map((c) => c.id),
      );
      assert.deepEqual(
        ok.details.challenges.map((c) => c.passed),
        [true, true],
      );
      assert.ok(ok.view.frames.analysed > 0 && ok.view.frames.analysed_fps! > 0, JSON.stringify(ok.view.frames));
    }
    assert.equal(impostor.callbacks[0].status, 'failure');
    assert.equal(impostor.details.reason, 'no_match');
    assert.ok(impostor.details.match && impostor.details.match.distance >= impostor.details.match.threshold);
    assert.deepEqual(
      impostor.details.challenges.map((c) => c.passed),
      [true, true],
      'liveness passed; the face did not match',
    );
    assert.equal(listDown.callbacks[0].status, 'failure');
    assert.equal(listDown.details.reason, 'no_reference');
    assert.equal(listDown.view.reason, 'no_reference');
  });

  it('should fail a subject who idles (challenge_timeout), leaves (subject_left) or whose controller stalls (flow_timeout)', async () => {
    const [idle, left, stalled] = await Promise.all([
      run({ token: 'idles', behaviour: 'idle', list: [`${controller.baseUrl}/assets/genuine.jpg`] }),
      run({ token: 'leaves', leaves: true, list: [`${controller.baseUrl}/assets/genuine.jpg`] }),
      // The list never answers: only the whole-flow limit ends the wait.
      run({ token: 'stalls', listFault: 'hang' }),
    ]);
    assert.equal(idle.details.reason, 'challenge_timeout');
    assert.deepEqual(idle.bot.performed, [], 'the idle subject did nothing');
    assert.equal(idle.details.challenges[0].passed, false);
    assert.equal(left.details.reason, 'subject_left');
    assert.equal(stalled.details.reason, 'flow_timeout');
    assert.deepEqual(
      stalled.details.challenges.map((c) => c.passed),
      [true, true],
    );
    for (const ended of [idle, left, stalled]) {
      assert.equal(ended.callbacks[0].status, 'failure');
      assert.equal(ended.view.reason, ended.details.reason);
      assert.equal(ended.details.match, null);
    }
  });
});
