import type { RawImage } from '../../common/image';
import type { Point } from '../../face-embedding/align';
import { meshEyeCentres } from '../../face-embedding/mesh-eyes';
import { rgbToI420 } from '../../face/i420';
import { FaceLandmarker } from '../../face/mediapipe/landmarker';

/** One face found in a still image, in the image's pixels. */
export interface DetectedFace {
  box: [number, number, number, number];
  score: number;
  /** Eye centre on the image's left, and on its right. */
  leftEye: Point;
  rightEye: Point;
  /** Head yaw and pitch from the mesh, degrees (0 frontal). */
  yawDeg: number;
  pitchDeg: number;
}

/** Border added around an image in which no face was found: tight face crops lack the context the detector needs. */
const RETRY_PADDING = 0.3;

/** Drops faces whose centre lies inside a larger kept one (a small false detection on a face the NMS kept apart). */
function dedupe(faces: DetectedFace[]): DetectedFace[] {
  const kept: DetectedFace[] = [];
  for (const face of [...faces].sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])) {
    const cx = face.box[0] + face.box[2] / 2;
    const cy = face.box[1] + face.box[3] / 2;
    const inside = kept.some((k) => cx >= k.box[0] && cx <= k.box[0] + k.box[2] && cy >= k.box[1] && cy <= k.box[1] + k.box[3]);
    if (!inside) kept.push(face);
  }
  return kept;
}

/** The image as RGB inside a black border, one more black column or row where a side would be odd (I420 needs even). */
function pad(image: RawImage, border: number): RawImage {
  const width = (image.width + 2 * border + 1) & ~1;
  const height = (image.height + 2 * border + 1) & ~1;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const from = (y * image.width + x) * image.channels;
      const to = ((y + border) * width + x + border) * 3;
      data[to] = image.data[from];
      data[to + 1] = image.data[from + 1];
      data[to + 2] = image.data[from + 2];
    }
  }
  return { width, height, channels: 3, data };
}

/** Faces looked for in one image at most. */
const MAX_FACES = 5;

/**
 * Face detection with eye landmarks on still images: the face engine's MediaPipe models on onnxruntime (BlazeFace,
 * then the 478-point mesh on each face's rotated crop, so eye landmarks stay good on tilted heads). No TFJS.
 */
export class FaceDetector {
  private constructor(private readonly landmarker: FaceLandmarker) {}

  static async create(): Promise<FaceDetector> {
    // Stills are unrelated to each other: stillFaces keeps no track between images.
    return new FaceDetector(await FaceLandmarker.load({ detectorSkipMs: 0 }));
  }

  /** Faces of the image, largest first; retries once with a border when none is found. */
  async detect(image: RawImage): Promise<DetectedFace[]> {
    const faces = await this.detectOnce(image);
    if (faces.length > 0) return faces;
    const border = Math.round(Math.max(image.width, image.height) * RETRY_PADDING);
    const shift = (p: Point): Point => ({ x: p.x - border, y: p.y - border });
    return (await this.detectOnce(pad(image, border))).map((f) => ({
      ...f,
      box: [f.box[0] - border, f.box[1] - border, f.box[2], f.box[3]],
      leftEye: shift(f.leftEye),
      rightEye: shift(f.rightEye),
    }));
  }

  private async detectOnce(image: RawImage): Promise<DetectedFace[]> {
    const even = image.width % 2 || image.height % 2 ? pad(image, 0) : image;
    const faces = await this.landmarker.stillFaces(rgbToI420(even), MAX_FACES);
    return dedupe(
      faces.map((face) => {
        const eyes = meshEyeCentres(face.mesh);
        return { box: face.box, score: face.score, leftEye: eyes.left, rightEye: eyes.right, yawDeg: face.yawDeg, pitchDeg: face.pitchDeg };
      }),
    );
  }
}
