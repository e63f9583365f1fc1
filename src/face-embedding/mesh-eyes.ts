import type { Point } from './align';

// MediaPipe face mesh (468/478 landmarks) eye contours, upper and lower lids; "right" is the subject's right eye.
const RIGHT_EYE = [246, 161, 160, 159, 158, 157, 173, 33, 7, 163, 144, 145, 153, 154, 155, 133];
const LEFT_EYE = [466, 388, 387, 386, 385, 384, 398, 263, 249, 390, 373, 374, 380, 381, 382, 362];

function mean(mesh: ArrayLike<{ readonly 0: number; readonly 1: number }>, indices: readonly number[]): Point {
  let x = 0;
  let y = 0;
  for (const i of indices) {
    x += mesh[i][0];
    y += mesh[i][1];
  }
  return { x: x / indices.length, y: y / indices.length };
}

/**
 * The eye centres (means of the eye contours) of a MediaPipe face mesh in image pixels, as alignByEyes wants
 * them: `left` is the eye on the image's left. Each landmark is [x, y, …].
 */
export function meshEyeCentres(mesh: ArrayLike<{ readonly 0: number; readonly 1: number }>): { left: Point; right: Point } {
  if (mesh.length < 468) throw new Error(`a face mesh has 468 or 478 landmarks, got ${mesh.length}`);
  const a = mean(mesh, RIGHT_EYE);
  const b = mean(mesh, LEFT_EYE);
  return a.x <= b.x ? { left: a, right: b } : { left: b, right: a };
}
