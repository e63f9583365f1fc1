/**
 * Decoding of the BlazeFace short-range detector (face_detector_graph, face_detection_short_range): SSD anchors,
 * box and keypoint regression, sigmoid scores, weighted non-maximum suppression.
 */
import { iou } from './roi';

/** The detector's input size (square). */
export const DETECTOR_SIZE = 128;
/** Keypoints per detection: right eye, left eye, nose tip, mouth, right ear tragion, left ear tragion. */
const KEYPOINTS = 6;
/** Values per anchor: box (cx, cy, w, h) and 6 keypoints (x, y). */
const VALUES = 4 + 2 * KEYPOINTS;
const MIN_SCORE = 0.5;
const SCORE_CLIP = 100;
const MIN_SUPPRESSION_IOU = 0.3;

/** An anchor centre in the detector input's normalised coordinates (fixed anchor size 1×1). */
export interface Anchor {
  x: number;
  y: number;
}

/**
 * SSD anchors of the short-range model: 4 layers, strides 8, 16, 16, 16, two anchors per cell per layer (aspect
 * ratio 1 and its interpolated scale), layers with the same stride sharing a grid: 16×16×2 + 8×8×6 = 896.
 */
export function ssdAnchors(): Anchor[] {
  const strides = [8, 16, 16, 16];
  const anchors: Anchor[] = [];
  for (let layer = 0; layer < strides.length;) {
    let perCell = 0;
    let last = layer;
    while (last < strides.length && strides[last] === strides[layer]) {
      perCell += 2;
      last++;
    }
    const cells = Math.ceil(DETECTOR_SIZE / strides[layer]);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let a = 0; a < perCell; a++) anchors.push({ x: (x + 0.5) / cells, y: (y + 0.5) / cells });
      }
    }
    layer = last;
  }
  return anchors;
}

/** One face in the detector input's normalised coordinates (0..1). */
export interface Detection {
  score: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** KEYPOINTS points, [x, y] each. */
  keypoints: [number, number][];
}

/** Faces above the score threshold, before suppression. `boxes` is [anchors × 16], `scores` [anchors] (logits). */
export function decodeDetections(boxes: Float32Array, scores: Float32Array, anchors: readonly Anchor[]): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const logit = Math.min(Math.max(scores[i], -SCORE_CLIP), SCORE_CLIP);
    const score = 1 / (1 + Math.exp(-logit));
    if (score < MIN_SCORE) continue;
    const o = i * VALUES;
    const a = anchors[i];
    const cx = boxes[o] / DETECTOR_SIZE + a.x;
    const cy = boxes[o + 1] / DETECTOR_SIZE + a.y;
    const w = boxes[o + 2] / DETECTOR_SIZE;
    const h = boxes[o + 3] / DETECTOR_SIZE;
    const keypoints: [number, number][] = [];
    for (let k = 0; k < KEYPOINTS; k++) {
      keypoints.push([boxes[o + 4 + 2 * k] / DETECTOR_SIZE + a.x, boxes[o + 5 + 2 * k] / DETECTOR_SIZE + a.y]);
    }
    out.push({ score, x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2, keypoints });
  }
  return out;
}

/**
 * Weighted non-maximum suppression (MediaPipe's WEIGHTED mode): detections overlapping the best remaining one by
 * IoU above 0.3 are merged into it, box and keypoints averaged with score weights; the best score is kept.
 */
export function weightedNms(detections: readonly Detection[]): Detection[] {
  const remaining = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  while (remaining.length > 0) {
    const best = remaining[0];
    const cluster = remaining.filter((d) => iou(best, d) > MIN_SUPPRESSION_IOU);
    const rest = remaining.filter((d) => iou(best, d) <= MIN_SUPPRESSION_IOU);
    let total = 0;
    const merged: Detection = { score: best.score, x0: 0, y0: 0, x1: 0, y1: 0, keypoints: best.keypoints.map(() => [0, 0]) };
    for (const d of cluster) {
      total += d.score;
      merged.x0 += d.x0 * d.score;
      merged.y0 += d.y0 * d.score;
      merged.x1 += d.x1 * d.score;
      merged.y1 += d.y1 * d.score;
      d.keypoints.forEach(([x, y], k) => {
        merged.keypoints[k][0] += x * d.score;
        merged.keypoints[k][1] += y * d.score;
      });
    }
    merged.x0 /= total;
    merged.y0 /= total;
    merged.x1 /= total;
    merged.y1 /= total;
    for (const k of merged.keypoints) {
      k[0] /= total;
      k[1] /= total;
    }
    kept.push(merged);
    remaining.splice(0, remaining.length, ...rest);
  }
  return kept;
}
