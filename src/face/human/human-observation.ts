import type { FaceResult, Result } from '@vladmandic/human';
import type { I420Frame } from '../../common/image';
import type { FaceObservation, ObservedFace } from '../face-observation';
import {
  eyeOpenness,
  lumaQuality,
  type MeshPoint,
  mouthOpenness,
  rollDegrees,
  smileGeometry,
  smileScore,
  unitVector,
} from '../face-measures';

const DEG = 180 / Math.PI;

/**
 * Human's yaw is positive when the face points to the image's left, i.e. the subject turns to their own right
 * (checked on headturn_webcam_zubair_real: image-left turn at 7–8.5 s reads positive); we flip it so positive
 * means the subject's own left. Human's pitch is positive when the subject looks down; we flip it too.
 */
const YAW_SIGN = -1;
const PITCH_SIGN = -1;

function happyScore(face: FaceResult): number {
  return face.emotion?.find((e) => e.emotion === 'happy')?.score ?? 0;
}

/** Turns one Human face into our ObservedFace; `luma` is the frame's Y plane for the quality numbers. */
export function toObservedFace(face: FaceResult, frame: Pick<I420Frame, 'width' | 'height' | 'data'>): ObservedFace {
  const mesh = face.mesh as unknown as MeshPoint[];
  const [x, y, width, height] = face.box;
  const box = { x, y, width, height };
  const mouth = mouthOpenness(mesh);
  const geometry = smileGeometry(mesh);
  const happy = happyScore(face);
  const angle = face.rotation?.angle ?? { yaw: 0, pitch: 0 };
  return {
    box,
    score: face.score,
    yawDeg: YAW_SIGN * angle.yaw * DEG,
    pitchDeg: PITCH_SIGN * angle.pitch * DEG,
    rollDeg: rollDegrees(mesh),
    eyeOpenness: eyeOpenness(mesh),
    mouthOpenness: mouth,
    smile: smileScore(happy, geometry, mouth),
    quality: {
      faceShare: (width * height) / (frame.width * frame.height),
      ...lumaQuality(frame.data, frame.width, frame.height, box),
    },
    // Raw inputs of the derived signals, kept for traces and threshold tuning (not used by challenges).
    blendshapes: { happy, smileWidth: geometry.width, smileLift: geometry.lift, antispoof: face.real ?? -1, live: face.live ?? -1 },
    descriptor: face.embedding && face.embedding.length > 0 ? unitVector(face.embedding) : undefined,
  };
}

/** The observation of one frame: every face counted, the largest one measured. */
export function toObservation(result: Pick<Result, 'face'>, frame: I420Frame): FaceObservation {
  const faces = result.face.filter((f) => f.mesh.length >= 468);
  const main = faces.reduce<FaceResult | undefined>(
    (best, f) => (!best || f.box[2] * f.box[3] > best.box[2] * best.box[3] ? f : best),
    undefined,
  );
  return {
    timestampMs: frame.timestampMs,
    imageWidth: frame.width,
    imageHeight: frame.height,
    faceCount: faces.length,
    face: main ? toObservedFace(main, frame) : undefined,
  };
}
