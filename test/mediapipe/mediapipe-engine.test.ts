import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { ALL_CHALLENGES } from '../../challenges';
import type { I420Frame } from '../../src/common/image';
import type { FaceObservation } from '../../src/face/face-observation';
import { rgbToI420 } from '../../src/face/i420';
import { MediaPipeFaceEngine } from '../../src/face/mediapipe/mediapipe-face.engine';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import { DEFAULT_LIVENESS_SETTINGS, observeFace, startLiveness } from '../../src/liveness/liveness';
import { analyzeClip, fixturesDir, stillFrames } from '../../scripts/video-frames';
import { replayChallenge } from '../traces/trace';
import { CHROMIUM, skipWithoutChromium } from './support';

// FACE_ENGINE=mediapipe on the same real footage and with the same challenge plugins as the default engine
// (test/face/face-engine.test.ts), plus the raw blendshapes against LABELS.md times.
const VIDEOS = join(fixturesDir(), 'videos');
const ATTACKS = join(fixturesDir(), 'attacks', 'videos');
const FACES = join(fixturesDir(), 'faces');
const plugin = (id: string) => ALL_CHALLENGES.find((c) => c.id === id)!;

let engine: MediaPipeFaceEngine;
const clip = async (file: string, fps: number, start = 0, duration?: number) =>
  (await analyzeClip(engine, file, { fps, start, duration })).observations;

/** Highest value of a blendshape between two times (seconds). */
function peak(obs: readonly FaceObservation[], name: string, fromS: number, toS: number): number {
  const values = obs.filter((o) => o.timestampMs >= fromS * 1000 && o.timestampMs <= toS * 1000).map((o) => o.face?.blendshapes?.[name] ?? 0);
  return Math.max(0, ...values);
}

async function photoFrame(file: string): Promise<I420Frame> {
  const { data, info } = await sharp(file).rotate().resize(640, 480, { fit: 'contain' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return rgbToI420({ width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) });
}

describe('MediaPipeFaceEngine on real footage', { skip: skipWithoutChromium, timeout: 10 * 60_000 }, () => {
  before(async () => {
    engine = MediaPipeFaceEngine.create({ chromiumPath: CHROMIUM });
    await engine.ready();
  });
  after(() => engine?.close());

  test('blink clip: eye signals and blendshapes read open then closed, and blink passes at the first blink (≈2.9–3.1 s)', async () => {
    const obs = await clip(join(VIDEOS, 'blink_webcam_viet281101.h264.mp4'), 15, 0, 4);
    const open = obs[10].face!;
    assert.equal(obs[10].faceCount, 1);
    assert.ok(open.eyeOpenness.left > 0.22 && open.eyeOpenness.right > 0.22, JSON.stringify(open.eyeOpenness));
    assert.ok(Math.abs(open.yawDeg) < 10 && Math.abs(open.rollDeg) < 10 && open.mouthOpenness < 0.03);
    assert.ok(open.quality.faceShare > 0.1 && open.quality.brightness > 50 && open.quality.sharpness > 0);
    assert.equal(Object.keys(open.blendshapes!).length, 52);
    // The 2060 service's blink thresholds: < 0.35 at rest, > 0.5 closed.
    assert.ok(peak(obs, 'eyeBlinkLeft', 0, 2.7) < 0.35 && peak(obs, 'eyeBlinkRight', 0, 2.7) < 0.35);
    assert.ok(peak(obs, 'eyeBlinkLeft', 2.8, 3.2) > 0.5 && peak(obs, 'eyeBlinkRight', 2.8, 3.2) > 0.5);
    const r = replayChallenge(plugin('blink'), obs);
    assert.equal(r.passed, true);
    assert.ok(r.atS! >= 2.8 && r.atS! <= 3.4, `blink at ${r.atS}`);
  });

  test('a wink is one eye only, on the subject\'s own side (liveportrait_d3: left eye 0.2–0.6 s), and is no blink', async () => {
    const obs = await clip(join(VIDEOS, 'liveportrait_d3.mp4'), 15, 0, 1);
    const wink = obs.find((o) => Math.abs(o.timestampMs - 400) < 40)!.face!;
    assert.ok(wink.eyeOpenness.left < 0.6 * wink.eyeOpenness.right, JSON.stringify(wink.eyeOpenness));
    assert.ok(wink.blendshapes!.eyeBlinkLeft > wink.blendshapes!.eyeBlinkRight + 0.2, JSON.stringify(wink.blendshapes));
    assert.equal(replayChallenge(plugin('blink'), obs).passed, false);
  });

  test('open-close-mouth passes on liveportrait_d18, where jawOpen crosses the 2060 thresholds; its shout is no smile', async () => {
    const obs = await clip(join(VIDEOS, 'liveportrait_d18.mp4'), 15);
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
    const obs = await clip(join(VIDEOS, 'liveportrait_d0.mp4'), 15);
    assert.ok(peak(obs, 'mouthSmileRight', 0, 0.4) < 0.2 && peak(obs, 'mouthSmileRight', 1.0, 2.0) > 0.6);
    const r = replayChallenge(plugin('smile'), obs);
    assert.equal(r.passed, true, JSON.stringify(r));
    assert.ok(r.atS! >= 1.0, `smile at ${r.atS}`);
  });

  test('head-turn clip: the subject turns right first (7–8.5 s), then left (9.5–11 s)', async () => {
    const obs = await clip(join(VIDEOS, 'headturn_webcam_zubair_real.h264.mp4'), 15, 6, 6);
    assert.equal(replayChallenge(plugin('turn-head-right'), obs, 6, 8.8).passed, true);
    assert.equal(replayChallenge(plugin('turn-head-left'), obs, 6, 8.8).passed, false);
    assert.equal(replayChallenge(plugin('turn-head-left'), obs, 8.8, 12).passed, true);
    assert.equal(replayChallenge(plugin('turn-head-right'), obs, 8.8, 12).passed, false);
  });

  test('talking clips do not pass smile or open-close-mouth faster than the real attempts', async () => {
    for (const name of ['retalking_face_1.mp4', 'retalking_face_2.mp4', 'retalking_face_4.mp4', 'retalking_face_5.mp4']) {
      const obs = await clip(join(VIDEOS, name), 10);
      const smile = replayChallenge(plugin('smile'), obs);
      const mouth = replayChallenge(plugin('open-close-mouth'), obs);
      assert.ok(!smile.passed || smile.atS! > 2.8, `${name} smile at ${smile.atS}`);
      assert.ok(!mouth.passed || mouth.atS! > 3.3, `${name} open-close-mouth at ${mouth.atS}`);
    }
  });

  test('phone replay attack does not pass head turns', async () => {
    const obs = await clip(join(ATTACKS, 'replay_phone_zubair_fake.h264.mp4'), 10);
    for (const id of ['turn-head-left', 'turn-head-right']) assert.equal(replayChallenge(plugin(id), obs).passed, false, id);
  });

  test('a still photo fed as video for 30 s passes no challenge', async () => {
    const photo = await photoFrame(join(FACES, 'barack_obama', '1.jpg'));
    const obs: FaceObservation[] = [];
    for (const frame of stillFrames(photo, 10, 30)) obs.push(await engine.analyze(frame, 'still'));
    assert.ok(obs.every((o) => o.faceCount === 1));
    for (const c of ALL_CHALLENGES) assert.equal(replayChallenge(c, obs).passed, false, c.id);
  });

  test('two faces side by side: faceCount 2, and the liveness runtime fails with multiple_faces', async () => {
    const [a, b] = await Promise.all(
      [join(FACES, 'barack_obama', '1.jpg'), join(FACES, 'joe_biden', '2.jpg')].map((f) =>
        sharp(f).rotate().resize(320, 480, { fit: 'cover' }).removeAlpha().raw().toBuffer(),
      ),
    );
    const rgb = new Uint8Array(640 * 480 * 3);
    for (let y = 0; y < 480; y++) {
      rgb.set(a.subarray(y * 960, (y + 1) * 960), y * 1920);
      rgb.set(b.subarray(y * 960, (y + 1) * 960), y * 1920 + 960);
    }
    const frame = rgbToI420({ width: 640, height: 480, channels: 3, data: rgb });
    const registry = new ChallengeRegistry(ALL_CHALLENGES);
    let state = startLiveness(['blink']);
    let faceCount = 0;
    for (const f of stillFrames(frame, 10, 3)) {
      const o = await engine.analyze(f, 'two');
      faceCount = Math.max(faceCount, o.faceCount);
      state = observeFace(state, o, registry.plugins, { ...DEFAULT_LIVENESS_SETTINGS, faceLostMs: 5000 });
    }
    assert.equal(faceCount, 2);
    assert.equal(state.failure, 'multiple_faces');
  });

  test('analyze leaves the frame intact; toRgb converts', async () => {
    const frame = await photoFrame(join(FACES, 'joe_biden', '2.jpg'));
    const copy = frame.data.slice();
    const o = await engine.analyze(frame);
    assert.equal(o.faceCount, 1);
    assert.deepEqual(frame.data, copy);
    assert.equal(engine.toRgb(frame).data.length, 640 * 480 * 3);
  });

  test('Chromium killed: the engine restarts it with a fresh profile and goes on; close is idempotent', async () => {
    const frame = await photoFrame(join(FACES, 'joe_biden', '2.jpg'));
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
});
