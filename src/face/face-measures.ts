import type { ObservedFace } from './face-observation';

/**
 * Measurements from MediaPipe's 478-point face mesh, engine-independent. Mesh indices are MediaPipe's: its
 * "right eye" (33…) is the subject's right eye, which is on the image's LEFT because the camera image is not
 * mirrored.
 */

/** A mesh point in frame pixels (z in the same scale, larger = further from the camera). */
export type MeshPoint = readonly [number, number, number?];

const dist = (a: MeshPoint, b: MeshPoint): number => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Eye contours for the eye aspect ratio: outer corner, two upper lid points, inner corner, two lower lid points. */
const RIGHT_EYE = [33, 160, 158, 133, 153, 144] as const;
const LEFT_EYE = [263, 387, 385, 362, 380, 373] as const;

/** Eye aspect ratio (Soukupová & Čech): mean lid gap over eye width. ≈0.3 open, ≈0.1 closed. */
function eyeAspectRatio(mesh: readonly MeshPoint[], [p1, p2, p3, p4, p5, p6]: readonly number[]): number {
  const width = dist(mesh[p1], mesh[p4]);
  return width === 0 ? 0 : (dist(mesh[p2], mesh[p6]) + dist(mesh[p3], mesh[p5])) / (2 * width);
}

/** Openness of each of the subject's eyes (eye aspect ratio). */
export function eyeOpenness(mesh: readonly MeshPoint[]): { left: number; right: number } {
  return { left: eyeAspectRatio(mesh, LEFT_EYE), right: eyeAspectRatio(mesh, RIGHT_EYE) };
}

/** Face height: forehead top (10) to chin (152). */
const faceHeight = (mesh: readonly MeshPoint[]): number => dist(mesh[10], mesh[152]);

/** Inner-lip gap (13–14) over face height: ≤ 0.025 closed, ≥ 0.1 clearly open. */
export function mouthOpenness(mesh: readonly MeshPoint[]): number {
  const h = faceHeight(mesh);
  return h === 0 ? 0 : dist(mesh[13], mesh[14]) / h;
}

/**
 * Smile geometry: mouth width (corners 61–291) over face width (cheeks 234–454), about 0.38–0.42 neutral and
 * 0.45+ in a broad smile; corner lift: how far the corners sit above the lip centre, over face height
 * (about 0 neutral, > 0.02 smiling).
 */
export function smileGeometry(mesh: readonly MeshPoint[]): { width: number; lift: number } {
  const faceWidth = dist(mesh[234], mesh[454]);
  const h = faceHeight(mesh);
  if (faceWidth === 0 || h === 0) return { width: 0, lift: 0 };
  const cornersY = (mesh[61][1] + mesh[291][1]) / 2;
  const lipCentreY = (mesh[13][1] + mesh[14][1]) / 2;
  return { width: dist(mesh[61], mesh[291]) / faceWidth, lift: (lipCentreY - cornersY) / h };
}

/**
 * Smile strength 0..1: the emotion model's `happy` score confirmed by the mouth widening, and only while the mouth
 * is fairly closed (a shouting, wide-open mouth also reads as `happy`).
 */
export function smileScore(happy: number, geometry: { width: number; lift: number }, mouth: number): number {
  // Width 0.40 → 0, 0.48 → 1: neutral mouths sit around 0.38–0.42 on our clips, broad smiles at 0.46–0.52.
  const widening = Math.min(Math.max((geometry.width - 0.4) / 0.08, 0), 1);
  // Mouth gap above 0.08 of face height is talking/shouting, not smiling: fade the score out to 0 at 0.14.
  const closedEnough = Math.min(Math.max((0.14 - mouth) / 0.06, 0), 1);
  return Math.min(1, happy * 0.6 + widening * 0.4) * closedEnough;
}

/** Head roll in degrees from the eye line, positive when the head tilts to the subject's own left. */
export function rollDegrees(mesh: readonly MeshPoint[]): number {
  const right = mesh[33];
  const left = mesh[263];
  // Subject's left eye is on the image right; tilting to their left drops it (image y grows downwards).
  return (Math.atan2(left[1] - right[1], left[0] - right[0]) * 180) / Math.PI;
}

/** Mean and Laplacian variance of the luma inside a box, sampled on a grid of at most ~96x96 points. */
export function lumaQuality(
  y: Uint8Array,
  width: number,
  height: number,
  box: ObservedFace['box'],
): { brightness: number; sharpness: number } {
  const x0 = Math.max(1, Math.floor(box.x));
  const y0 = Math.max(1, Math.floor(box.y));
  const x1 = Math.min(width - 2, Math.floor(box.x + box.width));
  const y1 = Math.min(height - 2, Math.floor(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) return { brightness: 0, sharpness: 0 };
  const step = Math.max(1, Math.floor(Math.max(x1 - x0, y1 - y0) / 96));
  let n = 0;
  let sum = 0;
  let lapSum = 0;
  let lapSq = 0;
  for (let row = y0; row <= y1; row += step) {
    for (let col = x0; col <= x1; col += step) {
      const i = row * width + col;
      const v = y[i];
      const lap = 4 * v - y[i - 1] - y[i + 1] - y[i - width] - y[i + width];
      sum += v;
      lapSum += lap;
      lapSq += lap * lap;
      n++;
    }
  }
  const lapMean = lapSum / n;
  return { brightness: sum / n, sharpness: lapSq / n - lapMean * lapMean };
}

/** Scales a vector to unit length (zero stays zero). */
export function unitVector(v: readonly number[]): number[] {
  const norm = Math.hypot(...v);
  return norm === 0 ? v.map(() => 0) : v.map((x) => x / norm);
}
