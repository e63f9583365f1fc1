import type { Human } from '@vladmandic/human';
import type { RawImage } from '../../common/image';
import { createHuman, humanConfig, humanTf } from '../../face/human/load-human';
import type { Point } from '../../face-embedding/align';
import { meshEyeCentres } from '../../face-embedding/mesh-eyes';

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

/** Drops detections whose centre lies inside a larger kept one (Human reports some faces twice when rotating). */
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

function pad(image: RawImage, border: number): RawImage {
  const width = image.width + 2 * border;
  const height = image.height + 2 * border;
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

/** Face detection with eye landmarks on still images: Human's BlazeFace + FaceMesh, no frame-to-frame caching. */
export class FaceDetector {
  private constructor(private readonly human: Human) {}

  static async create(): Promise<FaceDetector> {
    const config = humanConfig({
      // rotation: the mesh runs on an upright crop, so eye landmarks stay good on tilted heads.
      detector: { rotation: true, maxDetected: 5, minConfidence: 0.5, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: true },
      iris: { enabled: false },
      emotion: { enabled: false },
      description: { enabled: false },
    });
    // Stills are unrelated to each other: never reuse a previous image's detections.
    const human = await createHuman({ ...config, cacheSensitivity: 0 });
    return new FaceDetector(human);
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
    const tf = humanTf();
    const rgb = image.channels === 3 ? image : pad(image, 0);
    const input = tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'int32');
    try {
      const result = await this.human.detect(input as never);
      if (result.error) throw new Error(result.error);
      const faces: DetectedFace[] = [];
      for (const face of result.face) {
        if (face.mesh.length < 468) continue;
        const eyes = meshEyeCentres(face.mesh);
        const angle = face.rotation?.angle ?? { yaw: 0, pitch: 0 };
        const deg = (rad: number) => (rad * 180) / Math.PI;
        faces.push({
          box: face.box,
          score: face.score,
          leftEye: eyes.left,
          rightEye: eyes.right,
          yawDeg: deg(angle.yaw),
          pitchDeg: deg(angle.pitch),
        });
      }
      return dedupe(faces);
    } finally {
      input.dispose();
    }
  }
}
