import { VisionError } from '../common/errors';
import { roomKey } from '../common/url';
import type { AppConfig } from '../config/app-config';
import { InstructionRenderer } from '../render/instruction-renderer';
import type { VideoSize } from '../render/instruction-screen';
import { ProtooRoom, RoomOptions } from './protoo-room';
import { RoomServerPolicy } from './room-server-policy';
import type { JoinRequest, RoomConnection, RoomListener, TransportPort } from './transport.port';

/** Timing and bounds of a ProtooTransport; the room policy is built from `roomServerAllowlist`. */
export type ProtooTransportOptions = Omit<RoomOptions, 'policy' | 'roomMate'> & {
  roomServerAllowlist: readonly string[];
  /** Size of the instruction video. */
  videoSize: VideoSize;
};

/**
 * The real TransportPort: joins mediasoup rooms through protoo with mediasoup-client on @roamhq/wrtc, each with
 * its own instruction renderer. Keeps the open rooms so close() (at shutdown) leaves every room.
 */
export class ProtooTransport implements TransportPort {
  private readonly open = new Map<ProtooRoom, JoinRequest>();

  private constructor(
    private readonly options: RoomOptions,
    readonly policy: RoomServerPolicy,
    private readonly videoSize: VideoSize,
  ) {}

  /** A transport with these timings, room servers and bounds. */
  static create(options: ProtooTransportOptions): ProtooTransport {
    const { roomServerAllowlist, videoSize, ...rest } = options;
    const policy = new RoomServerPolicy(roomServerAllowlist);
    const roomMate = (wsUrl: string) => transport.roomMate(wsUrl);
    const transport: ProtooTransport = new ProtooTransport({ ...rest, policy, roomMate }, policy, videoSize);
    return transport;
  }

  /** A transport from the validated configuration. */
  static fromConfig(config: AppConfig): ProtooTransport {
    return ProtooTransport.create(config.settings.transport);
  }

  /** Rooms joined and not yet closed. */
  get openConnections(): number {
    return this.open.size;
  }

  /** Why the service may not join ws_url under ROOM_SERVER_ALLOWLIST, or undefined. */
  roomServerRefusal(wsUrl: string): Promise<string | undefined> {
    return this.policy.refusal(wsUrl);
  }

  async join(request: JoinRequest, listener: RoomListener, signal: AbortSignal): Promise<RoomConnection> {
    // Also checked at connect time; this covers IP literals, which the socket connects to without a lookup.
    const refused = await this.policy.refusal(request.wsUrl);
    if (refused) throw new VisionError('transport_failed', `the room server policy refuses ws_url: ${refused}`);
    const room = await ProtooRoom.join(request, listener, signal, new InstructionRenderer(Date.now, this.videoSize), this.options, (r) =>
      this.open.delete(r),
    );
    // A room that broke while joining has already released itself.
    if (!room.isReleased) this.open.set(room, request);
    return room;
  }

  /** Leaves every open room (without waiting for acknowledgements). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.open.keys()].map((r) => r.close(AbortSignal.abort())));
    await this.policy.close();
  }

  /** The flow of another connection of this service to the room of `wsUrl`. */
  private roomMate(wsUrl: string): string | undefined {
    const room = roomKey(wsUrl);
    return [...this.open.values()].find((r) => r.wsUrl !== wsUrl && roomKey(r.wsUrl) === room)?.flowId;
  }
}
