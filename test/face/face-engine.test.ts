import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HumanFaceEngine } from '../../src/face/human/human-face.engine';
import { replayChallenge } from '../traces/trace';
import { describeEngineOnFootage, photoFrame, plugin } from '../support/engine-cases';
import { fixture } from '../support/fixtures';
import { videoFrames } from '../support/video-frames';
import type { FaceObservation } from '../../src/face/face-observation';

// FACE_ENGINE=human (Human on TFJS-WASM in a worker) on real footage: the cases shared with the default engine,
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
  more: ({ clip, engine }) => {
    test('open-close-mouth passes on liveportrait_d18', async () => {
      const r = replayChallenge(plugin('open-close-mouth'), await clip('liveportrait_d18.mp4', 15, 0, 4));
      assert.equal(r.passed, true, JSON.stringify(r));
    });

    test('smile passes on liveportrait_d0', async () => {
      const r = replayChallenge(plugin('smile'), await clip('liveportrait_d0.mp4', 15));
      assert.equal(r.passed, true, JSON.stringify(r));
    });

    test('without eyes and smile needed, faces are still measured (rougher eyes, no smile) for head and mouth challenges', async () => {
      const lean = async (file: string, start: number, duration: number) => {
        const observations: FaceObservation[] = [];
        for await (const frame of videoFrames(fixture('videos', file), { fps: 15, start, duration })) {
          observations.push(await engine().analyze(frame, `lean-${file}`, { eyes: false, smile: false }));
        }
        return observations;
      };
      for (const o of await lean('blink_webcam_viet281101.h264.mp4', 0, 1)) {
        assert.equal(o.faceCount, 1);
        assert.equal(o.face!.blendshapes!.happy, 0, 'no emotion model');
        assert.ok(Math.min(o.face!.eyeOpenness.left, o.face!.eyeOpenness.right) > 0.18, 'open eyes still count as open for matching');
      }
      assert.equal(replayChallenge(plugin('turn-head-right'), await lean('headturn_webcam_zubair_real.h264.mp4', 6, 3)).passed, true);
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
