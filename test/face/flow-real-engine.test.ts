import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createActor, toPromise } from 'xstate';
import { ALL_CHALLENGES } from '../../challenges';
import { Locales } from '../../src/common/locales';
import { HumanFaceEngine } from '../../src/face/human/human-face.engine';
import { createFlowMachine } from '../../src/flow/flow.machine';
import { LatestFrameGate } from '../../src/flow/frame-gate';
import { LiveEvidence } from '../../src/flow/live-evidence';
import type { FlowSettings } from '../../src/flow/flow.types';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import { DEFAULT_LIVENESS_SETTINGS } from '../../src/liveness/liveness';
import { ClipSegment, ClipTransport } from '../support/clip-transport';
import { FakeCallbacks, FakeMatcher, FakeReferences } from '../support/flow-fakes';
import { fixture } from '../support/fixtures';

// The flow machine driven by the real face engine and the real plugins on real clips (the room is simulated
// here; the SFU path is tested in the sfu and e2e groups).
const settings: FlowSettings = {
  flowTimeoutMs: 60_000,
  joinTimeoutMs: 5_000,
  instructionMs: 300,
  challengeTimeoutMs: 6_000,
  resultDisplayMs: 0,
  leaveTimeoutMs: 1_000,
  callbackMaxAttempts: 1,
  callbackBackoffMs: 10,
  matcherAttempts: 1,
  liveness: { ...DEFAULT_LIVENESS_SETTINGS, faceLostMs: 5_000 },
};

describe('flow with the real face engine', { timeout: 5 * 60_000 }, () => {
  let engine: HumanFaceEngine;
  const registry = new ChallengeRegistry(ALL_CHALLENGES);
  const locales = Locales.load();

  before(async () => {
    engine = HumanFaceEngine.create({ workers: 1 });
    await engine.ready();
  });
  after(() => engine.close());

  async function runFlow(challengeIds: string[], segments: ClipSegment[]) {
    const transport = new ClipTransport(segments);
    const matcher = new FakeMatcher();
    const callbacks = new FakeCallbacks();
    const machine = createFlowMachine({
      transport,
      face: engine,
      references: new FakeReferences(),
      matcher,
      callbacks,
      plugins: registry.plugins,
      locales,
      displayName: 'Vision Service',
      frames: new LatestFrameGate(),
      evidence: new LiveEvidence(5),
      log: { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
    });
    const actor = createActor(machine, {
      input: {
        flowId: `real-${challengeIds.join('-')}`,
        request: { wsUrl: 'ws://127.0.0.1:1/?roomId=r&peerId=p', callbackBaseUrl: 'http://127.0.0.1:2', token: 't', lang: 'en' },
        challengeIds,
        settings,
      },
    });
    actor.start();
    const output = await toPromise(actor);
    return { output, transport, matcher, callbacks, context: actor.getSnapshot().context };
  }

  it('should pass blink on the webcam blink clip, keep frontal live frames and report success once', async () => {
    const { output, matcher, callbacks, transport } = await runFlow(
      ['blink'],
      [{ file: fixture('videos', 'blink_webcam_viet281101.h264.mp4') }],
    );
    assert.equal(output.status, 'success', JSON.stringify(output));
    assert.deepEqual(output.challenges, [{ id: 'blink', passed: true }]);
    assert.ok(matcher.liveCounts[0] >= 3, `kept ${matcher.liveCounts[0]} live frames`);
    assert.equal(callbacks.attempts.length, 1);
    assert.equal(transport.closes, 1);
    const shown = transport.shown.map((s) => s.text);
    assert.ok(shown.includes(locales.text('en', 'challenge.blink')));
    assert.equal(transport.shown.at(-1)?.phase, 'verified');
  });

  it('should time out on smile when the subject only blinks', async () => {
    const { output } = await runFlow(['smile'], [{ file: fixture('videos', 'blink_webcam_viet281101.h264.mp4') }]);
    assert.equal(output.status, 'failure');
    assert.equal(output.reason, 'challenge_timeout');
  });

  it('should pass two challenges back to back: turn right, then left, on the head-turn clip', async () => {
    const { output } = await runFlow(
      ['turn-head-right', 'turn-head-left'],
      [{ file: fixture('videos', 'headturn_webcam_zubair_real.h264.mp4'), start: 5.5 }],
    );
    assert.equal(output.status, 'success', JSON.stringify(output));
  });

  it('should fail with face_changed when another person takes over between challenges', async () => {
    const { output } = await runFlow(
      ['open-close-mouth', 'smile'],
      [{ file: fixture('videos', 'liveportrait_d18.mp4'), start: 0, duration: 5 }, { file: fixture('videos', 'liveportrait_d0.mp4') }],
    );
    assert.deepEqual(output.challenges, [
      { id: 'open-close-mouth', passed: true },
      { id: 'smile', passed: false },
    ]);
    assert.equal(output.reason, 'face_changed');
  });
});
