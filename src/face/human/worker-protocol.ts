import type { FaceObservation } from '../face-observation';

/** Options every face worker starts with. */
export interface FaceWorkerOptions {
  /** Faces the detector reports at most (> 1 so a second person is noticed). */
  maxFaces: number;
  /** Longest time the detector may be skipped in favour of mesh tracking, ms. */
  detectorSkipMs: number;
  /** Load Human's faceres model; frames asking for a descriptor get its embedding. */
  descriptor: boolean;
  /** Run the emotion model (the `happy` input of the smile score). */
  emotion: boolean;
  /** Run the iris model (refines the eye contour the blink's eye aspect ratio reads). */
  iris: boolean;
  /** Human instances per worker, one per recent stream (each keeps that stream's tracking caches). */
  trackersPerWorker: number;
}

/** One frame to analyse; `buffer` holds the I420 picture and is transferred, not copied. */
export interface WorkerRequest {
  id: number;
  width: number;
  height: number;
  timestampMs: number;
  buffer: ArrayBuffer;
  /** Compute the identity descriptor for this frame (the engine asks only now and then: faceres is costly). */
  descriptor: boolean;
  /** The caller's stream (e.g. the flow id), when it has one. */
  stream?: string;
  /** Run the emotion model on this frame (when loaded): the smile score needs it. */
  emotion: boolean;
  /** Run the iris model on this frame (when loaded): the blink needs its eye contour. */
  iris: boolean;
}

/** What a worker answers; frame buffers are transferred back to the caller. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; observation: FaceObservation; ms: number; buffer: ArrayBuffer }
  | { type: 'error'; id: number; message: string; buffer: ArrayBuffer };
