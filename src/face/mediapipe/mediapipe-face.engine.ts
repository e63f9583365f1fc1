import { join } from 'node:path';
import type { FaceSignal } from '../face-analysis.port';
import { faceDefaults } from '../face.env';
import { WorkerFaceEngine } from '../worker-face-engine';
import type { LandmarkerOptions } from './landmarker';
import { DESCRIBER_MODEL } from './mesh-describer';

const DEFAULT_DESCRIBER = join(__dirname, 'mesh-describer.js');

/** What MediaPipe's observations measure; gaze from the eyeLook* blendshapes, computed on every face. */
export const MEDIAPIPE_SIGNALS: readonly FaceSignal[] = ['eyes', 'mouth', 'smile', 'headPose', 'gaze'];

/** Settings of the engine (see face.env.ts). */
export interface MediaPipeFaceEngineConfig {
  /** Worker threads, one landmarker each (onnxruntime with one thread per session). */
  workers: number;
  /** Longest the detector is skipped on a tracked stream, ms. Default FACE_DETECTOR_SKIP_MS's. */
  detectorSkipMs?: number;
  /**
   * Module whose createFaceDescriber() gives the identity descriptor for face_changed (an embedding model, loaded
   * in each worker); asked at most once a second per stream. Default: mesh-describer (face-api's embedding);
   * null: observations carry no descriptor.
   */
  descriptorModule?: string | null;
  /** Time for loading and warming up a worker, ms. Default FACE_START_TIMEOUT_S's. */
  startTimeoutMs?: number;
}

/** What each worker starts with. */
export interface MediaPipeWorkerOptions extends LandmarkerOptions {
  descriptorModule?: string;
}

/**
 * FaceAnalysisPort on MediaPipe's Face Landmarker models (detector, 478-point mesh, blendshapes) on onnxruntime
 * in a pool of worker threads (WorkerFaceEngine). Each frame goes to the least busy worker with its stream's track
 * (FaceTrack, kept by WorkerFaceEngine), so one slow or preempted worker does not hold up the streams it served last.
 */
export class MediaPipeFaceEngine extends WorkerFaceEngine {
  static create(config: MediaPipeFaceEngineConfig): MediaPipeFaceEngine {
    const workerData: MediaPipeWorkerOptions = {
      detectorSkipMs: config.detectorSkipMs ?? faceDefaults.detectorSkipMs,
      descriptorModule: config.descriptorModule === undefined ? DEFAULT_DESCRIBER : (config.descriptorModule ?? undefined),
    };
    return new MediaPipeFaceEngine({
      workers: config.workers,
      workerFile: join(__dirname, 'face.worker.js'),
      workerData,
      startTimeoutMs: config.startTimeoutMs,
      descriptorEvery: { ms: 1000, frames: 1 },
      descriptorModel: config.descriptorModule === undefined ? DESCRIBER_MODEL : undefined,
      signals: MEDIAPIPE_SIGNALS,
    });
  }
}
