import { join } from 'node:path';
import { faceDefaults } from '../face.env';
import { WorkerFaceEngine } from '../worker-face-engine';

/** Settings of the engine (see face.env.ts). */
export interface HumanFaceEngineConfig {
  /** Worker threads, one Human each (TFJS-WASM is single-threaded in Node). */
  workers: number;
  /** Faces counted per frame at most. Default 3. */
  maxFaces?: number;
  /** Longest the detector is skipped in favour of mesh tracking, ms. Default FACE_DETECTOR_SKIP_MS's. */
  detectorSkipMs?: number;
  /** Compute the faceres identity descriptor. Default true. */
  descriptor?: boolean;
  /**
   * Shortest time between two descriptors of one stream, ms (frame timestamps). Default 1000: the identity check
   * needs one now and then, and faceres costs ≈ 90 ms of CPU, three times the rest of a frame. (Human's own cache
   * reran it on every frame that differed enough from the previous one: under load, frames far apart, always.)
   */
  descriptorEveryMs?: number;
  /** Fewest frames of one stream between two descriptors. Default 5: under load (2 fps) one every 2.5 s, not 1 s. */
  descriptorEveryFrames?: number;
  /** Run the emotion model (input of the smile score). Default true. */
  emotion?: boolean;
  /**
   * Run the iris model. Default true: it costs ≈ 11 ms of CPU per frame (a third), but without its eye contour the
   * blink's eye aspect ratio reads 0.12–0.15 closed vs 0.23 open (0.03–0.16 vs 0.28 with it) and the first blink of
   * the webcam clip no longer passes.
   */
  iris?: boolean;
  /**
   * Streams per worker that keep their own Human (its tracking caches); more streams share one and run the
   * detector and emotion on every frame. bench:face, 8 streams on 2 workers at 10 fps: 26 frames/s with one Human
   * per worker, 39 with 4; bench:flows with 4 flows (transport-bound): 2.6 / 2.6 vs 3.5 / 2.6 fps median with 2.
   * Each costs ≈ 75 MB, loaded at start. Default 2: the default MAX_CONCURRENT_FLOWS (2 per core) over one
   * worker per core.
   */
  trackersPerWorker?: number;
  /** Time for loading and warming up a worker, ms. Default FACE_START_TIMEOUT_S's. */
  startTimeoutMs?: number;
}

/** Options every Human face worker starts with. */
export interface HumanWorkerOptions {
  /** Faces the detector reports at most (> 1 so a second person is noticed). */
  maxFaces: number;
  /** Longest time the detector may be skipped in favour of mesh tracking, ms. */
  detectorSkipMs: number;
  /** Load Human's faceres model; frames asking for a descriptor get its embedding. */
  descriptor: boolean;
  /** Run the emotion model (the `happy` input of the smile score) on frames whose caller needs the smile. */
  emotion: boolean;
  /** Run the iris model (refines the eye contour the blink's eye aspect ratio reads) when the caller needs eyes. */
  iris: boolean;
  /** Human instances per worker, one per recent stream (each keeps that stream's tracking caches). */
  trackersPerWorker: number;
}

/**
 * FaceAnalysisPort on @vladmandic/human in a pool of worker threads (WorkerFaceEngine); frames of one stream stick
 * to one worker so Human's face tracking cache stays useful.
 */
export class HumanFaceEngine extends WorkerFaceEngine {
  /** Starts the workers; they load the models and warm up in the background (await `ready()`). */
  static create(config: HumanFaceEngineConfig): HumanFaceEngine {
    const workerData: HumanWorkerOptions = {
      maxFaces: config.maxFaces ?? 3,
      detectorSkipMs: config.detectorSkipMs ?? faceDefaults.detectorSkipMs,
      descriptor: config.descriptor ?? true,
      emotion: config.emotion ?? true,
      iris: config.iris ?? true,
      trackersPerWorker: config.trackersPerWorker ?? 2,
    };
    return new HumanFaceEngine({
      workers: config.workers,
      workerFile: join(__dirname, 'face.worker.js'),
      workerData,
      startTimeoutMs: config.startTimeoutMs,
      descriptorEvery: { ms: config.descriptorEveryMs ?? 1000, frames: config.descriptorEveryFrames ?? 5 },
      descriptorModel: workerData.descriptor ? 'faceres' : undefined,
      // No blendshapes: no gaze.
      signals: ['eyes', 'mouth', 'smile', 'headPose'],
    });
  }
}
