import type { CallbackTarget, FlowOutcome } from '../callbacks/callback.port';
import type { FailureReason } from '../common/errors';
import type { FaceObservation } from '../face/face-observation';
import type { LivenessSettings, LivenessState } from '../liveness/liveness';
import type { MatchResult } from '../matcher/matcher.port';
import type { PadSettings, PadTrace } from '../pad/pad-policy';
import type { ReferenceSource } from '../references/reference.port';
import type { InstructionScreen } from '../render/instruction-screen';

/** What the controller asked for (POST /join-call), normalised. */
export interface FlowRequest {
  wsUrl: string;
  callbackBaseUrl: string;
  datastoreBaseUrl?: string;
  token: string;
  /** A shipped language (unknown codes were already mapped to en). */
  lang: string;
}

/** Every duration of a flow, in milliseconds, and the retry budgets. */
export interface FlowSettings {
  flowTimeoutMs: number;
  joinTimeoutMs: number;
  instructionMs: number;
  challengeTimeoutMs: number;
  resultDisplayMs: number;
  leaveTimeoutMs: number;
  callbackMaxAttempts: number;
  callbackBackoffMs: number;
  matcherAttempts: number;
  liveness: LivenessSettings;
  /** The passive presentation-attack check (docs/pad.md); `fps`: frames scored per second during the challenges. */
  pad: PadSettings & { fps: number };
}

export interface FlowInput {
  flowId: string;
  request: FlowRequest;
  challengeIds: string[];
  /** The challenge a PAD step-up adds (one not in challengeIds when the pool allows). */
  stepUpChallengeId: string;
  settings: FlowSettings;
}

/** A failure with its reason code and a message for logs and GET /flows/{id}. */
export interface FlowFailure {
  reason: FailureReason;
  message: string;
}

/** The flow's state as plain data: counts and ids, never pixels (those are in the flow's FlowBiometrics). */
export interface FlowContext extends FlowInput {
  liveness: LivenessState;
  /** When the running challenge times out, on the clock of FlowDeps.now: the countdown is drawn from it. */
  challengeEndsAtMs?: number;
  /** The room was joined (JOINED): a join deadline then means the subject's video never came. */
  roomJoined: boolean;
  /** Subject frames whose analysis succeeded. */
  framesAnalysed: number;
  /** Consecutive failed analyses (one success resets it); ANALYSIS_ERROR_BUDGET of them fail the flow. */
  analysisErrors: number;
  /** Live frames kept for matching. */
  evidenceCount: number;
  /** Passive presentation-attack evidence: scored frames folded into 2-second windows (pad-policy). */
  pad: PadTrace;
  /** Usable reference images fetched. */
  referenceCount: number;
  match?: MatchResult;
  matcherAttempts: number;
  /** Why the last matcher attempt failed, until it is retried or becomes the failure. */
  matcherError?: FlowFailure;
  callbackAttempts: number;
  /** Set on every transition into `finishing`, and only there; never changes after. */
  verdict?: 'success' | 'failure';
  /** Why the verdict is a failure. */
  failure?: FlowFailure;
  /** The subject or the room is gone: nothing left to show. */
  roomGone: boolean;
  /** Whether the terminal callback reached the controller. */
  reported: boolean;
}

/** Events the flow reacts to. */
export type FlowEvent =
  | { type: 'JOINED' }
  | { type: 'SUBJECT_VIDEO_STARTED' }
  | { type: 'SUBJECT_LEFT' }
  | { type: 'TRANSPORT_FAILED'; message: string }
  | { type: 'LEFT' }
  /** A frame was analysed; `evidenceCount` is how many live frames the biometric store keeps now. */
  | { type: 'FACE_OBSERVED'; observation: FaceObservation; evidenceCount: number }
  | { type: 'FACE_ANALYSIS_FAILED'; message: string }
  | { type: 'CANCEL' }
  | { type: 'SHUTDOWN' };

/** Events the room actor accepts from the flow. */
export type RoomCommand = { type: 'SHOW'; screen: InstructionScreen } | { type: 'LEAVE' };

/** Phases of a flow, as state tags (telemetry reads them with `snapshot.hasTag`). */
export type FlowTag = 'join' | 'liveness' | 'matching' | 'callback';

/** Which screen the flow shows; the text is in the subject's language. */
export type ScreenPhase = InstructionScreen['phase'];

/** Inputs of the flow's actors: all they get from the machine. */
export interface RoomInput {
  flowId: string;
  wsUrl: string;
}
export interface WatchFaceInput {
  flowId: string;
  challengeIds: string[];
  /** Frames to PAD-score per second (0: none). */
  padFps: number;
}
export type FetchReferencesInput = ReferenceSource;
export interface MatchFacesInput {
  flowId: string;
}
export interface SendCallbackInput {
  target: CallbackTarget;
  outcome: FlowOutcome;
  attempt: number;
}

/** A line the flow writes to its log. */
export interface FlowLogLine {
  level: 'log' | 'warn' | 'error';
  message: string;
}
