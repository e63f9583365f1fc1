import type { FaceObservation } from '../face-observation';

/** Options every face worker starts with. */
export interface FaceWorkerOptions {
  /** Faces the detector reports at most (> 1 so a second person is noticed). */
  maxFaces: number;
  /** Longest time the detector may be skipped in favour of mesh tracking, ms. */
  detectorSkipMs: number;
  /** Compute Human's faceres embedding as the identity descriptor. */
  descriptor: boolean;
}

/** One frame to analyse; `buffer` holds the I420 picture and is transferred, not copied. */
export interface WorkerRequest {
  id: number;
  width: number;
  height: number;
  timestampMs: number;
  buffer: ArrayBuffer;
}

/** What a worker answers; frame buffers are transferred back to the caller. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; observation: FaceObservation; ms: number; buffer: ArrayBuffer }
  | { type: 'error'; id: number; message: string; buffer: ArrayBuffer };
