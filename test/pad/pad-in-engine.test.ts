/**
 * The PAD score in the face worker pool: the real engines (one worker each) score the one face of a frame in the
 * same round-trip when asked (needs.pad), on their own box calibrated to BlazeFace's; real fixture frames.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BlazeFace } from '../support/blazeface';
import { videoFrames } from '../support/video-frames';
import { createNamedFaceEngine } from '../../src/adapters';
import type { I420Frame } from '../../src/common/image';
import { FACE_ENGINES } from '../../src/face/face.env';
import { i420ToRgb } from '../../src/face/i420';
import type { WorkerFaceEngine } from '../../src/face/worker-face-engine';
import { calibrateBox, MEDIAPIPE_TO_PAD } from '../../src/pad/box-calibration';
import { fixture } from '../support/fixtures';

const CALIBRATION = { mediapipe: MEDIAPIPE_TO_PAD };

async function frames(dir: string, clip: string, start: number, count: number): Promise<I420Frame[]> {
  const out: I420Frame[] = [];
  for await (const frame of videoFrames(fixture(dir, clip), { fps: 2, start, duration: count / 2, maxWidth: 640 })) out.push(frame);
  return out;
}

const copy = (f: I420Frame): I420Frame => ({ ...f, data: f.data.slice() });

for (const engineName of FACE_ENGINES) {
  describe(`PAD in the ${engineName} worker pool`, { timeout: 5 * 60_000 }, () => {
    let engine: WorkerFaceEngine;
    let live: I420Frame[];
    let replay: I420Frame[];
    before(async () => {
      engine = createNamedFaceEngine(engineName, { workers: 1 });
      [live, replay] = await Promise.all([
        frames('videos', 'blink_webcam_viet281101.webm', 1, 4),
        frames('attacks/videos', 'replay_screen_manikantha_fake.mp4', 3, 4),
        engine.ready(),
      ]);
    });
    after(() => engine?.close());

    it('should score the one face of a frame when asked, live high and the screen replay low', async () => {
      const liveScores = [];
      for (const f of live) liveScores.push((await engine.analyze(copy(f), 'live', { pad: true })).padScore);
      const replayScores = [];
      for (const f of replay) replayScores.push((await engine.analyze(copy(f), 'replay', { pad: true })).padScore);
      assert.ok(
        liveScores.every((s) => s !== undefined && s >= 0.5),
        `live: ${liveScores.join(', ')}`,
      );
      // A frame where the engine counts a second face (the hand-held phone's edge) is not scored.
      const scored = replayScores.filter((s) => s !== undefined);
      assert.ok(scored.length >= replay.length - 1 && scored.every((s) => s < 0.5), `replay: ${replayScores.join(', ')}`);
    });

    it('should not score without needs.pad, nor a frame without a face', async () => {
      assert.equal((await engine.analyze(copy(live[0]), 'live')).padScore, undefined);
      const blank: I420Frame = { ...live[0], data: new Uint8Array(live[0].data.length).fill(128) };
      const observation = await engine.analyze(blank, 'blank', { pad: true });
      assert.equal(observation.faceCount, 0);
      assert.equal(observation.padScore, undefined);
    });

    it("should calibrate the engine's box onto BlazeFace's (the box the PAD threshold was measured on)", async () => {
      const detector = await BlazeFace.load();
      try {
        for (const f of [...live, ...replay]) {
          const [b] = await detector.detect(i420ToRgb(f));
          const o = await engine.analyze(copy(f), undefined);
          const c = calibrateBox(o.face!.box, CALIBRATION[engineName]);
          const ix = Math.max(0, Math.min(b.x + b.width, c.x + c.width) - Math.max(b.x, c.x));
          const iy = Math.max(0, Math.min(b.y + b.height, c.y + c.height) - Math.max(b.y, c.y));
          const iou = (ix * iy) / (b.width * b.height + c.width * c.height - ix * iy);
          assert.ok(iou > 0.75, `IoU ${iou.toFixed(2)} of the calibrated box with BlazeFace's`);
        }
      } finally {
        await detector.close();
      }
    });
  });
}
