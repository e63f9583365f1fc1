import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HumanFaceEngine } from '../../src/face/human/human-face.engine';
import { replayChallenge } from '../traces/trace';
import { describeEngineOnFootage, photoFrame, plugin } from '../support/engine-cases';
import { fixture } from '../support/fixtures';

// The real engine (Human on TFJS-WASM in a worker) on real footage: the cases shared with FACE_ENGINE=mediapipe,
// then its own.
describeEngineOnFootage('HumanFaceEngine on real footage', {
  create: () => HumanFaceEngine.create({ workers: 1 }),
  timeoutMs: 15 * 60_000,
  // The identity descriptor (faceres, the costliest model) comes about once a second, not on every frame.
  blinkChecks: (obs) => {
    const withDescriptor = obs.filter((o) => o.face?.descriptor);
    assert.ok(withDescriptor.every((o) => o.face!.descriptor!.length === 1024));
    assert.equal(withDescriptor.length, 4, '4 s of clip');
    withDescriptor.slice(1).forEach((o, i) => assert.ok(o.timestampMs - withDescriptor[i].timestampMs >= 1000));
  },
  more: ({ clip }) => {
    test('open-close-mouth passes on liveportrait_d18', async () => {
      const r = replayChallenge(plugin('open-close-mouth'), await clip('liveportrait_d18.mp4', 15, 0, 4));
      assert.equal(r.passed, true, JSON.stringify(r));
    });

    test('smile passes on liveportrait_d0', async () => {
      const r = replayChallenge(plugin('smile'), await clip('liveportrait_d0.mp4', 15));
      assert.equal(r.passed, true, JSON.stringify(r));
    });

    test('close is idempotent and a closed engine refuses frames', async () => {
      const frame = await photoFrame(fixture('faces', 'joe_biden', '2.jpg'));
      const other = HumanFaceEngine.create({ workers: 1 });
      await other.close();
      await other.close();
      await assert.rejects(other.analyze(frame), /closed/);
    });
  },
});
