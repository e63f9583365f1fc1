/** The real-footage cases the face engine must pass (test/mediapipe runs them on FACE_ENGINE=mediapipe). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { ALL_CHALLENGES } from '../../challenges';
import type { I420Frame } from '../../src/common/image';
import type { FaceAnalysisPort } from '../../src/face/face-analysis.port';
import type { FaceObservation, ObservedFace } from '../../src/face/face-observation';
import { rgbToI420 } from '../../src/face/i420';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import { DEFAULT_LIVENESS_SETTINGS, observeFace, startLiveness } from '../../src/liveness/liveness';
import { analyzeClip, stillFrames } from './video-frames';
import { replayChallenge } from '../traces/trace';
import { fixture } from './fixtures';

/** A face engine under test: the port plus its idempotent close. */
export type EngineUnderTest = FaceAnalysisPort & { close(): Promise<void> };

/** The challenge plugin with this id. */
export const plugin = (id: string) => ALL_CHALLENGES.find((c) => c.id === id)!;

/** A face photo as a 640x480 I420 frame (contained, black borders). */
export async function photoFrame(file: string): Promise<I420Frame> {
  const { data, info } = await sharp(file)
    .rotate()
    .resize(640, 480, { fit: 'contain' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return rgbToI420({ width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) });
}

/** Two fixture faces side by side in one 640x480 frame. */
async function twoFacesFrame(): Promise<I420Frame> {
  const [a, b] = await Promise.all(
    [fixture('faces', 'barack_obama', '1.jpg'), fixture('faces', 'joe_biden', '2.jpg')].map((f) =>
      sharp(f).rotate().resize(320, 480, { fit: 'cover' }).removeAlpha().raw().toBuffer(),
    ),
  );
  const rgb = new Uint8Array(640 * 480 * 3);
  for (let y = 0; y < 480; y++) {
    rgb.set(a.subarray(y * 960, (y + 1) * 960), y * 1920);
    rgb.set(b.subarray(y * 960, (y + 1) * 960), y * 1920 + 960);
  }
  return rgbToI420({ width: 640, height: 480, channels: 3, data: rgb });
}

/** What an engine's own tests get: the running engine and a clip decoder bound to it. */
export interface EngineCaseContext<E extends EngineUnderTest> {
  engine(): E;
  /** Observations of a fixture clip (path under fixtures/videos unless absolute) at `fps`. */
  clip(file: string, fps: number, start?: number, duration?: number): Promise<FaceObservation[]>;
}

/** Per-engine parts of the shared cases. */
export interface EngineCaseOptions<E extends EngineUnderTest> {
  create(): E;
  skip?: false | string;
  timeoutMs: number;
  /** Extra checks of the engine's own signals on the blink clip (0–4 s at 15 fps); `open` is frame 10. */
  blinkChecks?(observations: FaceObservation[], open: ObservedFace): void;
  /** The engine's own tests, run after the shared ones with the same engine. */
  more?(context: EngineCaseContext<E>): void;
}

/**
 * Registers a suite running `options.create()` on real footage decoded with ffmpeg at test time: the blink,
 * head-turn, talking, replay-attack, still-photo and two-face cases of issue 4, then the engine's own tests.
 */
export function describeEngineOnFootage<E extends EngineUnderTest>(title: string, options: EngineCaseOptions<E>): void {
  let engine: E;
  const context: EngineCaseContext<E> = {
    engine: () => engine,
    clip: async (file, fps, start = 0, duration) =>
      (await analyzeClip(engine, file.startsWith('/') ? file : fixture('videos', file), { fps, start, duration })).observations,
  };
  const { clip } = context;

  describe(title, { skip: options.skip, timeout: options.timeoutMs }, () => {
    before(async () => {
      engine = options.create();
      await engine.ready();
    });
    after(() => engine?.close());

    test('blink clip: an open-eyed frontal face, and blink passes at the first blink (≈2.9–3.1 s)', async () => {
      const obs = await clip('blink_webcam_viet281101.h264.mp4', 15, 0, 4);
      const open = obs[10].face!;
      assert.equal(obs[10].faceCount, 1);
      assert.ok(open.eyeOpenness.left > 0.22 && open.eyeOpenness.right > 0.22, JSON.stringify(open.eyeOpenness));
      assert.ok(Math.abs(open.yawDeg) < 10 && open.mouthOpenness < 0.03);
      assert.ok(open.quality.faceShare > 0.1 && open.quality.brightness > 50 && open.quality.sharpness > 0);
      options.blinkChecks?.(obs, open);
      const r = replayChallenge(plugin('blink'), obs);
      assert.equal(r.passed, true);
      assert.ok(r.atS! >= 2.8 && r.atS! <= 3.4, `blink at ${r.atS}`);
    });

    test('head-turn clip: the subject turns right first (7–8.5 s), then left (9.5–11 s)', async () => {
      const obs = await clip('headturn_webcam_zubair_real.h264.mp4', 15, 6, 6);
      assert.equal(replayChallenge(plugin('turn-head-right'), obs, 6, 8.8).passed, true);
      assert.equal(replayChallenge(plugin('turn-head-left'), obs, 6, 8.8).passed, false);
      assert.equal(replayChallenge(plugin('turn-head-left'), obs, 8.8, 12).passed, true);
      assert.equal(replayChallenge(plugin('turn-head-right'), obs, 8.8, 12).passed, false);
    });

    test('talking clips do not pass smile or open-close-mouth faster than the real attempts', async () => {
      for (const name of ['retalking_face_1.mp4', 'retalking_face_2.mp4', 'retalking_face_4.mp4', 'retalking_face_5.mp4']) {
        const obs = await clip(name, 10);
        const smile = replayChallenge(plugin('smile'), obs);
        const mouth = replayChallenge(plugin('open-close-mouth'), obs);
        assert.ok(!smile.passed || smile.atS! > 2.8, `${name} smile at ${smile.atS}`);
        assert.ok(!mouth.passed || mouth.atS! > 3.3, `${name} open-close-mouth at ${mouth.atS}`);
      }
    });

    test('phone replay attack does not pass head turns', async () => {
      const obs = await clip(fixture('attacks', 'videos', 'replay_phone_zubair_fake.h264.mp4'), 10);
      for (const id of ['turn-head-left', 'turn-head-right']) assert.equal(replayChallenge(plugin(id), obs).passed, false, id);
    });

    test('a still photo fed as video for 30 s passes no challenge', async () => {
      const photo = await photoFrame(fixture('faces', 'barack_obama', '1.jpg'));
      const obs: FaceObservation[] = [];
      for (const frame of stillFrames(photo, 10, 30)) obs.push(await engine.analyze(frame, 'still'));
      assert.ok(obs.every((o) => o.faceCount === 1));
      for (const c of ALL_CHALLENGES) assert.equal(replayChallenge(c, obs).passed, false, c.id);
    });

    test('two faces side by side: faceCount 2, and the liveness runtime fails with multiple_faces', async () => {
      const frame = await twoFacesFrame();
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

    test('analyze leaves the frame intact (its buffer is given back); toRgb converts', async () => {
      const frame = await photoFrame(fixture('faces', 'joe_biden', '2.jpg'));
      const copy = frame.data.slice();
      const o = await engine.analyze(frame);
      assert.equal(o.faceCount, 1);
      assert.deepEqual(frame.data, copy);
      assert.equal(engine.toRgb(frame).data.length, 640 * 480 * 3);
    });

    options.more?.(context);
  });
}
