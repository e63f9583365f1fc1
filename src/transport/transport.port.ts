import type { VisionError } from '../common/errors';
import type { I420Frame } from '../common/image';
import type { FlowLog } from '../observability/logger';
import type { InstructionScreen } from '../render/instruction-screen';

/** Where and as whom to join a room. */
export interface JoinRequest {
  flowId: string;
  /** protoo URL; its query carries roomId and peerId. */
  wsUrl: string;
  displayName: string;
  /** The flow's logger: the room's lines are the flow's. */
  log: FlowLog;
}

/** What happens in the room, told to the flow. Called at most once each, except onSubjectFrame. */
export interface RoomListener {
  /** The subject's first video frame arrived. */
  onSubjectVideoStarted(): void;
  /** The subject's peer (or its video producer) left the room. */
  onSubjectLeft(): void;
  /** Signalling or media failed for good; the connection is unusable. */
  onFailed(error: VisionError): void;
  /** Every decoded subject frame, as it arrives (no buffer in between: the flow's frame gate is the one). */
  onSubjectFrame(frame: I420Frame): void;
}

/** A joined room. */
export interface RoomConnection {
  show(screen: InstructionScreen): void;
  /**
   * Leaves the room and releases everything; idempotent. Waits for the room to acknowledge the leave at most
   * until `signal` aborts (or the protoo request timeout): then nothing is left open.
   */
  close(signal?: AbortSignal): Promise<void>;
}

/** Joins mediasoup rooms through protoo. */
export interface TransportPort {
  /**
   * Resolves once joined and producing; rejects with a VisionError('transport_failed') when the room fails or
   * `signal` aborts. No deadline of its own: the flow's join timeout aborts it.
   */
  join(request: JoinRequest, listener: RoomListener, signal: AbortSignal): Promise<RoomConnection>;
  /** Why the room server of ws_url may not be joined (checked at /join-call), or undefined when it may. */
  roomServerRefusal?(wsUrl: string): Promise<string | undefined>;
}

/** Nest injection token of the TransportPort. */
export const TRANSPORT_PORT = Symbol('TransportPort');
