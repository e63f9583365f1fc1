/**
 * MediaPipe's FaceLandmarker graph on onnxruntime, for one worker thread: the three models loaded once and shared
 * by every stream. It keeps no stream's state: each frame comes with its stream's FaceTrack and answers the next one,
 * so the caller owns the tracks and any worker can take any stream's next frame.
 *
 * Per frame: the detector runs when the stream has no track or its last run is detectorSkipMs old (it also
 * counts the faces, for multiple_faces); the mesh runs on a rotated square crop that follows the previous frame's
 * landmarks; a lost track (presence < 0.5) re-runs the detector once on the same frame; blendshapes run on the
 * 146-landmark subset; the head rotation is fitted to the canonical face.
 */
import { join } from 'node:path';
import * as ort from '../../common/onnxruntime';
import type { I420Frame } from '../../common/image';
import type { FaceObservation } from '../face-observation';
import { type MeshPoint, unitVector } from '../face-measures';
import { loadCanonicalFace } from './canonical-face';
import { cropI420, type ValueRange } from './crop';
import { decodeDetections, DETECTOR_SIZE, type Detection, ssdAnchors, weightedNms } from './detector';
import { type CanonicalFace, fitRotation } from './head-pose';
import { headAngles, type MeshFace, toObservation } from './mesh-observation';
import { letterboxRoi, projectPoint, type Roi, roiFromBox, roiFromLandmarks } from './roi';

/** Where the models live: models/face_landmarker at the repository (or image) root. */
export const MODELS_DIR = join(__dirname, '..', '..', '..', '..', 'models', 'face_landmarker');

const MESH_SIZE = 256;
const MESH_POINTS = 478;
/** The mesh's face presence below this: the track is lost. */
const MIN_PRESENCE = 0.5;

/** face_blendshapes_graph's kLandmarksSubsetIdxs: the 146 mesh points the blendshape model reads. */
export const BLENDSHAPE_LANDMARKS = [
  0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80, 81, 82, 84, 87, 88, 91,
  93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 168,
  172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296,
  297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380,
  381, 382, 384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474, 475, 476,
  477,
];

/** face_blendshapes_graph's kBlendshapeNames, in the model's output order. */
export const BLENDSHAPE_NAMES = [
  '_neutral',
  'browDownLeft',
  'browDownRight',
  'browInnerUp',
  'browOuterUpLeft',
  'browOuterUpRight',
  'cheekPuff',
  'cheekSquintLeft',
  'cheekSquintRight',
  'eyeBlinkLeft',
  'eyeBlinkRight',
  'eyeLookDownLeft',
  'eyeLookDownRight',
  'eyeLookInLeft',
  'eyeLookInRight',
  'eyeLookOutLeft',
  'eyeLookOutRight',
  'eyeLookUpLeft',
  'eyeLookUpRight',
  'eyeSquintLeft',
  'eyeSquintRight',
  'eyeWideLeft',
  'eyeWideRight',
  'jawForward',
  'jawLeft',
  'jawOpen',
  'jawRight',
  'mouthClose',
  'mouthDimpleLeft',
  'mouthDimpleRight',
  'mouthFrownLeft',
  'mouthFrownRight',
  'mouthFunnel',
  'mouthLeft',
  'mouthLowerDownLeft',
  'mouthLowerDownRight',
  'mouthPressLeft',
  'mouthPressRight',
  'mouthPucker',
  'mouthRight',
  'mouthRollLower',
  'mouthRollUpper',
  'mouthShrugLower',
  'mouthShrugUpper',
  'mouthSmileLeft',
  'mouthSmileRight',
  'mouthStretchLeft',
  'mouthStretchRight',
  'mouthUpperUpLeft',
  'mouthUpperUpRight',
  'noseSneerLeft',
  'noseSneerRight',
] as const;

/** An identity descriptor of the tracked face (the embed seam): a vector, normalised by the engine. */
export type FaceDescriber = (frame: I420Frame, mesh: readonly MeshPoint[]) => Promise<readonly number[]> | readonly number[];

/** Settings of one worker's landmarker. */
export interface LandmarkerOptions {
  /** Longest the detector is skipped on a tracked stream, ms of frame time. */
  detectorSkipMs: number;
}

/** One face of a still image: the detector's box and score, the mesh in it, the head pose. */
export interface StillFace {
  /** x, y, width, height in image pixels. */
  box: [number, number, number, number];
  score: number;
  mesh: MeshPoint[];
  yawDeg: number;
  pitchDeg: number;
}

/** A detector face in frame pixels, with the crop the mesh reads it from. */
interface FoundFace {
  cx: number;
  cy: number;
  side: number;
  roi: Roi;
  score: number;
  box: [number, number, number, number];
}

/** One stream's tracking state after a frame, for its next frame (plain data: it travels between threads). */
export interface FaceTrack {
  /** Crop for the next frame, from this frame's landmarks; undefined: no face tracked. */
  roi?: Roi;
  /** Frame time of the last detector run. */
  detectedMs: number;
  /** Faces the last detector run saw besides the tracked one. */
  others: number;
}

/** A stream's first frame, or a frame without a stream: no face tracked, the detector runs. */
const NO_TRACK: FaceTrack = { detectedMs: 0, others: 0 };

/** A loaded image model: its planar (NCHW) RGB input's size and value range. */
interface Model {
  session: ort.InferenceSession;
  input: string;
  range: ValueRange;
  size: number;
}

/** onnxruntime session options: one thread per session (the pool has one worker per core). */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

async function loadModel(file: string, size: number, range: ValueRange): Promise<Model> {
  const session = await ort.InferenceSession.create(join(MODELS_DIR, file), SESSION_OPTIONS);
  return { session, input: session.inputNames[0], range, size };
}

/** Output `name` of a run, checked to hold `size` values (the names are the TFLite ones, models/face_landmarker). */
function output(result: ort.InferenceSession.OnnxValueMapType, name: string, size: number): Float32Array {
  const found = result[name] as ort.Tensor | undefined;
  if (!found || found.size !== size) throw new Error(`model output ${name} is missing or not ${size} values`);
  return found.data as Float32Array;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export class FaceLandmarker {
  private readonly anchors = ssdAnchors();
  private readonly detectorInput = new Float32Array(DETECTOR_SIZE * DETECTOR_SIZE * 3);
  private readonly meshInput = new Float32Array(MESH_SIZE * MESH_SIZE * 3);

  private constructor(
    private readonly detector: Model,
    private readonly mesh: Model,
    private readonly blendshapes: ort.InferenceSession,
    private readonly canonical: CanonicalFace,
    private readonly options: LandmarkerOptions,
    private readonly describe?: FaceDescriber,
  ) {}

  /** Loads the three models (detector input −1..1, mesh input 0..1) and the canonical face, then warms up. */
  static async load(options: LandmarkerOptions, describe?: FaceDescriber): Promise<FaceLandmarker> {
    const [detector, mesh, blendshapes] = await Promise.all([
      loadModel('face_detector.onnx', DETECTOR_SIZE, { min: -1, max: 1 }),
      loadModel('face_landmarks_detector.onnx', MESH_SIZE, { min: 0, max: 1 }),
      ort.InferenceSession.create(join(MODELS_DIR, 'face_blendshapes.onnx'), SESSION_OPTIONS),
    ]);
    const canonical = loadCanonicalFace(join(MODELS_DIR, 'geometry_pipeline_metadata_landmarks.json'));
    const landmarker = new FaceLandmarker(detector, mesh, blendshapes, canonical, options, describe);
    await landmarker.warmUp();
    return landmarker;
  }

  /** Analyses one frame of a stream whose previous frame left `previous` (undefined: none, the detector runs). */
  async analyse(
    frame: I420Frame,
    previous: FaceTrack | undefined,
    wantDescriptor: boolean,
  ): Promise<{ observation: FaceObservation; track: FaceTrack }> {
    const { faces, faceCount, track } = await this.faces(frame, previous, wantDescriptor);
    return { observation: toObservation(faces, frame, faceCount), track };
  }

  /** The tracked face of this frame (none or one), how many faces the frame shows, and the track for the next frame. */
  async faces(
    frame: I420Frame,
    previous: FaceTrack | undefined,
    wantDescriptor: boolean,
  ): Promise<{ faces: MeshFace[]; faceCount: number; track: FaceTrack }> {
    const track = { ...(previous ?? NO_TRACK) };
    let detected = false;
    const now = frame.timestampMs;
    if (!track.roi || now - track.detectedMs >= this.options.detectorSkipMs || now < track.detectedMs) {
      await this.detect(frame, track);
      detected = true;
    }
    let face = track.roi && (await this.runMesh(frame, track.roi));
    if (!face && !detected) {
      await this.detect(frame, track); // lost: look for the face again on this frame
      face = track.roi && (await this.runMesh(frame, track.roi));
    }
    if (!face) {
      track.roi = undefined;
      return { faces: [], faceCount: track.others, track };
    }
    track.roi = roiFromLandmarks(face.mesh);
    const blendshapes = await this.runBlendshapes(face.mesh);
    const rotation = fitRotation(this.canonical, face.mesh);
    const descriptor = wantDescriptor && this.describe ? unitVector([...(await this.describe(frame, face.mesh))]) : undefined;
    return { faces: [{ mesh: face.mesh, blendshapes, rotation, score: face.presence, descriptor }], faceCount: 1 + track.others, track };
  }

  /**
   * Every face of a still image (no track, nothing kept between calls), largest first, at most `maxFaces`: the
   * detector on the whole image, then the mesh on each face's crop; a face the mesh does not confirm is left out.
   */
  async stillFaces(image: I420Frame, maxFaces: number): Promise<StillFace[]> {
    const found = (await this.runDetector(image)).sort((a, b) => b.side - a.side).slice(0, maxFaces);
    const faces: StillFace[] = [];
    for (const f of found) {
      const face = await this.runMesh(image, f.roi);
      if (!face) continue;
      faces.push({ box: f.box, score: f.score, mesh: face.mesh, ...headAngles(fitRotation(this.canonical, face.mesh)) });
    }
    return faces;
  }

  /**
   * Runs the detector on the letterboxed frame: the faces besides the tracked one are counted; with no track, the
   * largest face becomes the track.
   */
  private async detect(frame: I420Frame, track: FaceTrack): Promise<void> {
    const faces = await this.runDetector(frame);
    track.detectedMs = frame.timestampMs;
    if (track.roi) {
      const roi = track.roi;
      track.others = faces.filter((f) => Math.hypot(f.cx - roi.cx, f.cy - roi.cy) > roi.width / 3).length;
      return;
    }
    const largest = faces.reduce<(typeof faces)[number] | undefined>((a, b) => (!a || b.side > a.side ? b : a), undefined);
    track.roi = largest?.roi;
    track.others = Math.max(0, faces.length - 1);
  }

  /** The detector on the letterboxed frame: its faces in frame pixels. */
  private async runDetector(frame: I420Frame): Promise<FoundFace[]> {
    const letterbox = letterboxRoi(frame.width, frame.height);
    const input = cropI420(frame, letterbox, DETECTOR_SIZE, this.detector.range, this.detectorInput);
    const result = await this.detector.session.run({ [this.detector.input]: this.tensor(input, this.detector) });
    const n = this.anchors.length;
    return weightedNms(decodeDetections(output(result, 'regressors', n * 16), output(result, 'classificators', n), this.anchors)).map((d) =>
      toFrame(d, letterbox),
    );
  }

  /** The mesh in `roi`: 478 points in frame pixels and the presence score, or undefined when no face is there. */
  private async runMesh(frame: I420Frame, roi: Roi): Promise<{ mesh: MeshPoint[]; presence: number } | undefined> {
    const input = cropI420(frame, roi, MESH_SIZE, this.mesh.range, this.meshInput);
    const result = await this.mesh.session.run({ [this.mesh.input]: this.tensor(input, this.mesh) });
    const presence = sigmoid(output(result, 'Identity_1', 1)[0]);
    if (presence < MIN_PRESENCE) return undefined;
    const raw = output(result, 'Identity', MESH_POINTS * 3);
    const mesh: MeshPoint[] = [];
    for (let i = 0; i < MESH_POINTS; i++) {
      const [x, y] = projectPoint(roi, raw[i * 3] / MESH_SIZE, raw[i * 3 + 1] / MESH_SIZE);
      mesh.push([x, y, (raw[i * 3 + 2] / MESH_SIZE) * roi.width]);
    }
    return { mesh, presence };
  }

  /** The 52 blendshape scores from the 146-point subset in frame pixels. */
  private async runBlendshapes(mesh: readonly MeshPoint[]): Promise<Record<string, number>> {
    const input = new Float32Array(BLENDSHAPE_LANDMARKS.length * 2);
    BLENDSHAPE_LANDMARKS.forEach((index, i) => {
      input[i * 2] = mesh[index][0];
      input[i * 2 + 1] = mesh[index][1];
    });
    const result = await this.blendshapes.run({
      [this.blendshapes.inputNames[0]]: new ort.Tensor('float32', input, [1, BLENDSHAPE_LANDMARKS.length, 2]),
    });
    const scores = output(result, this.blendshapes.outputNames[0], BLENDSHAPE_NAMES.length);
    return Object.fromEntries(BLENDSHAPE_NAMES.map((name, i) => [name, scores[i]]));
  }

  private tensor(data: Float32Array, model: Model): ort.Tensor {
    return new ort.Tensor('float32', data, [1, 3, model.size, model.size]);
  }

  /** One run of each model on a grey frame so kernels are ready before the first real frame. */
  private async warmUp(): Promise<void> {
    const frame: I420Frame = { width: 64, height: 64, timestampMs: 0, data: new Uint8Array(64 * 64 * 1.5).fill(128) };
    await this.detect(frame, { ...NO_TRACK });
    await this.runMesh(frame, letterboxRoi(64, 64));
    await this.runBlendshapes(Array.from({ length: MESH_POINTS }, (_, i): MeshPoint => [i % 64, i % 32, 0]));
  }
}

/** A detection from the letterboxed input's coordinates to frame pixels, with its crop. */
function toFrame(d: Detection, letterbox: Roi): FoundFace {
  const [x0, y0] = projectPoint(letterbox, d.x0, d.y0);
  const [x1, y1] = projectPoint(letterbox, d.x1, d.y1);
  const eyeR = projectPoint(letterbox, d.keypoints[0][0], d.keypoints[0][1]);
  const eyeL = projectPoint(letterbox, d.keypoints[1][0], d.keypoints[1][1]);
  return {
    cx: (x0 + x1) / 2,
    cy: (y0 + y1) / 2,
    side: Math.max(x1 - x0, y1 - y0),
    roi: roiFromBox({ x0, y0, x1, y1 }, eyeR, eyeL),
    score: d.score,
    box: [x0, y0, x1 - x0, y1 - y0],
  };
}
