import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { headAngles, smileFromBlendshapes, toObservation } from '../../src/face/mediapipe/mediapipe-observation';
import type { PageFace } from '../../src/face/mediapipe/page-protocol';

const DEG = Math.PI / 180;

/** Column-major 4x4 of a rotation about Y (yaw) then X (pitch), as MediaPipe's matrix stores it. */
function rotation(yawDeg: number, pitchDeg: number): number[] {
  const [cy, sy, cp, sp] = [Math.cos(yawDeg * DEG), Math.sin(yawDeg * DEG), Math.cos(pitchDeg * DEG), Math.sin(pitchDeg * DEG)];
  // R = Rx(pitch) · Ry(yaw); R[r][c] stored at m[c * 4 + r].
  const r = [
    [cy, 0, sy],
    [sp * sy, cp, -sp * cy],
    [-cp * sy, sp, cp * cy],
  ];
  const m = new Array<number>(16).fill(0);
  for (let row = 0; row < 3; row++) for (let col = 0; col < 3; col++) m[col * 4 + row] = r[row][col];
  m[15] = 1;
  return m;
}

/** A flat fake mesh: 478 points spread over a square of `size` (normalised) at (x, y). */
function face(x: number, y: number, size: number): PageFace {
  const landmarks: number[] = [];
  for (let i = 0; i < 478; i++) landmarks.push(x + ((i % 22) / 21) * size, y + (Math.floor(i / 22) / 21) * size, 0);
  return { landmarks, blendshapes: { mouthSmileLeft: 0.8, mouthSmileRight: 0.6 }, matrix: rotation(0, 0) };
}

describe('MediaPipe observation mapping', () => {
  test('headAngles reads yaw and pitch back from a rotation matrix, with FaceObservation signs', () => {
    const a = headAngles(rotation(20, 0));
    assert.ok(Math.abs(Math.abs(a.yawDeg) - 20) < 1e-6 && Math.abs(a.pitchDeg) < 1e-6, JSON.stringify(a));
    const b = headAngles(rotation(0, 10));
    assert.ok(Math.abs(Math.abs(b.pitchDeg) - 10) < 1e-6 && Math.abs(b.yawDeg) < 1e-6, JSON.stringify(b));
    // Signs are checked on real clips in mediapipe-engine.test.ts; here: opposite rotations give opposite signs.
    assert.equal(Math.sign(headAngles(rotation(-20, 0)).yawDeg), -Math.sign(a.yawDeg));
    assert.deepEqual(headAngles([]), { yawDeg: 0, pitchDeg: 0 });
  });

  test('smile is the mean of both corners, faded out when the mouth is wide open', () => {
    const b = { mouthSmileLeft: 0.9, mouthSmileRight: 0.7 };
    assert.ok(Math.abs(smileFromBlendshapes(b, 0.02) - 0.8) < 1e-9);
    assert.ok(Math.abs(smileFromBlendshapes(b, 0.11) - 0.4) < 1e-9);
    assert.equal(smileFromBlendshapes(b, 0.2), 0);
    assert.equal(smileFromBlendshapes({}, 0), 0);
  });

  test('toObservation counts every face and measures the largest, box padded and clipped to the frame', () => {
    const frame = { width: 200, height: 100, data: new Uint8Array(200 * 100 * 1.5).fill(100), timestampMs: 42 };
    const o = toObservation([face(0.05, 0.1, 0.2), face(0.5, 0.2, 0.4)], frame);
    assert.equal(o.faceCount, 2);
    assert.equal(o.timestampMs, 42);
    const f = o.face!;
    // Mesh spans x 100..180 px, y 20..60 px; ×1.5 about the centre: x 80..200, y 10..70.
    assert.ok(Math.abs(f.box.x - 80) < 1e-6 && Math.abs(f.box.width - 120) < 1e-6, JSON.stringify(f.box));
    assert.ok(Math.abs(f.box.y - 10) < 1e-6 && Math.abs(f.box.height - 60) < 1e-6, JSON.stringify(f.box));
    assert.ok(Math.abs(f.quality.faceShare - 0.36) < 1e-6);
    assert.equal(f.quality.brightness, 100);
    assert.ok(f.smile > 0 && f.smile <= 0.7, String(f.smile));
    assert.equal(f.blendshapes!.mouthSmileLeft, 0.8);
    assert.deepEqual(toObservation([], frame), { timestampMs: 42, imageWidth: 200, imageHeight: 100, faceCount: 0, face: undefined });
  });
});
