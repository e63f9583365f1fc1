import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaceObservation } from '../../src/face/face-observation';
import { MediaPipeFaceEngine } from '../../src/face/mediapipe/mediapipe-face.engine';
import { replayChallenge } from '../traces/trace';
import { describeEngineOnFootage, photoFrame, plugin } from '../support/engine-cases';
import { fixture } from '../support/fixtures';
import { CHROMIUM, skipWithoutChromium } from './support';

// FACE_ENGINE=mediapipe on the same real footage and with the same challenge plugins as the default engine
// (the cases in test/support/engine-cases.ts), plus the raw blendshapes against LABELS.md times.

/** Highest value of a blendshape between two times (seconds). */
function peak(obs: readonly FaceObservation[], name: string, fromS: number, toS: number): number {
  const values = obs
    .filter((o) => o.timestampMs >= fromS * 1000 && o.timestampMs <= toS * 1000)
    .map((o) => o.face?.blendshapes?.[name] ?? 0);
  return Math.max(0, ...values);
}

describeEngineOnFootage('MediaPipeFaceEngine on real footage', {
  create: () => MediaPipeFaceEngine.create({ chromiumPath: CHROMIUM }),
  skip: skipWithoutChromium,
  timeoutMs: 10 * 60_000,
  blinkChecks: (obs, open) => {
    assert.ok(Math.abs(open.rollDeg) < 10);
    assert.equal(Object.keys(open.blendshapes!).length, 52);
    // The 2060 service's blink thresholds: < 0.35 at rest, > 0.5 closed.
    assert.ok(peak(obs, 'eyeBlinkLeft', 0, 2.7) < 0.35 && peak(obs, 'eyeBlinkRight', 0, 2.7) < 0.35);
    assert.ok(peak(obs, 'eyeBlinkLeft', 2.8, 3.2) > 0.5 && peak(obs, 'eyeBlinkRight', 2.8, 3.2) > 0.5);
  },
  more: ({ clip }) => {
    test("a wink is one eye only, on the subject's own side (liveportrait_d3: left eye 0.2–0.6 s), and is no blink", async () => {
      const obs = await clip('liveportrait_d3.mp4', 15, 0, 1);
      const wink = obs.find((o) => Math.abs(o.timestampMs - 400) < 40)!.face!;
      assert.ok(wink.eyeOpenness.left < 0.6 * wink.eyeOpenness.right, JSON.stringify(wink.eyeOpenness));
      assert.ok(wink.blendshapes!.eyeBlinkLeft > wink.blendshapes!.eyeBlinkRight + 0.2, JSON.stringify(wink.blendshapes));
      assert.equal(replayChallenge(plugin('blink'), obs).passed, false);
    });

    test('open-close-mouth passes on liveportrait_d18, where jawOpen crosses the 2060 thresholds; its shout is no smile', async () => {
      const obs = await clip('liveportrait_d18.mp4', 15);
      // At rest 1.5–2.0 s (the "lip press" at 0.5–1.2 s drops the jaw to ~0.45), open 2.2–3.0 s.
      assert.ok(peak(obs, 'jawOpen', 1.5, 2.0) < 0.2, `jawOpen at rest ${peak(obs, 'jawOpen', 1.5, 2.0)}`);
      assert.ok(peak(obs, 'jawOpen', 2.2, 3.0) > 0.6, `jawOpen open ${peak(obs, 'jawOpen', 2.2, 3.0)}`);
      const r = replayChallenge(plugin('open-close-mouth'), obs);
      assert.equal(r.passed, true, JSON.stringify(r));
      assert.ok(r.atS! < 4, `open-close-mouth at ${r.atS}`);
      // The shout at 4–5 s lifts mouthSmile to ~0.8; the wide-open mouth gate keeps `smile` low, as with the default engine.
      assert.ok(peak(obs, 'mouthSmileRight', 4.0, 5.0) > 0.6);
      assert.equal(replayChallenge(plugin('smile'), obs).passed, false);
    });

    test('smile passes on liveportrait_d0 (big smile 1.0–2.0 s)', async () => {
      const obs = await clip('liveportrait_d0.mp4', 15);
      assert.ok(peak(obs, 'mouthSmileRight', 0, 0.4) < 0.2 && peak(obs, 'mouthSmileRight', 1.0, 2.0) > 0.6);
      const r = replayChallenge(plugin('smile'), obs);
      assert.equal(r.passed, true, JSON.stringify(r));
      assert.ok(r.atS! >= 1.0, `smile at ${r.atS}`);
    });

    test('Chromium killed: the engine restarts it with a fresh profile and goes on; close is idempotent', async () => {
      const frame = await photoFrame(fixture('faces', 'joe_biden', '2.jpg'));
      const other = MediaPipeFaceEngine.create({ chromiumPath: CHROMIUM });
      try {
        await other.ready();
        const pid = other.chromiumPid!;
        process.kill(pid, 'SIGKILL');
        // Frames sent while it dies may fail; the engine must come back within a few tries.
        let observation: FaceObservation | undefined;
        for (let i = 0; i < 5 && !observation; i++) observation = await other.analyze(frame).catch(() => undefined);
        assert.equal(observation?.faceCount, 1);
        assert.equal(other.restarts, 1);
        assert.notEqual(other.chromiumPid, pid);
      } finally {
        await other.close();
      }
      await other.close();
      await assert.rejects(other.analyze(frame), /closed/);
    });
  },
});
