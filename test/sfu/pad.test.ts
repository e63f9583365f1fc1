/**
 * The passive presentation-attack check through the whole service: the real SFU room, ProtooTransport, the
 * default face engine with the PAD scorer in its worker, HTTP references from the demo controller, the embedded
 * matcher, and a responsive subject bot. The attacker plays the screen-replay clip (a phone playing a selfie video
 * in front of the camera) and performs the asked challenge, which the replay does pass (challenges/README.md):
 * only PAD stops it. A live webcam subject still passes under the default policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FlowView } from '../../src/api/flow-view.dto';
import { DemoController, ReceivedCallback } from '../../demo/demo-controller';
import { clipStill, type Performer, PERFORMERS, ResponsiveBot } from '../support/responsive-bot';
import { RoomServer } from '../support/room-server';
import { RunningApp, startApp } from '../support/app';
import { dataUrl, finishedFlow } from '../e2e/verification';
import type { PadPolicy } from '../../src/pad/pad-policy';

/**
 * The screen replay (attacks/LABELS.md): pitch ≈ +2° 0.5–2.7 s, down to −15° at 5.1 s (look-down passes at
 * 5.07 s from the start, challenges/README.md); the reference is a frame of the same replayed video.
 */
const REPLAY: Performer = {
  clip: '../attacks/videos/replay_screen_manikantha_fake.mp4',
  idle: { start: 0.5, end: 2.0 },
  challenges: { 'look-down': { start: 2.0, end: 5.6 } },
  referenceAt: 1.0,
};

interface Ended {
  view: FlowView;
  callback: ReceivedCallback;
  details: { reason: string | null; pad?: FlowView['pad'] };
}

describe('PAD through the SFU (real engine, real scorer)', { timeout: 8 * 60_000 }, () => {
  let server: RoomServer;
  let controller: DemoController;
  before(async () => {
    server = await RoomServer.create();
    controller = await DemoController.create({ log: () => undefined });
  });
  after(async () => {
    await server?.close();
    await controller?.close();
  });

  /** A service with this policy and the one challenge the performer can do, one flow to its end, the service closed. */
  async function verify(policy: PadPolicy, performer: Performer, challenge: string, token: string): Promise<Ended> {
    const service: RunningApp = await startApp({
      PAD_POLICY: policy,
      CHALLENGES: challenge,
      NUMBER_OF_GESTURES_TO_REQUEST: '1',
      INSTRUCTION_S: '1',
      CHALLENGE_TIMEOUT_S: '15',
      FACE_LOST_S: '10',
      FLOW_TIMEOUT_S: '60',
      RESULT_DISPLAY_S: '0.5',
      LEAVE_TIMEOUT_S: '2',
      MATCHER_WORKERS: '1',
      FACE_WORKERS: '1',
      CALLBACK_INCLUDE_DETAILS: 'true',
      CALLBACK_BACKOFF_MS: '50',
    });
    let bot: ResponsiveBot | undefined;
    try {
      await service.ready();
      controller.lists.set(token, [dataUrl(await clipStill(performer.clip, performer.referenceAt))]);
      const room = `room-${token}`;
      bot = await ResponsiveBot.join({ wsUrl: server.url(room, 'subject'), performer });
      const res = await service.join({
        ws_url: server.url(room, 'vision'),
        callback_base_url: controller.baseUrl,
        datastore_base_url: controller.baseUrl,
        token,
        lang: 'en',
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      bot.follow(service.baseUrl, res.body.flow_id);
      const view = await finishedFlow(service.baseUrl, res.body.flow_id, 120_000);
      const [callback, ...more] = controller.callbacks.filter((c) => c.token === token);
      assert.equal(more.length, 0, `${token}: exactly one callback`);
      assert.equal(view.outcome, callback.status, `${token}: GET /flows agrees with the callback`);
      return { view, callback, details: JSON.parse(callback.body) };
    } finally {
      bot?.close();
      await service.close();
    }
  }

  const windowsBelow = (pad: FlowView['pad']) => pad!.windows.filter((w) => w.mean < pad!.threshold).length;

  it('stepup: the screen replay performing the challenge fails with presentation_attack', async () => {
    const { view, details } = await verify('stepup', REPLAY, 'look-down', 'pad-stepup-replay');
    assert.equal(view.reason, 'presentation_attack', JSON.stringify(view));
    assert.equal(details.reason, 'presentation_attack');
    assert.ok(view.pad!.suspect && windowsBelow(view.pad) >= 2, JSON.stringify(view.pad));
    assert.deepEqual(details.pad, view.pad, 'the callback details carry the same scores');
    assert.equal(view.challenges[0].status, 'passed', 'the replay did the gesture: PAD is what stopped it');
  });

  it('stepup: a live webcam subject is verified', async () => {
    const { view } = await verify('stepup', PERFORMERS.viet, 'blink', 'pad-stepup-live');
    assert.equal(view.outcome, 'success', JSON.stringify(view));
    assert.ok(view.pad!.frames_scored >= 3, JSON.stringify(view.pad));
    assert.ok(
      view.pad!.windows.every((w) => w.mean >= view.pad!.threshold),
      JSON.stringify(view.pad),
    );
    assert.equal(view.pad!.stepped_up, false);
  });

  it('enforce: the screen replay fails with presentation_attack', async () => {
    const { view } = await verify('enforce', REPLAY, 'look-down', 'pad-enforce-replay');
    assert.equal(view.reason, 'presentation_attack', JSON.stringify(view));
    assert.ok(windowsBelow(view.pad) >= 2, JSON.stringify(view.pad));
  });

  it('report: the screen replay is verified and its scores are recorded', async () => {
    const { view, details } = await verify('report', REPLAY, 'look-down', 'pad-report-replay');
    assert.equal(view.outcome, 'success', JSON.stringify(view));
    assert.equal(view.pad!.policy, 'report');
    // report waits for nothing: a fast pass may close a single window, recorded all the same.
    assert.ok(view.pad!.windows.length >= 1 && windowsBelow(view.pad) === view.pad!.windows.length, JSON.stringify(view.pad));
    assert.ok(view.pad!.window_min! < view.pad!.threshold && !view.pad!.stepped_up, JSON.stringify(view.pad));
    assert.deepEqual(details.pad, view.pad);
  });
});
