/**
 * The bench's load generator through the whole service: an encoded subject (pre-encoded VP8 as RTP into a
 * DirectTransport of the real SFU, test/support/encoded-subject.ts) is verified by the real service (ProtooTransport
 * decoding with wrtc, the default face engine and PAD under its default policy, the embedded matcher, HTTP
 * references and callbacks), and one that stays idle fails. If the RTP were malformed the service would decode no
 * frame and both flows would end otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DemoController } from '../../demo/demo-controller';
import { type Behaviour, clipStill, PERFORMERS, ResponsiveBot } from '../support/responsive-bot';
import { EncodedPeer, joinEncodedSubject } from '../support/encoded-subject';
import { RoomServer } from '../support/room-server';
import { RunningApp, startApp } from '../support/app';
import { BOT_FLOW_SETTINGS, dataUrl, finishedFlow } from '../e2e/verification';

const person = PERFORMERS.zubair;

describe('encoded subject through the SFU (real service, real engine)', { timeout: 6 * 60_000 }, () => {
  let server: RoomServer;
  let controller: DemoController;
  let service: RunningApp;
  before(async () => {
    server = await RoomServer.create();
    controller = await DemoController.create({ log: () => undefined });
    service = await startApp({
      CHALLENGES: Object.keys(person.challenges).join(','),
      NUMBER_OF_GESTURES_TO_REQUEST: '2',
      ...BOT_FLOW_SETTINGS,
      FLOW_TIMEOUT_S: '60',
    });
    await service.ready();
  });
  after(async () => {
    await service?.close();
    await server?.close();
    await controller?.close();
  });

  async function verify(token: string, behaviour: Behaviour) {
    controller.lists.set(token, [dataUrl(await clipStill(person.clip, person.referenceAt))]);
    const roomId = `room-${token}`;
    const subject: ResponsiveBot<EncodedPeer> = await joinEncodedSubject({ server, roomId, performer: person, behaviour });
    try {
      const res = await service.join({ ws_url: server.url(roomId, 'vision'), callback_base_url: controller.baseUrl, token, lang: 'en' });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      subject.follow(service.baseUrl, res.body.flow_id);
      const view = await finishedFlow(service.baseUrl, res.body.flow_id, 120_000);
      const [callback] = await controller.waitForCallbacks(token, 1, 10_000);
      return { view, callback, details: JSON.parse(callback.body) as { reason: string | null }, subject };
    } finally {
      subject.close();
    }
  }

  it('verifies a cooperative encoded subject and fails an idle one with challenge_timeout', async () => {
    // One after the other: at once, on a loaded 2-core machine, the idle flow may get under 2 analysed fps and
    // rightly end with analysis_too_slow instead.
    const ok = await verify('encoded-ok', 'cooperative');
    const idle = await verify('encoded-idle', 'idle');
    assert.equal(ok.callback.status, 'success', JSON.stringify(ok.view));
    assert.equal(ok.details.reason, null);
    assert.deepEqual(
      ok.subject.performed,
      ok.view.challenges.map((c) => c.id),
      'it performed what the service asked, in its order',
    );
    assert.ok(ok.view.pad && !ok.view.pad.suspect, `a bona fide webcam subject under stepup: ${JSON.stringify(ok.view.pad)}`);
    assert.equal(idle.callback.status, 'failure');
    assert.equal(idle.details.reason, 'challenge_timeout', JSON.stringify(idle.view));
    assert.deepEqual(idle.subject.performed, []);
    for (const { view, subject } of [ok, idle]) {
      assert.ok(view.frames.analysed > 0, `the service decoded the subject's VP8: ${JSON.stringify(view.frames)}`);
      assert.ok(subject.bot.received.count > 0, "the service's video came back as RTP");
      // No assertion on key frame requests: mediasoup forwards the consumer's request only once the producer's stream
      // exists, so whether one comes depends on who starts first (the stream opens with a key frame either way). The
      // answer to one is unit-tested (test/unit/choreography.test.ts, vp8-rtp.test.ts); bench:flows counts them.
    }
  });
});
