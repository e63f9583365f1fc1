import type { FaceBox } from './pad-crop';

/**
 * Maps a face box of one detector's convention to the box the MiniFASNet models were trained on (the
 * Silent-Face repository's RetinaFace box): centre shifted by (dx, dy) box sizes, size scaled by (sx, sy).
 */
export interface BoxCalibration {
  sx: number;
  sy: number;
  dx: number;
  dy: number;
}

/**
 * BlazeFace (MediaPipe's short-range detector, the engine's detector box) → the models' box. Measured on the
 * shared fixtures against a WIDER FACE–trained detector (the annotation convention RetinaFace learned);
 * numbers and method in docs/pad.md ("Box calibration").
 */
export const BLAZEFACE_TO_PAD: BoxCalibration = { sx: 1, sy: 1, dx: 0, dy: 0 };

export function calibrateBox(box: FaceBox, calibration: BoxCalibration): FaceBox {
  const width = box.width * calibration.sx;
  const height = box.height * calibration.sy;
  const cx = box.x + box.width * (0.5 + calibration.dx);
  const cy = box.y + box.height * (0.5 + calibration.dy);
  return { x: cx - width / 2, y: cy - height / 2, width, height };
}

/**
 * The face engine's observation box → BlazeFace's detector box (= the models' box, BLAZEFACE_TO_PAD being the
 * identity): medians over 74–75 fixture frames with one face (webcam, replay and studio clips, 2 frames/s), by
 * `scripts/pad-engine-box.ts`; docs/pad.md "Box calibration". MediaPipe's box is 1.5× the mesh extent.
 */
export const MEDIAPIPE_TO_PAD: BoxCalibration = { sx: 0.72, sy: 0.63, dx: 0, dy: 0.03 };
