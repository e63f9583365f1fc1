import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { I420Frame } from '../../src/common/image';
import type { FaceObservation } from '../../src/face/face-observation';
import { MediaPipeFaceEngine } from '../../src/face/mediapipe/mediapipe-face.engine';
import { videoFrames } from '../support/video-frames';
import { replayChallenge } from '../traces/trace';
import { describeEngineOnFootage, photoFrame, plugin } from '../support/engine-cases';
import { fixture } from '../support/fixtures';

// The default engine (MediaPipe's models on onnxruntime in worker threads) on the real footage and with the
// challenge plugins every engine must pass (test/support/engine-cases.ts), plus its blendshapes against LABELS.md
// times and its per-stream tracking.

/** Highest value of a blendshape between two times (seconds). */
function peak(obs: readonly FaceObservation[], name: string, fromS: number, toS: number): number {
  const values = obs
    .filter((o) => o.timestampMs >= fromS * 1000 && o.timestampMs <= toS * 1000)
    .map((o) => o.face?.blendshapes?.[name] ?? 0);
  return Math.max(0, ...values);
}

/** Frames of a fixture clip. */
async function frames(file: string, fps: number, start: number, duration: number): Promise<I420Frame[]> {
  const out: I420Frame[] = [];
  for await (const f of videoFrames(fixture('videos', file), { fps, start, duration })) out.push(f);
  return out;
}

describeEngineOnFootage('MediaPipeFaceEngine on real footage', {
  create: () => MediaPipeFaceEngine.create({ workers: 1 }),
  timeoutMs: 10 * 60_000,
  blinkChecks: (obs, open) => {
    assert.ok(Math.abs(open.rollDeg) < 10);
    assert.equal(Object.keys(open.blendshapes!).length, 52);
    // The 2060 service's blink thresholds: < 0.35 at rest, > 0.5 closed.
    assert.ok(peak(obs, 'eyeBlinkLeft', 0, 2.7) < 0.35 && peak(obs, 'eyeBlinkRight', 0, 2.7) < 0.35);
    assert.ok(peak(obs, 'eyeBlinkLeft', 2.8, 3.2) > 0.5 && peak(obs, 'eyeBlinkRight', 2.8, 3.2) > 0.5);
  },
  more: ({ clip, engine }) => {
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

    test('two streams interleaved keep their own tracks, on one worker and spread over two (a frontal face and a head turn)', async () => {
      const a = await frames('blink_webcam_viet281101.h264.mp4', 10, 0, 2);
      const b = await frames('headturn_webcam_zubair_real.h264.mp4', 10, 6.5, 2);
      const copy = (f: I420Frame): I420Frame => ({ ...f, data: f.data.slice() });
      const alone = async (list: I420Frame[], stream: string) => {
        const out: FaceObservation[] = [];
        for (const f of list) out.push(await engine().analyze(copy(f), stream));
        return out;
      };
      const soloA = await alone(a, 'solo-a');
      const soloB = await alone(b, 'solo-b');
      // Interleaving changes nothing: each stream's crops follow its own face (a shared track would put one
      // stream's crop on the other's frame and lose or bend the face).
      const near = (x: FaceObservation[], y: FaceObservation[]) =>
        x.every((o, i) => o.faceCount === y[i].faceCount && Math.abs((o.face?.yawDeg ?? 0) - (y[i].face?.yawDeg ?? 0)) < 0.5);
      const check = (mixedA: FaceObservation[], mixedB: FaceObservation[]) => {
        assert.ok(near(mixedA, soloA) && near(mixedB, soloB));
        assert.ok(Math.min(...mixedB.map((o) => o.face?.yawDeg ?? 0)) < -30, 'the head-turn stream turned');
        assert.ok(
          mixedA.every((o) => o.faceCount === 1 && Math.abs(o.face!.yawDeg) < 10),
          'the frontal stream stayed frontal',
        );
      };
      const mixedA: FaceObservation[] = [];
      const mixedB: FaceObservation[] = [];
      for (let i = 0; i < a.length; i++) {
        mixedA.push(await engine().analyze(copy(a[i]), 'mixed-a'));
        mixedB.push(await engine().analyze(copy(b[i]), 'mixed-b'));
      }
      check(mixedA, mixedB);
      // Two workers, both streams in flight at once: the first asked goes to the first idle worker, so swapping
      // the order every frame moves each stream from one worker to the other on every frame.
      const two = MediaPipeFaceEngine.create({ workers: 2 });
      try {
        await two.ready();
        const spreadA: FaceObservation[] = [];
        const spreadB: FaceObservation[] = [];
        for (let i = 0; i < a.length; i++) {
          const ask = [() => two.analyze(copy(a[i]), 'spread-a'), () => two.analyze(copy(b[i]), 'spread-b')];
          const [oa, ob] = i % 2 === 0 ? await Promise.all([ask[0](), ask[1]()]) : (await Promise.all([ask[1](), ask[0]()])).reverse();
          spreadA.push(oa);
          spreadB.push(ob);
        }
        check(spreadA, spreadB);
      } finally {
        await two.close();
      }
    });

    test('the descriptor seam: an injected describer is asked at most once a second per stream, none without one', async () => {
      const list = await frames('blink_webcam_viet281101.h264.mp4', 10, 0, 3);
      const described = MediaPipeFaceEngine.create({ workers: 1, descriptorModule: join(__dirname, '..', 'support', 'mesh-describer.js') });
      try {
        await described.ready();
        const obs: FaceObservation[] = [];
        for (const f of list) obs.push(await described.analyze({ ...f, data: f.data.slice() }, 'described'));
        const withDescriptor = obs.filter((o) => o.face?.descriptor);
        assert.equal(withDescriptor.length, 3, '3 s of clip');
        withDescriptor.slice(1).forEach((o, i) => assert.ok(o.timestampMs - withDescriptor[i].timestampMs >= 1000));
        // Unit length, pointing at the nose tip (x, y in pixels).
        const [x, y] = withDescriptor[0].face!.descriptor!;
        assert.ok(Math.abs(Math.hypot(x, y) - 1) < 1e-9 && x > 0 && y > 0);
      } finally {
        await described.close();
      }
      const none = MediaPipeFaceEngine.create({ workers: 1, descriptorModule: null });
      try {
        await none.ready();
        const plain = await none.analyze({ ...list[0], data: list[0].data.slice() }, 'plain');
        assert.equal(plain.face!.descriptor, undefined);
      } finally {
        await none.close();
      }
    });

    test('close is idempotent and a closed engine refuses frames', async () => {
      const frame = await photoFrame(fixture('faces', 'joe_biden', '2.jpg'));
      const other = MediaPipeFaceEngine.create({ workers: 1 });
      await other.close();
      await other.close();
      await assert.rejects(other.analyze(frame), /closed/);
    });
  },
});
