import type { VisionError } from '../common/errors';
import type { I420Frame } from '../common/image';

/** Where and as whom to join a room. */
export interface JoinRequest {
  flowId: string;
  /** protoo URL; its query carries roomId and peerId. */
  wsUrl: string;
  displayName: string;
}

/** What happens in the room, told to the flow. Called at most once each, except onSubjectFrame. */
export interface RoomListener {
  /** The subject's first video frame arrived. */
  onSubjectVideoStarted(): void;
  /** The subject's peer (or its video producer) left the room. */
  onSubjectLeft(): void;
  /** Signalling or media failed for good; the connection is unusable. */
  onFailed(error: VisionError): void;
  /** A subject frame; called with back-pressure upstream (latest frame wins). */
  onSubjectFrame(frame: I420Frame): void;
}

/** What the outgoing instruction video shows. All text is already in the subject's language. */
export interface InstructionScreen {
  phase: 'waiting' | 'instructing' | 'challenge' | 'processing' | 'verified' | 'not_verified';
  /** Main line: the instruction or the status. */
  text: string;
  /** Warning shown over the video (no face, move closer…), if any. */
  warning?: string;
  /**
   * Challenge i of n (1-based), progress 0..1 and when it times out (`endsAtMs`, Date.now() clock: the renderer
   * draws the countdown from it on every tick), during the challenge phase.
   */
  challenge?: { index: number; total: number; endsAtMs: number; progress: number };
}

/** Frame counters of one room connection. */
export interface RoomStats {
  /** Subject frames decoded. */
  framesReceived: number;
  /** Subject frames handed to onSubjectFrame. */
  framesDelivered: number;
  /** Subject frames replaced by a newer one before delivery (latest frame wins). */
  framesDropped: number;
  /** Instruction frames produced. */
  framesSent: number;
}

/** A joined room. close() is idempotent and leaves nothing open. */
export interface RoomConnection {
  show(screen: InstructionScreen): void;
  close(): Promise<void>;
  /** Frame counters, when the adapter keeps them. */
  stats?(): RoomStats;
}

/** Joins mediasoup rooms through protoo. */
export interface TransportPort {
  /** Resolves once joined and producing; rejects with a VisionError('transport_failed') otherwise. */
  join(request: JoinRequest, listener: RoomListener, signal: AbortSignal): Promise<RoomConnection>;
  /** Why the room server of ws_url may not be joined (checked at /join-call), or undefined when it may. */
  roomServerRefusal?(wsUrl: string): Promise<string | undefined>;
}

/** Nest injection token of the TransportPort. */
export const TRANSPORT_PORT = Symbol('TransportPort');
