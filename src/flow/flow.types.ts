import type { FailureReason } from '../common/errors';
import type { FaceObservation } from '../face/face-observation';
import type { LivenessSettings, LivenessState } from '../liveness/liveness';
import type { MatchResult } from '../matcher/matcher.port';
import type { ReferenceImage } from '../references/reference.port';
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
}

export interface FlowInput {
  flowId: string;
  request: FlowRequest;
  challengeIds: string[];
  settings: FlowSettings;
}

/** A failure with its reason code and a message for logs and GET /flows/{id}. */
export interface FlowFailure {
  reason: FailureReason;
  message: string;
}

export interface FlowContext extends FlowInput {
  liveness: LivenessState;
  /** Wall-clock start of the running challenge, for the countdown. */
  challengeStartedAt?: number;
  references: ReferenceImage[];
  match?: MatchResult;
  matcherAttempts: number;
  callbackAttempts: number;
  /** Set once the verdict is known; never changes after. */
  verdict?: 'success' | 'failure';
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
  | { type: 'FACE_OBSERVED'; observation: FaceObservation }
  | { type: 'FACE_ENGINE_FAILED'; message: string }
  | { type: 'CANCEL' }
  | { type: 'SHUTDOWN' };

/** Events the room actor accepts from the flow. */
export type RoomCommand = { type: 'SHOW'; screen: InstructionScreen } | { type: 'LEAVE' };
