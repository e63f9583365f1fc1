/**
 * Regions of interest of MediaPipe's face landmarker graph, in frame pixels: a square, rotated so the eyes lie
 * level in the crop. From a detection (face_detector_graph: keypoints 0/1 = the eyes) or from the previous
 * frame's landmarks (face_landmarks_to_roi: eye corners 33/263, box of every landmark), scaled 1.5× and made
 * square on the long side (RectTransformationCalculator).
 */

/** A rotated rectangle: centre, size and rotation (radians, clockwise in image coordinates) in frame pixels. */
export interface Roi {
  cx: number;
  cy: number;
  width: number;
  height: number;
  angle: number;
}

/** A point in frame pixels. */
export type Point = readonly [number, number];

/** How much larger than the face the crop is (MediaPipe's scale_x = scale_y = 1.5). */
export const ROI_SCALE = 1.5;

/** Angle in (−π, π]. */
function normalizeRadians(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/**
 * The crop of a face whose axis-aligned box is given and whose eye line runs from `start` to `end` (the subject's
 * right eye to their left, i.e. image left to right when upright): rotation = atan2(dy, dx), box scaled and
 * squared on the long side.
 */
export function roiFromBox(box: { x0: number; y0: number; x1: number; y1: number }, start: Point, end: Point): Roi {
  const angle = normalizeRadians(Math.atan2(end[1] - start[1], end[0] - start[0]));
  const side = Math.max(box.x1 - box.x0, box.y1 - box.y0) * ROI_SCALE;
  return { cx: (box.x0 + box.x1) / 2, cy: (box.y0 + box.y1) / 2, width: side, height: side, angle };
}

/** MediaPipe mesh indices of the eye corners that level the next crop (face_landmarks_to_roi). */
const EYE_START = 33;
const EYE_END = 263;

/** The next frame's crop from this frame's landmarks (frame pixels). */
export function roiFromLandmarks(points: readonly (readonly [number, number, number?])[]): Roi {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p[0]);
    y0 = Math.min(y0, p[1]);
    x1 = Math.max(x1, p[0]);
    y1 = Math.max(y1, p[1]);
  }
  const s = points[EYE_START];
  const e = points[EYE_END];
  return roiFromBox({ x0, y0, x1, y1 }, [s[0], s[1]], [e[0], e[1]]);
}

/** The whole frame letterboxed into a square (the detector's input, keep_aspect_ratio with zero borders). */
export function letterboxRoi(width: number, height: number): Roi {
  const side = Math.max(width, height);
  return { cx: width / 2, cy: height / 2, width: side, height: side, angle: 0 };
}

/**
 * A point given in the crop's normalised coordinates (0..1 across the crop) in frame pixels (LandmarkProjection):
 * rotate about the crop centre, then scale by the crop size.
 */
export function projectPoint(roi: Roi, u: number, v: number): [number, number] {
  const x = u - 0.5;
  const y = v - 0.5;
  const cos = Math.cos(roi.angle);
  const sin = Math.sin(roi.angle);
  return [roi.cx + (cos * x - sin * y) * roi.width, roi.cy + (sin * x + cos * y) * roi.height];
}

/** Intersection over union of two axis-aligned boxes. */
export function iou(a: { x0: number; y0: number; x1: number; y1: number }, b: typeof a): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}
