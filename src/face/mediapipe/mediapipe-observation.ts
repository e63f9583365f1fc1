import type { I420Frame } from '../../common/image';
import type { FaceObservation, ObservedFace } from '../face-observation';
import { eyeOpenness, lumaQuality, type MeshPoint, mouthOpenness, rollDegrees } from '../face-measures';
import type { PageFace } from './page-protocol';

const DEG = 180 / Math.PI;

/**
 * Signs that make the matrix angles mean what FaceObservation says (positive yaw = the subject's own left,
 * positive pitch = looking up); checked on headturn_webcam_zubair_real (turn to their right at 7–8.5 s) and on
 * liveportrait_d3 (looking down at 2–3 s) by test/mediapipe.
 */
const YAW_SIGN = 1;
const PITCH_SIGN = -1;

/**
 * Yaw and pitch in degrees from the facial transformation matrix (canonical face → camera, column-major):
 * R[r][c] = m[c * 4 + r]; yaw = atan2(−R20, hypot(R21, R22)), pitch = atan2(R21, R22).
 */
export function headAngles(m: readonly number[]): { yawDeg: number; pitchDeg: number } {
  if (m.length !== 16) return { yawDeg: 0, pitchDeg: 0 };
  return {
    yawDeg: YAW_SIGN * Math.atan2(-m[2], Math.hypot(m[6], m[10])) * DEG,
    pitchDeg: PITCH_SIGN * Math.atan2(m[6], m[10]) * DEG,
  };
}

/**
 * Smile 0..1: the mean of both mouth corners' smile blendshapes (0.00 neutral, 0.7–0.96 in the labelled smiles;
 * a one-sided smirk reads about half), faded out while the mouth is wide open as the default engine does
 * (face-measures smileScore): a shout also lifts mouthSmile to ~0.8 (liveportrait_d18 4–5 s, mouth 0.18–0.24)
 * while a toothy grin keeps the lips within ~0.09 of face height (liveportrait_d0).
 */
export function smileFromBlendshapes(b: Readonly<Record<string, number>>, mouthOpenness: number): number {
  const closedEnough = Math.min(Math.max((0.14 - mouthOpenness) / 0.06, 0), 1);
  return (((b.mouthSmileLeft ?? 0) + (b.mouthSmileRight ?? 0)) / 2) * closedEnough;
}

/** The page's normalised landmarks as frame pixels (z scaled like x). */
function toMesh(face: PageFace, width: number, height: number): MeshPoint[] {
  const mesh: MeshPoint[] = [];
  const l = face.landmarks;
  for (let i = 0; i + 2 < l.length; i += 3) mesh.push([l[i] * width, l[i + 1] * height, l[i + 2] * width]);
  return mesh;
}

/**
 * The default engine's box is its detector's, padded around the face; a box 1.5× the mesh extent (area ×2.25)
 * comes close (blink clip: 0.38 vs 0.45 of the frame), so the size warnings and evidence scores mean the same.
 */
const BOX_SCALE = 1.5;

/** Box around the mesh, scaled by BOX_SCALE about its centre and clipped to the frame. */
function meshBox(mesh: readonly MeshPoint[], width: number, height: number): ObservedFace['box'] {
  let x0 = width;
  let y0 = height;
  let x1 = 0;
  let y1 = 0;
  for (const [x, y] of mesh) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  const padX = ((x1 - x0) * (BOX_SCALE - 1)) / 2;
  const padY = ((y1 - y0) * (BOX_SCALE - 1)) / 2;
  const left = Math.max(0, x0 - padX);
  const top = Math.max(0, y0 - padY);
  return { x: left, y: top, width: Math.max(0, Math.min(width, x1 + padX) - left), height: Math.max(0, Math.min(height, y1 + padY) - top) };
}

/**
 * One MediaPipe face as an ObservedFace. Eye and mouth openness and roll come from the 478-point mesh with the
 * same formulas as the default engine (face-measures.ts: same topology, same scales, so every plugin threshold
 * applies); yaw and pitch from the transformation matrix; smile from the blendshapes. FaceLandmarker reports no
 * per-face confidence (a face it returns passed its 0.5 presence threshold), so `score` is 1.
 */
function toObservedFace(face: PageFace, mesh: readonly MeshPoint[], box: ObservedFace['box'], frame: Pick<I420Frame, 'width' | 'height' | 'data'>): ObservedFace {
  const mouth = mouthOpenness(mesh);
  return {
    box,
    score: 1,
    ...headAngles(face.matrix),
    rollDeg: rollDegrees(mesh),
    eyeOpenness: eyeOpenness(mesh),
    mouthOpenness: mouth,
    smile: smileFromBlendshapes(face.blendshapes, mouth),
    quality: {
      faceShare: (box.width * box.height) / (frame.width * frame.height),
      ...lumaQuality(frame.data, frame.width, frame.height, box),
    },
    blendshapes: face.blendshapes,
  };
}

/** The observation of one frame: every face counted, the largest one measured. */
export function toObservation(faces: readonly PageFace[], frame: I420Frame): FaceObservation {
  const located = faces
    .filter((f) => f.landmarks.length >= 468 * 3)
    .map((face) => {
      const mesh = toMesh(face, frame.width, frame.height);
      return { face, mesh, box: meshBox(mesh, frame.width, frame.height) };
    });
  const area = (b: ObservedFace['box']) => b.width * b.height;
  const main = located.reduce<(typeof located)[number] | undefined>((best, f) => (!best || area(f.box) > area(best.box) ? f : best), undefined);
  return {
    timestampMs: frame.timestampMs,
    imageWidth: frame.width,
    imageHeight: frame.height,
    faceCount: located.length,
    face: main && toObservedFace(main.face, main.mesh, main.box, frame),
  };
}
