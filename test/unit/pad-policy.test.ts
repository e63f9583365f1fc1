import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calibrateBox } from '../../src/pad/box-calibration';
import { cropRegion, PAD_INPUT_SIZE, sampleCrop } from '../../src/pad/pad-crop';
import {
  addScore,
  closeOpenWindow,
  EMPTY_PAD_TRACE,
  markSteppedUp,
  padFailsAtVerdict,
  padFailsNow,
  padNeedsStepUp,
  padScoreDue,
  padSummary,
  type PadTrace,
  type ScoredFrame,
} from '../../src/pad/pad-policy';
import { padEnv } from '../../src/pad/pad.env';
import { rgbToI420 } from '../../src/face/i420';

const THRESHOLD = 0.5;

/** 5 frames/s from `fromMs`, each segment `seconds` long with `score` (null: no face, so no score), folded into `start`. */
function trace(segments: [seconds: number, score: number | null][], start: PadTrace = EMPTY_PAD_TRACE, fromMs = 0): PadTrace {
  const frames: ScoredFrame[] = [];
  let t = fromMs;
  for (const [seconds, score] of segments) {
    for (let i = 0; i < seconds * 5; i++, t += 200) if (score !== null) frames.push({ timestampMs: t, score });
  }
  return frames.reduce((tr, f) => addScore(tr, f, THRESHOLD), start);
}

describe('PAD windows', () => {
  it('should average scored frames over consecutive 2-s windows from the first scored frame', () => {
    const t = closeOpenWindow(
      trace([
        [2, 0.9],
        [2, 0.1],
        [1, 0.3],
      ]),
      THRESHOLD,
      5000,
    );
    assert.deepEqual(
      t.windows.map((w) => [w.startMs, w.frames, Number(w.mean.toFixed(3)), w.suspect]),
      [
        [0, 10, 0.9, false],
        [2000, 10, 0.1, true],
        [4000, 5, 0.3, true],
      ],
    );
    assert.equal(t.frames, 25);
  });

  it('should score nothing when no frame had a face: no window, not suspect, nothing to fail', () => {
    const t = closeOpenWindow(trace([[10, null]]), THRESHOLD, 10_000);
    assert.equal(t.frames, 0);
    assert.deepEqual(t.windows, []);
    for (const policy of ['report', 'stepup', 'enforce'] as const) {
      assert.equal(padNeedsStepUp(t, policy) || padFailsNow(t, policy) || padFailsAtVerdict(t, policy), false, policy);
    }
    assert.equal(padSummary(t, { policy: 'stepup', threshold: THRESHOLD }).windowMin, undefined);
  });

  it('should not count a window with under 3 scored frames, nor let it break a suspect run', () => {
    // 2 s attack, 2 s with a face in only 2 frames (scored high), 2 s attack.
    const frames: ScoredFrame[] = [];
    for (let t = 0; t < 2000; t += 200) frames.push({ timestampMs: t, score: 0.05 });
    frames.push({ timestampMs: 2000, score: 0.99 }, { timestampMs: 2200, score: 0.99 });
    for (let t = 4000; t < 6000; t += 200) frames.push({ timestampMs: t, score: 0.05 });
    const t = closeOpenWindow(
      frames.reduce((tr, f) => addScore(tr, f, THRESHOLD), EMPTY_PAD_TRACE),
      THRESHOLD,
      6000,
    );
    assert.deepEqual(
      t.windows.map((w) => w.startMs),
      [0, 4000],
    );
    assert.equal(t.suspectRun, 2);
    assert.equal(t.frames, 22);
  });

  it('should keep windows on the 2-s grid across a gap without faces', () => {
    const t = trace([
      [1, 0.9],
      [3, null],
      [3, 0.9],
    ]);
    const closed = closeOpenWindow(t, THRESHOLD, 7000);
    assert.deepEqual(
      closed.windows.map((w) => [w.startMs, w.frames]),
      [
        [0, 5],
        [4000, 10],
        [6000, 5],
      ],
    );
  });
});

describe('PAD rate', () => {
  it('should pick 5 frames per second out of a 30 fps or a 15 fps stream', () => {
    for (const streamFps of [30, 15]) {
      let last: number | undefined;
      let scored = 0;
      for (let i = 0; i < streamFps * 10; i++) {
        const t = Math.round((i * 1000) / streamFps);
        if (padScoreDue(last, t, 5)) [last, scored] = [t, scored + 1];
      }
      assert.equal(scored, 50, `${streamFps} fps`);
    }
  });
});

describe('PAD policy', () => {
  // A replay: every window low. A live subject: high, one dip (a head turn), high.
  const replay = trace([[6, 0.05]]);
  const liveWithDip = trace([
    [2, 0.95],
    [2, 0.4],
    [2, 0.95],
  ]);

  it('should make a flow suspect after two consecutive windows below the threshold, not one', () => {
    const stepsUp = (...segments: [number, number][]) => padNeedsStepUp(trace(segments), 'stepup');
    assert.equal(stepsUp([2, 0.9], [2, 0.2]), false);
    // The second low window closes when the next frame arrives (or at the verdict).
    assert.equal(stepsUp([2, 0.2], [2, 0.2]), false);
    assert.equal(stepsUp([2, 0.2], [2, 0.2], [0.2, 0.2]), true);
    assert.equal(padNeedsStepUp(closeOpenWindow(trace([[4, 0.2]]), THRESHOLD, 4000), 'stepup'), true);
    assert.equal(padNeedsStepUp(liveWithDip, 'stepup'), false);
  });

  it('stepup: one extra challenge, then fail at the verdict only if still suspect', () => {
    assert.equal(padNeedsStepUp(replay, 'stepup'), true);
    assert.equal(padFailsNow(replay, 'stepup'), false);
    const stepped = markSteppedUp(replay);
    assert.equal(padNeedsStepUp(stepped, 'stepup'), false, 'only one extra challenge');
    // The replay goes on during the extra challenge.
    const stillReplay = closeOpenWindow(trace([[4, 0.05]], stepped, 6000), THRESHOLD, 10_000);
    assert.equal(padFailsAtVerdict(stillReplay, 'stepup'), true);
    // A live subject whose windows recover during the extra challenge passes.
    const recovered = closeOpenWindow(
      [0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800].reduce(
        (tr, dt) => addScore(tr, { timestampMs: 6000 + dt, score: 0.95 }, THRESHOLD),
        stepped,
      ),
      THRESHOLD,
      8000,
    );
    assert.equal(padFailsAtVerdict(recovered, 'stepup'), false);
    assert.equal(padSummary(recovered, { policy: 'stepup', threshold: THRESHOLD }).suspect, true, 'the record keeps that it was suspect');
  });

  it('enforce: fail at the first two suspect windows, and at the verdict even if the windows recovered', () => {
    assert.equal(padFailsNow(replay, 'enforce'), true);
    assert.equal(padNeedsStepUp(replay, 'enforce'), false);
    const recovered = closeOpenWindow(trace([[6, 0.95]], replay, 6000), THRESHOLD, 12_000);
    assert.equal(padFailsAtVerdict(recovered, 'enforce'), true);
    assert.equal(padFailsNow(liveWithDip, 'enforce'), false);
  });

  it('report and off: never decide anything', () => {
    for (const policy of ['report', 'off'] as const) {
      assert.equal(padNeedsStepUp(replay, policy) || padFailsNow(replay, policy) || padFailsAtVerdict(replay, policy), false);
    }
  });

  it('should summarise without images: windows, minimum, frames', () => {
    const s = padSummary(closeOpenWindow(liveWithDip, THRESHOLD, 6000), { policy: 'report', threshold: THRESHOLD });
    assert.deepEqual(
      { frames: s.framesScored, min: s.windowMin, windows: s.windows.map((w) => w.mean), suspect: s.suspect },
      { frames: 30, min: 0.4, windows: [0.95, 0.4, 0.95], suspect: false },
    );
  });

  it('should default to stepup at threshold 0.5 and refuse a threshold outside 0..1', () => {
    assert.equal(padEnv.PAD_POLICY.parse(undefined), 'stepup');
    assert.equal(padEnv.PAD_THRESHOLD.parse(undefined), 0.5);
    assert.throws(() => padEnv.PAD_THRESHOLD.parse('1.5'), /between 0 and 1/);
    assert.throws(() => padEnv.PAD_POLICY.parse('strict'), /must be one of off, report, stepup, enforce/);
  });
});

describe('PAD crops', () => {
  it('should scale the box around its centre and shift, not clip, the crop into the frame (Silent-Face rule)', () => {
    const box = { x: 280, y: 200, width: 80, height: 100 };
    assert.deepEqual(cropRegion(640, 480, box, 2.7), { x0: 212, y0: 115, x1: 428, y1: 385 });
    // Near the right edge: shifted left, same size.
    assert.deepEqual(cropRegion(640, 480, { ...box, x: 590 }, 2.7), { x0: 423, y0: 115, x1: 639, y1: 385 });
    // Too big for the frame: the scale is capped so the crop fits ((480-1)/100 = 4.79 ≥ 4, (640-1)/200 = 3.195).
    const r = cropRegion(640, 480, { x: 220, y: 190, width: 200, height: 100 }, 4.0);
    assert.deepEqual(r, { x0: 0, y0: 80, x1: 639, y1: 399 });
  });

  it('should apply the box calibration as centre shift and size scale', () => {
    assert.deepEqual(calibrateBox({ x: 100, y: 100, width: 100, height: 200 }, { sx: 1.2, sy: 0.5, dx: 0.1, dy: -0.25 }), {
      x: 100,
      y: 100,
      width: 120,
      height: 100,
    });
  });

  it('should sample planar BGR 0–255 at 80x80 from RGB and from I420 alike', () => {
    // A 64x48 image: left half red, right half blue.
    const rgb = new Uint8Array(64 * 48 * 3);
    for (let i = 0; i < 64 * 48; i++) rgb.set(i % 64 < 32 ? [220, 20, 20] : [20, 20, 220], i * 3);
    const image = { width: 64, height: 48, channels: 3 as const, data: rgb };
    const region = { x0: 0, y0: 0, x1: 63, y1: 47 };
    const plane = PAD_INPUT_SIZE * PAD_INPUT_SIZE;
    for (const source of [image, rgbToI420(image)]) {
      const out = new Float32Array(3 * plane);
      sampleCrop(source, region, out);
      const at = (c: number, row: number, col: number) => out[c * plane + row * PAD_INPUT_SIZE + col];
      // Channel 0 is blue, channel 2 red.
      assert.ok(at(2, 40, 5) > 180 && at(0, 40, 5) < 60, `left pixel BGR ${at(0, 40, 5)},${at(1, 40, 5)},${at(2, 40, 5)}`);
      assert.ok(at(0, 40, 75) > 180 && at(2, 40, 75) < 60, `right pixel BGR ${at(0, 40, 75)},${at(1, 40, 75)},${at(2, 40, 75)}`);
    }
  });
});
