import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { ALL_CHALLENGES } from '../../challenges';
import type { I420Frame } from '../../src/common/image';
import type { FaceObservation } from '../../src/face/face-observation';
import { HumanFaceEngine } from '../../src/face/human/human-face.engine';
import { rgbToI420 } from '../../src/face/i420';
import { DEFAULT_LIVENESS_SETTINGS, observeFace, startLiveness } from '../../src/liveness/liveness';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import { analyzeClip, fixturesDir, stillFrames } from '../../scripts/video-frames';
import { replayChallenge } from '../traces/trace';

// The real engine (Human on TFJS-WASM in a worker) on real footage, decoded with ffmpeg at test time.
const VIDEOS = join(fixturesDir(), 'videos');
const ATTACKS = join(fixturesDir(), 'attacks', 'videos');
const FACES = join(fixturesDir(), 'faces');
const plugin = (id: string) => ALL_CHALLENGES.find((c) => c.id === id)!;

let engine: HumanFaceEngine;
const clip = async (file: string, fps: number, start = 0, duration?: number) =>
  (await analyzeClip(engine, file, { fps, start, duration })).observations;

/** A face photo as a 640x480 I420 frame (contained, black borders). */
async function photoFrame(file: string): Promise<I420Frame> {
  const { data, info } = await sharp(file).rotate().resize(640, 480, { fit: 'contain' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return rgbToI420({ width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) });
}

describe('HumanFaceEngine on real footage', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    engine = HumanFaceEngine.create({ workers: 1 });
    await engine.ready();
  });
  after(() => engine.close());

  test('measures an open-eyed frontal face, then passes blink at the first blink of the webcam clip', async () => {
    const obs = await clip(join(VIDEOS, 'blink_webcam_viet281101.h264.mp4'), 15, 0, 4);
    const open = obs[10].face!;
    assert.equal(obs[10].faceCount, 1);
    assert.ok(open.eyeOpenness.left > 0.22 && open.eyeOpenness.right > 0.22, JSON.stringify(open.eyeOpenness));
    assert.ok(Math.abs(open.yawDeg) < 10 && open.mouthOpenness < 0.03);
    assert.ok(open.quality.faceShare > 0.1 && open.quality.brightness > 50 && open.quality.sharpness > 0);
    assert.equal(open.descriptor?.length, 1024);
    const r = replayChallenge(plugin('blink'), obs);
    assert.equal(r.passed, true);
    assert.ok(r.atS! >= 2.8 && r.atS! <= 3.4, `blink at ${r.atS}`);
  });

  test('open-close-mouth passes on liveportrait_d18', async () => {
    const r = replayChallenge(plugin('open-close-mouth'), await clip(join(VIDEOS, 'liveportrait_d18.mp4'), 15, 0, 4));
    assert.equal(r.passed, true, JSON.stringify(r));
  });

  test('smile passes on liveportrait_d0', async () => {
    const r = replayChallenge(plugin('smile'), await clip(join(VIDEOS, 'liveportrait_d0.mp4'), 15));
    assert.equal(r.passed, true, JSON.stringify(r));
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

  test('analyze gives the frame buffer back; toRgb converts; close is idempotent', async () => {
    const frame = await photoFrame(join(FACES, 'joe_biden', '2.jpg'));
    const copy = frame.data.slice();
    await engine.analyze(frame);
    assert.deepEqual(frame.data, copy);
    assert.equal(engine.toRgb(frame).data.length, 640 * 480 * 3);
    const other = HumanFaceEngine.create({ workers: 1 });
    await other.close();
    await other.close();
    await assert.rejects(other.analyze(frame), /closed/);
  });
});
