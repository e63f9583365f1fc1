import type { AppConfig } from '../config/app-config';
import { ProtooRoomConnection, RoomConnectionOptions } from './protoo-room-connection';
import type { JoinRequest, RoomConnection, RoomListener, TransportPort } from './transport.port';

/**
 * The real TransportPort: joins mediasoup rooms through protoo with mediasoup-client on @roamhq/wrtc.
 * Keeps the open connections so close() (at shutdown) leaves every room.
 */
export class ProtooTransport implements TransportPort {
  private readonly open = new Set<ProtooRoomConnection>();

  private constructor(private readonly options: RoomConnectionOptions) {}

  /** A transport with these timings. */
  static create(options: RoomConnectionOptions): ProtooTransport {
    return new ProtooTransport(options);
  }

  /** A transport from the validated configuration (the flow's JOIN_TIMEOUT_S also bounds the join itself). */
  static fromConfig(config: AppConfig): ProtooTransport {
    const t = config.transport;
    return ProtooTransport.create({
      joinTimeoutMs: config.flow.JOIN_TIMEOUT_S * 1000,
      requestTimeoutMs: t.TRANSPORT_REQUEST_TIMEOUT_S * 1000,
      fps: t.INSTRUCTION_VIDEO_FPS,
    });
  }

  /** Rooms joined and not yet closed. */
  get openConnections(): number {
    return this.open.size;
  }

  async join(request: JoinRequest, listener: RoomListener, signal: AbortSignal): Promise<RoomConnection> {
    const connection = await ProtooRoomConnection.join(request, listener, signal, this.options, (c) => this.open.delete(c));
    // A connection that broke while joining has already released itself.
    if (!connection.isReleased) this.open.add(connection);
    return connection;
  }

  /** Leaves every open room. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.open].map((c) => c.close()));
  }
}
