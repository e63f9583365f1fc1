/**
 * CLI/test helper: faces of a frame from MediaPipe's BlazeFace short-range detector (models/face_landmarker/
 * face_detector.onnx), for the PAD tools, which need the engine's detector box without the whole engine. Anchors,
 * decoding, weighted NMS and the letterbox geometry are the engine's (src/face/mediapipe); only the input is
 * sampled here, with the PAD's pixel reader, because the tools also feed decoded RGB images.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { decodeDetections, DETECTOR_SIZE, ssdAnchors, weightedNms } from '../../src/face/mediapipe/detector';
import { letterboxRoi, projectPoint, type Roi } from '../../src/face/mediapipe/roi';
import { type FaceBox, type PadSource, pixelReader } from '../../src/pad/pad-crop';
import { REPO_ROOT } from './fixtures';

const MODEL = join(REPO_ROOT, 'models', 'face_landmarker', 'face_detector.onnx');
const ANCHORS = ssdAnchors();

/** One detected face in source pixels. */
export interface DetectedFace extends FaceBox {
  score: number;
}

export class BlazeFace {
  private readonly input = new Float32Array(DETECTOR_SIZE * DETECTOR_SIZE * 3);

  private constructor(
    private readonly ort: typeof import('onnxruntime-node'),
    private readonly session: InferenceSession,
  ) {}

  static async load(): Promise<BlazeFace> {
    const ort = await import('../../src/common/onnxruntime');
    if (!existsSync(MODEL)) throw new Error(`${MODEL} is missing (the converted MediaPipe detector, committed with the ONNX face engine)`);
    return new BlazeFace(ort, await ort.InferenceSession.create(MODEL, { intraOpNumThreads: 1, interOpNumThreads: 1 }));
  }

  /** Faces with score ≥ 0.5 after weighted NMS, best first. */
  async detect(source: PadSource): Promise<DetectedFace[]> {
    const letterbox = letterboxRoi(source.width, source.height);
    this.sampleLetterbox(source, letterbox);
    const out = await this.session.run({ input: new this.ort.Tensor('float32', this.input, [1, 3, DETECTOR_SIZE, DETECTOR_SIZE]) });
    const detections = decodeDetections(out.regressors.data as Float32Array, out.classificators.data as Float32Array, ANCHORS);
    return weightedNms(detections).map((d) => {
      const [x0, y0] = projectPoint(letterbox, d.x0, d.y0);
      const [x1, y1] = projectPoint(letterbox, d.x1, d.y1);
      return { x: x0, y: y0, width: x1 - x0, height: y1 - y0, score: d.score };
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  /** The letterboxed frame as the model's planar (NCHW) RGB −1..1 input; the border reads black (−1). */
  private sampleLetterbox(source: PadSource, letterbox: Roi): void {
    const step = letterbox.width / DETECTOR_SIZE;
    const left = letterbox.cx - letterbox.width / 2 - 0.5;
    const top = letterbox.cy - letterbox.height / 2 - 0.5;
    const read = pixelReader(source);
    const rgb: [number, number, number] = [0, 0, 0];
    const plane = DETECTOR_SIZE * DETECTOR_SIZE;
    for (let row = 0; row < DETECTOR_SIZE; row++) {
      const y = top + (row + 0.5) * step;
      for (let col = 0; col < DETECTOR_SIZE; col++) {
        const x = left + (col + 0.5) * step;
        const o = row * DETECTOR_SIZE + col;
        const outside = x < -0.5 || y < -0.5 || x > source.width - 0.5 || y > source.height - 0.5;
        if (!outside) read(x, y, rgb);
        for (let c = 0; c < 3; c++) this.input[c * plane + o] = outside ? -1 : rgb[c] / 127.5 - 1;
      }
    }
  }
}
