import { nonstandard } from '@roamhq/wrtc';
import { Device, types, version as mediasoupClientVersion } from 'mediasoup-client';
import { Peer, ProtooRequest } from 'protoo-client';
import { withTimeout } from '../common/deadline';
import { messageOf, VisionError } from '../common/errors';
import type { I420Frame } from '../common/image';
import { FlowLog, flowLog } from '../observability/logger';
import { InstructionRenderer, VIDEO_HEIGHT, VIDEO_WIDTH } from '../render/instruction-renderer';
import {
  ClientRequests,
  WebRtcTransportInfo,
  isServerNotification,
  isServerRequest,
  ServerNotification,
  ServerRequest,
  unreachable,
} from './protoo-messages';
import type { InstructionScreen, JoinRequest, RoomConnection, RoomListener, RoomStats } from './transport.port';
import { installWebRtcGlobals } from './webrtc-globals';
import type { RoomServerPolicy } from './room-server-policy';
import { RoomSocket, RoomSocketLimits } from './room-socket';

/**
 * Ceiling of the instruction video's bitrate, bit/s. Left alone, the encoder climbs to what loopback allows and
 * spends CPU on it: bench:transport 13.5 % of a core per flow unbounded, 12.2 % at 500 kbit/s, 11.5 % at 300;
 * at 300 kbit/s (640x480, 10 fps) the mirrored face is clear and the instruction text sharp.
 */
const INSTRUCTION_VIDEO_MAX_BITRATE = 300_000;

/** Timing, policy and bounds of one room connection. */
export interface RoomConnectionOptions {
  /** Connect, join and start producing within this, or the join fails. */
  joinTimeoutMs: number;
  /** Each protoo request must be answered within this. */
  requestTimeoutMs: number;
  /** Frame rate of the outgoing instruction video. */
  fps: number;
  /** Which room servers, ICE candidates and ICE servers may be contacted. */
  policy: RoomServerPolicy;
  /** What a room may make the service receive and track. */
  limits: RoomLimits;
  /** ICE through TURN relays only (USE_MEDIASOUP_ICE_RELAY). */
  forceRelay: boolean;
  /** Another flow of this service in the same room, if any (a full room closes a third peer without a word). */
  roomMate?: (wsUrl: string) => string | undefined;
}

/** The bounds of a room: message size and rate, and how many peers are tracked. */
export interface RoomLimits extends RoomSocketLimits {
  maxPeers: number;
}

/** Told once when a joined connection has released everything. */
export type OnReleased = (connection: ProtooRoomConnection) => void;

/** Waits this long at most for the answer to `leaveRoom` when closing. */
const LEAVE_TIMEOUT_MS = 1000;

type Closable = { close(): void; closed?: boolean };

/** Where a ws_url points, without its query (logs and errors never carry more than that). */
function whereOf(wsUrl: string): string {
  try {
    const url = new URL(wsUrl);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

function transportFailed(message: string, cause?: unknown): VisionError {
  return new VisionError('transport_failed', message, cause === undefined ? undefined : { cause });
}

/**
 * One joined mediasoup room, spoken to through protoo like a mediasoup-demo client: it consumes the subject's
 * video and produces the instruction video. Built by `join`; close() is idempotent and leaves no timer,
 * socket or native handle behind.
 */
export class ProtooRoomConnection implements RoomConnection {
  private readonly log: FlowLog;
  private readonly where: string;
  private readonly socket: RoomSocket;
  private readonly peer: Peer;
  /** Answers received from the room server (a socket closed before the first is a refused peer). */
  private answers = 0;
  private readonly device = new Device({ handlerName: 'Chrome111' });
  private readonly renderer = new InstructionRenderer();
  private readonly counters: RoomStats = { framesReceived: 0, framesDelivered: 0, framesDropped: 0, framesSent: 0 };
  private readonly owned: Closable[] = [];
  private readonly otherPeers = new Set<string>();
  private sendTransport?: types.Transport;
  private recvTransport?: types.Transport;
  private source?: nonstandard.RTCVideoSource;
  private subject?: { peerId: string; consumer: types.Consumer; sink: nonstandard.RTCVideoSink };
  private subjectGone = false;
  private pendingFrame?: I420Frame;
  private delivery?: NodeJS.Immediate;
  private ticker?: NodeJS.Timeout;
  private joined = false;
  private closed = false;
  private closing?: Promise<void>;
  private failedOnce = false;
  /** Rejects when the connection breaks while joining, so the join fails at once instead of at its timeout. */
  private readonly broken: Promise<never>;
  private breakJoin!: (error: VisionError) => void;
  /** Resolves when the socket ended, whoever ended it. */
  private readonly socketGone: Promise<void>;
  private socketEnded!: () => void;

  private constructor(
    private readonly request: JoinRequest,
    private readonly listener: RoomListener,
    private readonly options: RoomConnectionOptions,
    private readonly onReleased: OnReleased,
  ) {
    this.log = flowLog(request.flowId, undefined, { component: 'transport' });
    this.where = whereOf(request.wsUrl);
    this.broken = new Promise<never>((_, reject) => (this.breakJoin = reject));
    this.broken.catch(() => undefined);
    this.socketGone = new Promise<void>((resolve) => (this.socketEnded = resolve));
    this.socket = new RoomSocket(request.wsUrl, options.policy, options.limits);
    this.peer = new Peer(this.socket);
    this.peer.on('failed', () =>
      this.fail(transportFailed(`cannot open the protoo WebSocket to ${this.where}: ${this.socket.end?.reason || 'refused'}`)),
    );
    this.peer.on('close', () => this.onSocketClosed());
    this.peer.on('request', (req, accept, reject) => this.onServerRequest(req, accept, reject));
    this.peer.on('notification', (n) => {
      const message = { method: n.method, data: n.data };
      if (isServerNotification(message)) this.onNotification(message);
    });
  }

  /** Joins the room of `request.wsUrl`; rejects with VisionError('transport_failed') within the join timeout. */
  static async join(
    request: JoinRequest,
    listener: RoomListener,
    signal: AbortSignal,
    options: RoomConnectionOptions,
    onReleased: OnReleased = () => undefined,
  ): Promise<ProtooRoomConnection> {
    installWebRtcGlobals();
    const connection = new ProtooRoomConnection(request, listener, options, onReleased);
    try {
      await connection.withinJoinDeadline(signal, () => connection.setUp());
      return connection;
    } catch (error) {
      await connection.close();
      throw error instanceof VisionError ? error : transportFailed(`joining ${connection.where} failed: ${messageOf(error)}`, error);
    }
  }

  /** What the subject sees from now on. */
  show(screen: InstructionScreen): void {
    this.renderer.setScreen(screen);
  }

  /** Whether close() has started (by the owner or after a failure). */
  get isReleased(): boolean {
    return this.closed;
  }

  /** Frame counters of this connection (for metrics and benchmarks). */
  stats(): RoomStats {
    return { ...this.counters };
  }

  /** Leaves the room (leaveRoom when the server supports it) and releases everything. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }

  private withinJoinDeadline(signal: AbortSignal, steps: () => Promise<void>): Promise<void> {
    const { joinTimeoutMs } = this.options;
    const late = () => transportFailed(`joining the room at ${this.where} timed out after ${joinTimeoutMs / 1000} s`);
    return withTimeout(Promise.race([steps(), this.broken]), joinTimeoutMs, late, {
      signal,
      onAbort: () => transportFailed('joining the room was cancelled'),
    });
  }

  /** The mediasoup-demo join sequence. */
  private async setUp(): Promise<void> {
    await this.opened();
    const routerRtpCapabilities = await this.send('getRouterRtpCapabilities', undefined);
    await this.device.load({ routerRtpCapabilities });
    // No sctpCapabilities: no data channel is consumed, so the server opens no SCTP association and offers none.
    const sendInfo = await this.send('createWebRtcTransport', { forceTcp: false, producing: true, consuming: false });
    this.sendTransport = this.own(this.device.createSendTransport(await this.transportOptions(sendInfo)));
    this.wireTransport(this.sendTransport);
    const recvInfo = await this.send('createWebRtcTransport', { forceTcp: false, producing: false, consuming: true });
    this.recvTransport = this.own(this.device.createRecvTransport(await this.transportOptions(recvInfo)));
    this.wireTransport(this.recvTransport);
    const { peers } = await this.send('join', {
      displayName: this.request.displayName,
      device: { flag: 'vision-service', name: 'Vision Service', version: mediasoupClientVersion },
      rtpCapabilities: this.device.rtpCapabilities,
    });
    for (const peer of Array.isArray(peers) ? peers : []) this.trackPeer(peer?.id);
    this.source = new nonstandard.RTCVideoSource();
    const track = this.own(this.source.createTrack() as unknown as MediaStreamTrack & Closable, (t) => t.stop());
    // VP8 costs the least CPU to encode and every browser decodes it.
    const codec = this.device.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/vp8');
    this.own(
      await this.sendTransport.produce({
        track,
        codec,
        encodings: [{ maxBitrate: INSTRUCTION_VIDEO_MAX_BITRATE }],
        appData: { source: 'vision-instructions' },
      }),
    );
    this.sendFrame();
    this.ticker = setInterval(() => this.sendFrame(), Math.round(1000 / this.options.fps));
    this.joined = true;
    this.log.log(`joined the room at ${this.where} (${this.otherPeers.size} other peers)`);
  }

  /**
   * A createWebRtcTransport answer as mediasoup-client options, with only the candidates and ICE servers the
   * room policy allows (malformed ICE servers dropped with a warning); direct ICE stays when no server is left.
   */
  private async transportOptions(info: WebRtcTransportInfo): Promise<types.TransportOptions> {
    const checked = await this.options.policy.check(info.iceCandidates ?? [], info.iceServers, this.socket.serverAddress);
    for (const line of checked.dropped) this.log.warn(line);
    if (checked.iceCandidates.length === 0) throw transportFailed(`no ICE candidate of the room server at ${this.where} is allowed`);
    if (this.options.forceRelay && checked.iceServers.length === 0) {
      this.log.warn('USE_MEDIASOUP_ICE_RELAY is set but the room server handed no usable TURN server: ICE will fail');
    }
    return {
      id: info.id,
      iceParameters: info.iceParameters,
      iceCandidates: checked.iceCandidates,
      dtlsParameters: info.dtlsParameters,
      iceServers: checked.iceServers,
      iceTransportPolicy: this.options.forceRelay ? 'relay' : 'all',
    };
  }

  /** Tracks another peer of the room, within ROOM_MAX_PEERS. */
  private trackPeer(id: unknown): void {
    if (typeof id !== 'string' || this.otherPeers.has(id)) return;
    if (this.otherPeers.size >= this.options.limits.maxPeers) {
      this.fail(transportFailed(`the room at ${this.where} announced more peers than ROOM_MAX_PEERS (${this.options.limits.maxPeers})`));
      return;
    }
    this.otherPeers.add(id);
  }

  /** The socket ended: left (when leaving), a broken bound, a full room, or a failure. */
  private onSocketClosed(): void {
    this.socketEnded();
    const end = this.socket.end;
    if (end?.bound) return this.fail(transportFailed(`the room at ${this.where} broke a bound: ${end.bound}`));
    if (!this.joined && end?.opened && this.answers === 0) {
      const mate = this.options.roomMate?.(this.request.wsUrl);
      const why = mate
        ? `room full: the room server at ${this.where} closed the connection right after it opened, while another vision peer (flow ${mate}) is in the room`
        : `the room server at ${this.where} closed the connection right after it opened (a full room does that)`;
      return this.fail(transportFailed(why));
    }
    const code = end ? ` (code ${end.code}${end.reason ? `: ${end.reason}` : ''})` : '';
    this.fail(transportFailed(`the room server at ${this.where} closed the signalling connection${code}`));
  }

  private opened(): Promise<void> {
    if (this.peer.connected) return Promise.resolve();
    return new Promise((resolve) => this.peer.on('open', resolve));
  }

  /** Keeps a resource to release on close; releases it at once when the connection closed meanwhile. */
  private own<T extends object>(resource: T, release: (r: T) => void = (r) => (r as Closable).close()): T {
    const closable: Closable = { close: () => release(resource) };
    if (this.closed) {
      closable.close();
      throw transportFailed('the connection closed while joining');
    }
    this.owned.push(closable);
    return resource;
  }

  private wireTransport(transport: types.Transport): void {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.send('connectWebRtcTransport', { transportId: transport.id, dtlsParameters }).then(callback, errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.send('produce', { transportId: transport.id, kind, rtpParameters, appData }).then(({ id }) => callback({ id }), errback);
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') this.fail(transportFailed(`the ${transport.direction} WebRTC transport to ${this.where} failed`));
    });
  }

  /** A protoo request with its own timeout; `ok: false` answers and timeouts become VisionErrors. */
  private async send<M extends keyof ClientRequests>(
    method: M,
    data: ClientRequests[M]['data'],
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<ClientRequests[M]['answer']> {
    try {
      const late = () => transportFailed(`the room server did not answer ${method} within ${timeoutMs / 1000} s`);
      const answer = (await withTimeout(this.peer.request(method, data), timeoutMs, late)) as ClientRequests[M]['answer'];
      this.answers++;
      return answer;
    } catch (error) {
      if (error instanceof VisionError) throw error;
      throw transportFailed(`the room server refused ${method}: ${messageOf(error)}`, error);
    }
  }

  private onServerRequest(req: ProtooRequest, accept: (data?: unknown) => void, reject: (code: number, reason?: string) => void): void {
    const message = { method: req.method, data: req.data };
    if (!isServerRequest(message)) {
      reject(405, `unsupported request ${req.method}`);
      return;
    }
    this.answer(message, accept).catch((error) => {
      this.log.warn(`refused ${req.method}: ${messageOf(error)}`);
      reject(403, messageOf(error));
    });
  }

  private async answer(request: ServerRequest, accept: (data?: unknown) => void): Promise<void> {
    switch (request.method) {
      case 'newConsumer': {
        const d = request.data;
        // Only the subject's camera is decoded: the first video of another peer.
        if (d.kind !== 'video') throw new Error('audio is not consumed');
        if (this.subject || this.subjectGone) throw new Error('only the subject video is consumed');
        if (!this.recvTransport || this.closed) throw new Error('not ready to consume');
        const consumer = this.own(
          await this.recvTransport.consume({
            id: d.id,
            producerId: d.producerId,
            kind: d.kind,
            rtpParameters: d.rtpParameters,
            appData: { peerId: d.peerId },
          }),
        );
        const sink = this.own(new nonstandard.RTCVideoSink(consumer.track as never), (s) => s.stop());
        sink.onframe = ((event: { frame: { width: number; height: number; data: Uint8Array } }) => this.onFrame(event.frame)) as never;
        this.subject = { peerId: d.peerId, consumer, sink };
        this.otherPeers.add(d.peerId);
        accept();
        this.log.log(`consuming the subject video of peer ${String(d.peerId).slice(0, 100)}`);
        return;
      }
      case 'newDataConsumer':
        throw new Error('data channels are not consumed');
      default:
        unreachable(request);
    }
  }

  private onNotification(notification: ServerNotification): void {
    switch (notification.method) {
      case 'newPeer':
        this.trackPeer(notification.data?.id);
        return;
      // 2060 sends peerLeft before peerClosed: either means the peer is gone.
      case 'peerLeft':
      case 'peerClosed': {
        this.otherPeers.delete(notification.data.peerId);
        // Before any video, the subject is whoever else is in the room.
        const gone = this.subject ? this.subject.peerId === notification.data.peerId : this.joined && this.otherPeers.size === 0;
        if (gone) this.subjectLeft(`peer ${String(notification.data.peerId).slice(0, 100)} left`);
        return;
      }
      case 'consumerClosed':
        if (this.subject?.consumer.id === notification.data.consumerId) this.subjectLeft('the subject video consumer closed');
        return;
      case 'consumerPaused':
      case 'consumerResumed':
        this.log.debug(`${notification.method} ${notification.data.consumerId}`);
        return;
      default:
        unreachable(notification);
    }
  }

  private subjectLeft(why: string): void {
    if (this.subjectGone || this.closed) return;
    this.subjectGone = true;
    if (this.subject) {
      this.subject.sink.stop();
      this.subject.consumer.close();
    }
    this.log.log(`the subject left: ${why}`);
    this.listener.onSubjectLeft();
  }

  /** Latest frame wins: at most one frame waits for delivery; a newer one replaces it and counts as dropped. */
  private onFrame(raw: { width: number; height: number; data: Uint8Array }): void {
    if (this.closed || this.subjectGone) return;
    this.counters.framesReceived++;
    const frame: I420Frame = {
      width: raw.width,
      height: raw.height,
      data: new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength),
      timestampMs: performance.now(),
    };
    this.renderer.setSubjectFrame(frame);
    if (this.pendingFrame) this.counters.framesDropped++;
    this.pendingFrame = frame;
    this.delivery ??= setImmediate(() => this.deliver());
  }

  private deliver(): void {
    this.delivery = undefined;
    const frame = this.pendingFrame;
    this.pendingFrame = undefined;
    if (!frame || this.closed) return;
    if (this.counters.framesDelivered++ === 0) this.listener.onSubjectVideoStarted();
    this.listener.onSubjectFrame(frame);
  }

  private sendFrame(): void {
    if (!this.source || this.closed) return;
    this.source.onFrame({ width: VIDEO_WIDTH, height: VIDEO_HEIGHT, data: this.renderer.render() });
    this.counters.framesSent++;
  }

  /** A failure for good: rejects the join while joining, otherwise tells the listener once; then releases. */
  private fail(error: VisionError): void {
    if (this.closed) return;
    if (!this.joined) {
      this.breakJoin(error);
      return;
    }
    if (this.failedOnce) return;
    this.failedOnce = true;
    this.log.warn(error.message);
    this.listener.onFailed(error);
    void this.close();
  }

  private async release(): Promise<void> {
    const wasJoined = this.joined && this.peer.connected && !this.failedOnce;
    this.closed = true;
    clearInterval(this.ticker);
    if (this.delivery) clearImmediate(this.delivery);
    this.pendingFrame = undefined;
    if (wasJoined) {
      // Stock mediasoup-demo rejects leaveRoom, which is fine: closing the socket leaves too. The 2060 server
      // closes the socket (code 4000) before it answers: that close is the answer.
      const leave = this.send('leaveRoom', undefined, Math.min(LEAVE_TIMEOUT_MS, this.options.requestTimeoutMs));
      await Promise.race([leave, this.socketGone]).catch((error) => this.log.debug(`leaveRoom: ${messageOf(error)}`));
      leave.catch(() => undefined);
    }
    // Children before parents: sink, consumer, producer, track, then the transports, then the socket.
    for (const resource of this.owned.reverse()) {
      try {
        resource.close();
      } catch (error) {
        this.log.debug(`closing: ${messageOf(error)}`);
      }
    }
    this.owned.length = 0;
    this.peer.close();
    this.onReleased(this);
    if (wasJoined) this.log.log(`left the room at ${this.where}`);
  }
}
