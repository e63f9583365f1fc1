import { VisionError } from '../common/errors';
import { roomKey } from '../common/url';
import type { AppConfig } from '../config/app-config';
import { ProtooRoomConnection, RoomConnectionOptions } from './protoo-room-connection';
import { RoomServerPolicy } from './room-server-policy';
import { transportEnv } from './transport.env';
import type { JoinRequest, RoomConnection, RoomListener, TransportPort } from './transport.port';

/** Timing and bounds of a ProtooTransport; the room policy is built from `roomServerAllowlist`. */
export type ProtooTransportOptions = Omit<RoomConnectionOptions, 'policy' | 'roomMate' | 'limits' | 'forceRelay'> & {
  roomServerAllowlist: readonly string[];
  limits?: Partial<RoomConnectionOptions['limits']>;
  forceRelay?: boolean;
};

/** The defaults of ROOM_MAX_MESSAGE_BYTES, ROOM_MAX_MESSAGES_PER_S and ROOM_MAX_PEERS. */
const DEFAULT_LIMITS: RoomConnectionOptions['limits'] = {
  maxMessageBytes: transportEnv.ROOM_MAX_MESSAGE_BYTES.parse(undefined),
  maxMessagesPerSecond: transportEnv.ROOM_MAX_MESSAGES_PER_S.parse(undefined),
  maxPeers: transportEnv.ROOM_MAX_PEERS.parse(undefined),
};

/**
 * The real TransportPort: joins mediasoup rooms through protoo with mediasoup-client on @roamhq/wrtc.
 * Keeps the open connections so close() (at shutdown) leaves every room.
 */
export class ProtooTransport implements TransportPort {
  private readonly open = new Map<ProtooRoomConnection, JoinRequest>();

  private constructor(
    private readonly options: RoomConnectionOptions,
    readonly policy: RoomServerPolicy,
  ) {}

  /** A transport with these timings, room servers and bounds. */
  static create(options: ProtooTransportOptions): ProtooTransport {
    const { roomServerAllowlist, limits, forceRelay, ...timings } = options;
    const policy = new RoomServerPolicy(roomServerAllowlist);
    const transport: ProtooTransport = new ProtooTransport(
      {
        ...timings,
        policy,
        limits: { ...DEFAULT_LIMITS, ...limits },
        forceRelay: forceRelay ?? false,
        roomMate: (wsUrl) => transport.roomMate(wsUrl),
      },
      policy,
    );
    return transport;
  }

  /** A transport from the validated configuration (the flow's JOIN_TIMEOUT_S also bounds the join itself). */
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
    const connection = await ProtooRoomConnection.join(request, listener, signal, this.options, (c) => this.open.delete(c));
    // A connection that broke while joining has already released itself.
    if (!connection.isReleased) this.open.set(connection, request);
    return connection;
  }

  /** Leaves every open room. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.open.keys()].map((c) => c.close()));
    await this.policy.close();
  }

  /** The flow of another connection of this service to the room of `wsUrl`. */
  private roomMate(wsUrl: string): string | undefined {
    const room = roomKey(wsUrl);
    return [...this.open.values()].find((r) => r.wsUrl !== wsUrl && roomKey(r.wsUrl) === room)?.flowId;
  }
}
