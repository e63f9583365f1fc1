import type { I420Frame } from '../../common/image';
import type { FaceObservation, ObservedFace } from '../face-observation';
import { eyeOpenness, lumaQuality, type MeshPoint, mouthOpenness, rollDegrees } from '../face-measures';
import type { Rotation } from './head-pose';

const DEG = 180 / Math.PI;

/** One face as MediaPipe's face landmarker sees it (this engine's pipeline, or tasks-vision in the parity test). */
export interface MeshFace {
  /** 478 points in frame pixels, z in x's scale (larger = further). */
  mesh: readonly MeshPoint[];
  /** The 52 blendshape scores by MediaPipe's name. */
  blendshapes: Readonly<Record<string, number>>;
  /** Canonical face → camera (x right, y up, z towards the camera), row-major. */
  rotation: Rotation;
  /** Confidence 0..1 (the mesh's face presence). */
  score: number;
  /** A cheap identity descriptor, when the engine computed one for this frame. */
  descriptor?: readonly number[];
}

/**
 * Signs that make the rotation's angles mean what FaceObservation says (positive yaw = the subject's own left,
 * positive pitch = looking up); checked on headturn_webcam_zubair_real (turn to their right at 7–8.5 s) and on
 * liveportrait_d3 (looking down at 2–3 s) by test/face.
 */
const YAW_SIGN = 1;
const PITCH_SIGN = -1;

/** Yaw and pitch in degrees from a rotation: yaw = atan2(−R20, hypot(R21, R22)), pitch = atan2(R21, R22). */
export function headAngles(r: Rotation): { yawDeg: number; pitchDeg: number } {
  return {
    yawDeg: YAW_SIGN * Math.atan2(-r[6], Math.hypot(r[7], r[8])) * DEG,
    pitchDeg: PITCH_SIGN * Math.atan2(r[7], r[8]) * DEG,
  };
}

/**
 * Smile 0..1: the mean of both mouth corners' smile blendshapes (0.00 neutral, 0.7–0.96 in the labelled smiles;
 * a one-sided smirk reads about half), faded out while the mouth is wide open as face-measures smileScore does:
 * a shout also lifts mouthSmile to ~0.8 (liveportrait_d18 4–5 s, mouth 0.18–0.24) while a toothy grin keeps the
 * lips within ~0.09 of face height (liveportrait_d0).
 */
export function smileFromBlendshapes(b: Readonly<Record<string, number>>, mouthOpenness: number): number {
  const closedEnough = Math.min(Math.max((0.14 - mouthOpenness) / 0.06, 0), 1);
  return (((b.mouthSmileLeft ?? 0) + (b.mouthSmileRight ?? 0)) / 2) * closedEnough;
}

/**
 * The size warnings and evidence scores were measured on a detector box padded around the face (Human's, the
 * engine before this one); a box 1.5× the mesh extent (area ×2.25) comes close (blink clip: 0.38 vs 0.45 of the
 * frame), so they keep their meaning.
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
 * One face as an ObservedFace. Eye and mouth openness and roll come from the 478-point mesh with the same
 * formulas the plugin thresholds were measured with (face-measures.ts, on this mesh topology and scale); yaw and
 * pitch from the head rotation; smile from the blendshapes, which the observation also carries by name.
 */
function toObservedFace(face: MeshFace, box: ObservedFace['box'], frame: Pick<I420Frame, 'width' | 'height' | 'data'>): ObservedFace {
  const mouth = mouthOpenness(face.mesh);
  return {
    box,
    score: face.score,
    ...headAngles(face.rotation),
    rollDeg: rollDegrees(face.mesh),
    eyeOpenness: eyeOpenness(face.mesh),
    mouthOpenness: mouth,
    smile: smileFromBlendshapes(face.blendshapes, mouth),
    quality: {
      faceShare: (box.width * box.height) / (frame.width * frame.height),
      ...lumaQuality(frame.data, frame.width, frame.height, box),
    },
    blendshapes: face.blendshapes,
    descriptor: face.descriptor,
  };
}

/**
 * The observation of one frame: the largest face measured; `faceCount` is every face seen (by default the faces
 * given; the engine also counts faces its detector found but it does not track).
 */
export function toObservation(faces: readonly MeshFace[], frame: I420Frame, faceCount = faces.length): FaceObservation {
  const located = faces.map((face) => ({ face, box: meshBox(face.mesh, frame.width, frame.height) }));
  const area = (b: ObservedFace['box']) => b.width * b.height;
  const main = located.reduce<(typeof located)[number] | undefined>(
    (best, f) => (!best || area(f.box) > area(best.box) ? f : best),
    undefined,
  );
  return {
    timestampMs: frame.timestampMs,
    imageWidth: frame.width,
    imageHeight: frame.height,
    faceCount,
    face: main && toObservedFace(main.face, main.box, frame),
  };
}
