import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rgbToI420 } from '../../src/face/i420';
import { cropI420 } from '../../src/face/mediapipe/crop';
import { decodeDetections, ssdAnchors, weightedNms, type Detection } from '../../src/face/mediapipe/detector';
import { type CanonicalFace, fitRotation, largestEigenvector, type Rotation } from '../../src/face/mediapipe/head-pose';
import { headAngles, type MeshFace, smileFromBlendshapes, toObservation } from '../../src/face/mediapipe/mesh-observation';
import { letterboxRoi, projectPoint, roiFromBox, roiFromLandmarks } from '../../src/face/mediapipe/roi';

const DEG = Math.PI / 180;

/** Row-major rotation about Y (yaw) then X (pitch) then Z (roll): R = Rz · Rx · Ry. */
function rotation(yawDeg: number, pitchDeg: number, rollDeg = 0): Rotation {
  const [cy, sy, cp, sp, cr, sr] = [yawDeg, yawDeg, pitchDeg, pitchDeg, rollDeg, rollDeg].map((a, i) =>
    (i % 2 ? Math.sin : Math.cos)(a * DEG),
  );
  const ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rx = [1, 0, 0, 0, cp, -sp, 0, sp, cp];
  const rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  const mul = (a: number[], b: number[]) =>
    [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c]));
  return mul(rz, mul(rx, ry)) as Rotation;
}

const apply = (r: Rotation, p: readonly number[]) => [0, 1, 2].map((k) => r[k * 3] * p[0] + r[k * 3 + 1] * p[1] + r[k * 3 + 2] * p[2]);

/** A flat fake mesh: 478 points spread over a square of `size` px at (x, y). */
function face(x: number, y: number, size: number): MeshFace {
  const mesh: [number, number, number][] = [];
  for (let i = 0; i < 478; i++) mesh.push([x + ((i % 22) / 21) * size, y + (Math.floor(i / 22) / 21) * size, 0]);
  return { mesh, blendshapes: { mouthSmileLeft: 0.8, mouthSmileRight: 0.6 }, rotation: rotation(0, 0), score: 0.9 };
}

describe('MediaPipe pipeline math', () => {
  test('SSD anchors of the short-range detector: 896, 16×16×2 then 8×8×6, row-major cell centres', () => {
    const a = ssdAnchors();
    assert.equal(a.length, 896);
    assert.deepEqual(a[0], { x: 0.5 / 16, y: 0.5 / 16 });
    assert.deepEqual(a[1], a[0]);
    assert.deepEqual(a[2], { x: 1.5 / 16, y: 0.5 / 16 });
    assert.deepEqual(a[511], { x: 15.5 / 16, y: 15.5 / 16 });
    assert.deepEqual(a[512], { x: 0.5 / 8, y: 0.5 / 8 });
    assert.deepEqual(a[517], a[512]);
    assert.deepEqual(a[518], { x: 1.5 / 8, y: 0.5 / 8 });
    assert.deepEqual(a[895], { x: 7.5 / 8, y: 7.5 / 8 });
  });

  test('detections decode relative to their anchor in 128-px units, scores through a clipped sigmoid', () => {
    const anchors = ssdAnchors();
    const boxes = new Float32Array(896 * 16);
    const scores = new Float32Array(896).fill(-10);
    // Anchor 600 (8×8 grid): box 32 px wide, 12.8 px right of the anchor; left eye keypoint 6.4 px left of it.
    boxes.set([12.8, 0, 32, 25.6, 0, 0, -6.4, 0], 600 * 16);
    scores[600] = 200; // clipped to 100: still a valid probability
    scores[601] = 0; // sigmoid 0.5: kept (≥ 0.5)
    scores[602] = -0.1;
    const d = decodeDetections(boxes, scores, anchors);
    assert.equal(d.length, 2);
    const a = anchors[600];
    assert.ok(Math.abs(d[0].score - 1) < 1e-9);
    assert.ok(Math.abs(d[0].x0 - (a.x + 0.1 - 0.125)) < 1e-6 && Math.abs(d[0].x1 - (a.x + 0.1 + 0.125)) < 1e-6);
    assert.ok(Math.abs(d[0].y1 - d[0].y0 - 0.2) < 1e-6);
    assert.ok(Math.abs(d[0].keypoints[1][0] - (a.x - 0.05)) < 1e-6);
    assert.equal(d[1].score, 0.5);
  });

  test('weighted NMS merges overlapping detections with score weights and keeps separate faces', () => {
    const det = (x0: number, score: number): Detection => ({ score, x0, y0: 0, x1: x0 + 0.2, y1: 0.2, keypoints: [[x0, 0]] });
    const kept = weightedNms([det(0.1, 0.6), det(0, 0.9), det(0.7, 0.8), det(0.02, 0.3)]);
    assert.equal(kept.length, 2);
    // Cluster around 0: 0.9·0 + 0.6·0.1 + 0.3·0.02 over 1.8; the best score is kept.
    assert.ok(Math.abs(kept[0].x0 - 0.066 / 1.8) < 1e-9 && kept[0].score === 0.9);
    assert.ok(Math.abs(kept[0].keypoints[0][0] - 0.066 / 1.8) < 1e-9);
    assert.ok(Math.abs(kept[1].x0 - 0.7) < 1e-9);
  });

  test('ROI: eye line sets the rotation, the long side ×1.5 the size; projection maps crop corners into the frame', () => {
    const level = roiFromBox({ x0: 100, y0: 50, x1: 200, y1: 130 }, [120, 80], [180, 80]);
    assert.deepEqual(level, { cx: 150, cy: 90, width: 150, height: 150, angle: 0 });
    const tilted = roiFromBox({ x0: 0, y0: 0, x1: 10, y1: 10 }, [0, 0], [10, 10]);
    assert.ok(Math.abs(tilted.angle - Math.PI / 4) < 1e-12);
    const [x, y] = projectPoint(level, 0, 0);
    assert.ok(Math.abs(x - 75) < 1e-9 && Math.abs(y - 15) < 1e-9);
    // Rotated 90°: the crop's top-left corner (−½, −½) lands at the frame's (+½, −½) of the box.
    const [rx, ry] = projectPoint({ ...level, angle: Math.PI / 2 }, 0, 0);
    assert.ok(Math.abs(rx - 225) < 1e-9 && Math.abs(ry - 15) < 1e-9);
    assert.deepEqual(letterboxRoi(640, 480), { cx: 320, cy: 240, width: 640, height: 640, angle: 0 });
    // Eye corners 33 → 263 at 45°; the points span x 100..200, y 100..250: long side 150 × 1.5.
    const mesh = face(100, 100, 100).mesh.map((p, i) => (i === 33 ? ([100, 150, 0] as const) : i === 263 ? ([200, 250, 0] as const) : p));
    const next = roiFromLandmarks(mesh);
    assert.ok(Math.abs(next.angle - Math.PI / 4) < 1e-12, String(next.angle));
    assert.deepEqual([next.cx, next.cy, next.width, next.height], [150, 175, 225, 225]);
  });

  test('crop samples the I420 frame bilinearly in planar RGB, rotated, black outside, into the model range', () => {
    // Left half red, right half blue.
    const rgb = new Uint8Array(64 * 32 * 3);
    for (let i = 0; i < 64 * 32; i++) rgb.set(i % 64 < 32 ? [220, 20, 20] : [20, 20, 220], i * 3);
    const frame = rgbToI420({ width: 64, height: 32, channels: 3, data: rgb });
    const out = new Float32Array(4 * 4 * 3);
    // Pixel (col, row) of channel c (R 0, G 1, B 2) is at c·16 + row·4 + col.
    const rgbAt = (i: number) => [out[i], out[16 + i], out[32 + i]];
    cropI420(frame, { cx: 32, cy: 16, width: 32, height: 32, angle: 0 }, 4, { min: 0, max: 1 }, out);
    assert.ok(out[0] > 0.75 && out[32] < 0.2, `left is red: ${rgbAt(0)}`);
    assert.ok(out[3] < 0.2 && out[35] > 0.75, `right is blue: ${rgbAt(3)}`);
    // Rotated by 180°: the crop's left column reads the frame's right.
    cropI420(frame, { cx: 32, cy: 16, width: 32, height: 32, angle: Math.PI }, 4, { min: 0, max: 1 }, out);
    assert.ok(out[0] < 0.2 && out[32] > 0.75);
    // Outside the frame: black at the range's minimum.
    cropI420(frame, { cx: 32, cy: 16, width: 128, height: 128, angle: 0 }, 4, { min: -1, max: 1 }, out);
    assert.deepEqual(rgbAt(0), [-1, -1, -1]);
  });

  test('the Jacobi eigen-solver finds the largest eigenvector of a symmetric 4×4 matrix', () => {
    const v = largestEigenvector([
      [2, 1, 0, 0],
      [1, 2, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, -5],
    ]);
    assert.ok(Math.abs(Math.abs(v[0]) - Math.SQRT1_2) < 1e-9 && Math.abs(v[0] - v[1]) < 1e-9 && Math.abs(v[2]) < 1e-9);
  });

  test('head pose fit recovers yaw, pitch and roll of a rotated, scaled, shifted canonical face', () => {
    const points: [number, number, number][] = Array.from({ length: 468 }, (_, i) => [
      Math.sin(i) * 7,
      Math.cos(i * 1.3) * 9,
      Math.sin(i * 0.7) * 4,
    ]);
    const canonical: CanonicalFace = { points, basis: points.slice(0, 40).map((_, i) => ({ index: i * 11, weight: 1 + (i % 3) })) };
    for (const [yaw, pitch, roll] of [
      [25, 0, 0],
      [-40, 10, 0],
      [0, -15, 20],
    ]) {
      const r = rotation(yaw, pitch, roll);
      // To frame pixels: scale 12, y down, z away from the camera, shifted.
      const mesh = points.map((p): [number, number, number] => {
        const [x, y, z] = apply(r, p);
        return [320 + 12 * x, 240 - 12 * y, -12 * z];
      });
      const fitted = fitRotation(canonical, mesh);
      fitted.forEach((v, i) => assert.ok(Math.abs(v - r[i]) < 1e-6, `${yaw}/${pitch}/${roll}: ${fitted} vs ${r}`));
    }
    const a = headAngles(rotation(20, 0));
    assert.ok(Math.abs(Math.abs(a.yawDeg) - 20) < 1e-6 && Math.abs(a.pitchDeg) < 1e-6, JSON.stringify(a));
    const b = headAngles(rotation(0, 10));
    assert.ok(Math.abs(Math.abs(b.pitchDeg) - 10) < 1e-6 && Math.abs(b.yawDeg) < 1e-6, JSON.stringify(b));
    // Signs are checked on real clips in test/mediapipe; here: opposite rotations give opposite signs.
    assert.equal(Math.sign(headAngles(rotation(-20, 0)).yawDeg), -Math.sign(a.yawDeg));
  });

  test('smile is the mean of both corners, faded out when the mouth is wide open', () => {
    const b = { mouthSmileLeft: 0.9, mouthSmileRight: 0.7 };
    assert.ok(Math.abs(smileFromBlendshapes(b, 0.02) - 0.8) < 1e-9);
    assert.ok(Math.abs(smileFromBlendshapes(b, 0.11) - 0.4) < 1e-9);
    assert.equal(smileFromBlendshapes(b, 0.2), 0);
    assert.equal(smileFromBlendshapes({}, 0), 0);
  });

  test('toObservation measures the largest face, box padded and clipped to the frame, and counts the faces given', () => {
    const frame = { width: 200, height: 100, data: new Uint8Array(200 * 100 * 1.5).fill(100), timestampMs: 42 };
    const o = toObservation([face(10, 10, 40), face(100, 20, 80)], frame, 3);
    assert.equal(o.faceCount, 3);
    assert.equal(o.timestampMs, 42);
    const f = o.face!;
    // Mesh spans x 100..180 px, y 20..100 px; ×1.5 about the centre: x 80..200, y 0..100 (clipped).
    assert.ok(Math.abs(f.box.x - 80) < 1e-6 && Math.abs(f.box.width - 120) < 1e-6, JSON.stringify(f.box));
    assert.ok(Math.abs(f.box.y) < 1e-6 && Math.abs(f.box.height - 100) < 1e-6, JSON.stringify(f.box));
    assert.ok(Math.abs(f.quality.faceShare - 0.6) < 1e-6);
    assert.equal(f.quality.brightness, 100);
    assert.equal(f.score, 0.9);
    assert.ok(f.smile > 0 && f.smile <= 0.7, String(f.smile));
    assert.equal(f.blendshapes!.mouthSmileLeft, 0.8);
    assert.deepEqual(toObservation([], frame), { timestampMs: 42, imageWidth: 200, imageHeight: 100, faceCount: 0, face: undefined });
  });
});
