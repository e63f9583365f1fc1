import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createActor, toPromise } from 'xstate';
import { ALL_CHALLENGES } from '../../challenges';
import { Locales } from '../../src/common/locales';
import { HumanFaceEngine } from '../../src/face/human/human-face.engine';
import { createFlowMachine } from '../../src/flow/flow.machine';
import type { FlowSettings } from '../../src/flow/flow.types';
import { LatestFrameGate } from '../../src/flow/frame-gate';
import { LiveEvidence } from '../../src/flow/live-evidence';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import { DEFAULT_LIVENESS_SETTINGS } from '../../src/liveness/liveness';
import { EmbeddedMatcher } from '../../src/matcher/embedded/embedded-matcher';
import { decodeImage } from '../../src/references/image-loader';
import { ClipTransport } from '../support/clip-transport';
import { FakeCallbacks, FakeReferences } from '../support/flow-fakes';
import { fixture } from '../support/fixtures';
import { facePhoto, references } from './matcher-fixtures';

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
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

// A blink flow on a real webcam clip, ended by the embedded matcher against a reference photo.
describe('flow with the embedded matcher', { timeout: 3 * 60_000 }, () => {
  let engine: HumanFaceEngine;
  let matcher: EmbeddedMatcher;
  const registry = new ChallengeRegistry(ALL_CHALLENGES);
  const locales = Locales.load();

  before(async () => {
    engine = HumanFaceEngine.create({ workers: 1 });
    matcher = EmbeddedMatcher.create({ model: 'faceapi', workers: 1 });
    await Promise.all([engine.ready(), matcher.ready()]);
  });
  after(() => Promise.all([engine.close(), matcher.close()]));

  async function blinkFlowAgainst(reference: Parameters<typeof references>[0]) {
    const refs = new FakeReferences();
    refs.result = { usable: references(reference), skipped: [] };
    const callbacks = new FakeCallbacks();
    const machine = createFlowMachine({
      transport: new ClipTransport([{ file: fixture('videos', 'blink_webcam_viet281101.h264.mp4') }]),
      face: engine,
      references: refs,
      matcher,
      callbacks,
      plugins: registry.plugins,
      locales,
      displayName: 'Vision Service',
      frames: new LatestFrameGate(),
      evidence: new LiveEvidence(5),
      log: quiet,
    });
    const actor = createActor(machine, {
      input: {
        flowId: 'embedded-matcher',
        request: { wsUrl: 'ws://127.0.0.1:1/?roomId=r&peerId=p', callbackBaseUrl: 'http://127.0.0.1:2', token: 't', lang: 'en' },
        challengeIds: ['blink'],
        settings,
      },
    });
    actor.start();
    const output = await toPromise(actor);
    return { output, callbacks };
  }

  it('should end in success with a photo of the same person as reference', async () => {
    const reference = await decodeImage(readFileSync(fixture('expressions', 'viet_t1.0s_eyes_open.jpg')));
    const { output, callbacks } = await blinkFlowAgainst(reference);
    assert.equal(output.status, 'success', JSON.stringify(output));
    assert.equal(callbacks.attempts.length, 1);
  });

  it('should end in failure no_match with a photo of someone else', async () => {
    const { output, callbacks } = await blinkFlowAgainst(await facePhoto('barack_obama', 1));
    assert.equal(output.status, 'failure');
    assert.equal(output.reason, 'no_match');
    assert.equal(callbacks.attempts.length, 1);
  });
});
