import type { AnalysisNeeds } from './face-analysis.port';
import type { FaceObservation } from './face-observation';

/** One frame to analyse; `buffer` holds the I420 picture and is transferred, not copied. */
export interface WorkerRequest {
  id: number;
  width: number;
  height: number;
  timestampMs: number;
  buffer: ArrayBuffer;
  /** Compute the identity descriptor for this frame (the engine asks only now and then: it is costly). */
  descriptor: boolean;
  /**
   * The stream's tracking state as the worker answered it for the stream's previous frame (engine-specific plain
   * data, kept by the caller); undefined for a stream's first frame and for frames without a stream.
   */
  track?: unknown;
  /** What the caller reads; engines may skip the rest. */
  needs: AnalysisNeeds;
}

/** What a face worker answers a frame with (after its StartReply); frame buffers are transferred back to the caller. */
export type WorkerReply =
  | { type: 'result'; id: number; observation: FaceObservation; track?: unknown; ms: number; buffer: ArrayBuffer }
  | { type: 'error'; id: number; message: string; buffer: ArrayBuffer };

/** What a face worker's analyser does with one request: the observation and the stream's next track, or a thrown error. */
export type AnalyseRequest = (
  frame: { width: number; height: number; timestampMs: number; data: Uint8Array },
  request: WorkerRequest,
) => Promise<{ observation: FaceObservation; track?: unknown }>;
