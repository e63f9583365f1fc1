import type { I420Frame } from '../common/image';
import type { FaceObservation } from '../face/face-observation';
import type { BoxCalibration } from './box-calibration';
import { scoreFace } from './pad-scorer';

/**
 * The observation with its PAD score, in the face worker that analysed the frame (same round-trip, same pool).
 * Only a frame with exactly one face is scored; `box` maps the engine's box to the models' convention.
 */
export async function withPadScore(observation: FaceObservation, frame: I420Frame, box: BoxCalibration): Promise<FaceObservation> {
  if (observation.faceCount !== 1 || !observation.face) return observation;
  return { ...observation, padScore: await scoreFace(frame, observation.face.box, box) };
}
