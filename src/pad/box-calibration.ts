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
 * The face engines' observation box (Human's padded detector box; MediaPipe's 1.5× mesh extent, made to match it)
 * → BlazeFace's box → the models' box. Measured by scripts/pad-engine-box.ts (docs/pad.md "Box calibration").
 */
export const ENGINE_TO_PAD: BoxCalibration = { sx: 1, sy: 1, dx: 0, dy: 0 };
