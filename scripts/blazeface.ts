/**
 * CLI/test helper: faces of a frame from MediaPipe's BlazeFace short-range detector (models/face_landmarker/
 * face_detector.onnx, inputs/outputs as its conversion notes say), for the PAD tools, which need the engine's
 * detector box without the whole engine. Letterboxed 128x128 input, SSD anchors, weighted NMS as MediaPipe.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { type FaceBox, type PadSource, pixelReader } from '../src/pad/pad-crop';

const SIZE = 128;
const MIN_SCORE = 0.5;
const NMS_IOU = 0.3;
const MODEL = join(__dirname, '..', '..', 'models', 'face_landmarker', 'face_detector.onnx');

/** One detected face in source pixels. */
export interface DetectedFace extends FaceBox {
  score: number;
}

/** Anchor centres (normalised): 16x16 cells x 2, then 8x8 cells x 6, row-major. */
function anchors(): [number, number][] {
  const out: [number, number][] = [];
  for (const [cells, perCell] of [
    [16, 2],
    [8, 6],
  ]) {
    for (let y = 0; y < cells; y++)
      for (let x = 0; x < cells; x++) for (let a = 0; a < perCell; a++) out.push([(x + 0.5) / cells, (y + 0.5) / cells]);
  }
  return out;
}

const ANCHORS = anchors();

type Box = { x0: number; y0: number; x1: number; y1: number; score: number };

function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const h = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = w * h;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return union > 0 ? inter / union : 0;
}

export class BlazeFace {
  private constructor(
    private readonly ort: typeof import('onnxruntime-node'),
    private readonly session: InferenceSession,
  ) {}

  static async load(): Promise<BlazeFace> {
    const ort = await import('onnxruntime-node');
    if (!existsSync(MODEL)) throw new Error(`${MODEL} is missing (the converted MediaPipe detector, committed with the ONNX face engine)`);
    return new BlazeFace(ort, await ort.InferenceSession.create(MODEL, { intraOpNumThreads: 1, interOpNumThreads: 1 }));
  }

  /** Faces with score ≥ 0.5 after weighted NMS, best first. */
  async detect(source: PadSource): Promise<DetectedFace[]> {
    // Letterbox: the frame scaled to fit, centred; the border reads black (-1 in the model's range).
    const scale = Math.max(source.width, source.height) / SIZE;
    const padX = (SIZE * scale - source.width) / 2;
    const padY = (SIZE * scale - source.height) / 2;
    const input = new Float32Array(SIZE * SIZE * 3);
    const read = pixelReader(source);
    const rgb: [number, number, number] = [0, 0, 0];
    for (let row = 0; row < SIZE; row++) {
      for (let col = 0; col < SIZE; col++) {
        const x = (col + 0.5) * scale - padX - 0.5;
        const y = (row + 0.5) * scale - padY - 0.5;
        const o = (row * SIZE + col) * 3;
        if (x < -0.5 || y < -0.5 || x > source.width - 0.5 || y > source.height - 0.5) {
          input.fill(-1, o, o + 3);
          continue;
        }
        read(x, y, rgb);
        for (let c = 0; c < 3; c++) input[o + c] = rgb[c] / 127.5 - 1;
      }
    }
    const out = await this.session.run({ input: new this.ort.Tensor('float32', input, [1, SIZE, SIZE, 3]) });
    const regressors = out.regressors.data as Float32Array;
    const logits = out.classificators.data as Float32Array;
    const candidates: Box[] = [];
    for (let i = 0; i < ANCHORS.length; i++) {
      const score = 1 / (1 + Math.exp(-Math.min(100, Math.max(-100, logits[i]))));
      if (score < MIN_SCORE) continue;
      const r = i * 16;
      const cx = regressors[r] / SIZE + ANCHORS[i][0];
      const cy = regressors[r + 1] / SIZE + ANCHORS[i][1];
      const w = regressors[r + 2] / SIZE;
      const h = regressors[r + 3] / SIZE;
      candidates.push({ x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2, score });
    }
    candidates.sort((a, b) => b.score - a.score);
    const faces: DetectedFace[] = [];
    while (candidates.length > 0) {
      const best = candidates[0];
      const cluster = candidates.filter((c) => iou(best, c) > NMS_IOU);
      const total = cluster.reduce((s, c) => s + c.score, 0);
      const avg = (k: 'x0' | 'y0' | 'x1' | 'y1') => (cluster.reduce((s, c) => s + c[k] * c.score, 0) / total) * SIZE * scale;
      const x0 = avg('x0') - padX;
      const y0 = avg('y0') - padY;
      faces.push({ x: x0, y: y0, width: avg('x1') - padX - x0, height: avg('y1') - padY - y0, score: best.score });
      candidates.splice(0, candidates.length, ...candidates.filter((c) => iou(best, c) <= NMS_IOU));
    }
    return faces;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
