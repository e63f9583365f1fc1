import type { I420Frame, RawImage } from '../common/image';
import type { EmbeddingModelName } from '../face-embedding/embedding-model';
import type { FaceObservation } from './face-observation';

/**
 * What an engine measures, as challenges name it in `needs`: eye openness, mouth openness, the smile score, head
 * pose (yaw, pitch, roll), and gaze (MediaPipe's eyeLookIn/Out blendshapes: where the eyes look, head aside).
 */
export type FaceSignal = 'eyes' | 'mouth' | 'smile' | 'headPose' | 'gaze';

/**
 * What a caller asks beyond the observation, which always carries every signal of `FaceAnalysisPort.signals` (the
 * MediaPipe engine computes them all on every face).
 */
export interface AnalysisNeeds {
  /** Score the one face for presentation attacks (FaceObservation.padScore): costly, asked at PAD_FPS. */
  pad?: boolean;
}

/** Analyses subject frames. Implementations keep at most one frame in flight per caller. */
export interface FaceAnalysisPort {
  /** Resolves once the engine is loaded and warm. */
  ready(): Promise<void>;
  /**
   * Analyses one frame. `stream` (the flow id) keeps a flow's frames together so tracking caches help. The
   * frame's buffer may be lent to a worker: do not read `frame.data` until the promise settles.
   */
  analyze(frame: I420Frame, stream?: string, needs?: AnalysisNeeds): Promise<FaceObservation>;
  /** The frame as RGB, for keeping it as live evidence for matching. */
  toRgb(frame: I420Frame): RawImage;
  /** The signals this engine measures: a challenge needing another is refused at start-up. */
  readonly signals: readonly FaceSignal[];
  /** Whether analyze() scores `needs.pad` (the PAD scorer in the engine's workers); an engine without it runs PAD_POLICY=off. */
  readonly padScoring?: boolean;
  /** The embedding model of the observations' descriptors (it sets face_changed's distance); none without them. */
  readonly descriptorModel?: EmbeddingModelName;
  /**
   * Why the engine can no longer analyse anything (e.g. a worker died), or undefined while it can. /health turns
   * red on it, so the orchestrator restarts the process instead of every new flow failing.
   */
  brokenReason?(): string | undefined;
}

/** Nest injection token of the FaceAnalysisPort. */
export const FACE_ANALYSIS_PORT = Symbol('FaceAnalysisPort');
