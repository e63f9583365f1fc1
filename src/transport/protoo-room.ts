import { Device, version as mediasoupClientVersion, types } from 'mediasoup-client';
import { Peer, ProtooRequest } from 'protoo-client';
import { withTimeout } from '../common/deadline';
import { messageOf, VisionError } from '../common/errors';
import type { I420Frame } from '../common/image';
import type { FlowLog } from '../observability/logger';
import type { InstructionRenderer } from '../render/instruction-renderer';
import type { InstructionScreen } from '../render/instruction-screen';
import { InstructionVideo } from './instruction-video';
import { MediasoupPeer } from './mediasoup-peer';
import {
  ClientRequests,
  WebRtcTransportInfo,
  isServerNotification,
  isServerRequest,
  ServerNotification,
  ServerRequest,
  unreachable,
} from './protoo-messages';
import type { RoomServerPolicy } from './room-server-policy';
import { RoomSocket, RoomSocketLimits } from './room-socket';
import { SubjectVideo } from './subject-video';
import type { JoinRequest, RoomConnection, RoomListener } from './transport.port';
import { installWebRtcGlobals } from './webrtc-globals';

/** Timing, policy and bounds of one room. */
export interface RoomOptions {
  /** Each protoo request (and the WebSocket's opening handshake) must be answered within this. */
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

/** Told once when a joined room has released everything. */
export type OnReleased = (room: ProtooRoom) => void;

type Closable = { close(): void };

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
 * One joined mediasoup room, spoken to through protoo like a mediasoup-demo client: the signalling, the subject's
 * video in (a SubjectVideo into the listener) and the instruction video out (an InstructionVideo of the renderer
 * it is given). Built by `join`; close() is idempotent and leaves no timer, socket or native handle behind.
 */
export class ProtooRoom implements RoomConnection {
  private readonly log: FlowLog;
  private readonly where: string;
  private readonly socket: RoomSocket;
  private readonly peer: Peer;
  /** Answers received from the room server (a socket closed before the first is a refused peer). */
  private answers = 0;
  private readonly owned: Closable[] = [];
  private readonly otherPeers = new Set<string>();
  private media?: MediasoupPeer;
  private subject?: SubjectVideo;
  private subjectGone = false;
  private videoStarted = false;
  private joined = false;
  private closed = false;
  private closing?: Promise<void>;
  private failedOnce = false;
  /** Rejects when the room breaks while joining, so the join fails at once. */
  private readonly broken: Promise<never>;
  private breakJoin!: (error: VisionError) => void;
  /** Resolves when the socket ended, whoever ended it. */
  private readonly socketGone: Promise<void>;
  private socketEnded!: () => void;
  /** Resolves when the owner stops waiting for the leave to be acknowledged. */
  private readonly leaveCut: Promise<void>;
  private cutLeave!: () => void;

  private constructor(
    private readonly request: JoinRequest,
    private readonly listener: RoomListener,
    private readonly renderer: InstructionRenderer,
    private readonly options: RoomOptions,
    private readonly onReleased: OnReleased,
  ) {
    this.log = request.log;
    this.where = whereOf(request.wsUrl);
    this.broken = new Promise<never>((_, reject) => (this.breakJoin = reject));
    this.broken.catch(() => undefined);
    this.socketGone = new Promise<void>((resolve) => (this.socketEnded = resolve));
    this.leaveCut = new Promise<void>((resolve) => (this.cutLeave = resolve));
    this.socket = new RoomSocket(request.wsUrl, options.policy, options.limits, options.requestTimeoutMs);
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

  /**
   * Joins the room of `request.wsUrl`, showing what `renderer` draws; rejects with VisionError('transport_failed')
   * when the room fails or `signal` aborts (the flow's join timeout: the room has no deadline of its own).
   */
  static async join(
    request: JoinRequest,
    listener: RoomListener,
    signal: AbortSignal,
    renderer: InstructionRenderer,
    options: RoomOptions,
    onReleased: OnReleased = () => undefined,
  ): Promise<ProtooRoom> {
    installWebRtcGlobals();
    const room = new ProtooRoom(request, listener, renderer, options, onReleased);
    try {
      await room.unlessAborted(signal, () => room.setUp());
      return room;
    } catch (error) {
      await room.close();
      throw error instanceof VisionError ? error : transportFailed(`joining ${room.where} failed: ${messageOf(error)}`, error);
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

  close(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) this.cutLeave();
    else signal?.addEventListener('abort', () => this.cutLeave(), { once: true });
    this.closing ??= this.release();
    return this.closing;
  }

  private async unlessAborted(signal: AbortSignal, steps: () => Promise<void>): Promise<void> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(transportFailed('joining the room was cancelled'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([steps(), aborted, this.broken]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /** The mediasoup-demo join sequence. */
  private async setUp(): Promise<void> {
    await this.opened();
    const media = this.own(
      await MediasoupPeer.open({
        device: new Device({ handlerName: 'Chrome111' }),
        request: (method, data) => this.send(method, data),
        transportOptions: (info) => this.transportOptions(info),
        onTransportFailed: (direction) => this.fail(transportFailed(`the ${direction} WebRTC transport to ${this.where} failed`)),
      }),
    );
    this.media = media;
    const peers = await media.join(this.request.displayName, {
      flag: 'vision-service',
      name: 'Vision Service',
      version: mediasoupClientVersion,
    });
    for (const peer of peers) this.trackPeer(peer?.id);
    const video = this.own(new InstructionVideo(this.renderer, this.options.fps), (v) => v.stop());
    this.own(await media.produce(video.producerOptions(media)));
    video.start();
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

  /** Keeps a resource to release on close; releases it at once when the room closed meanwhile. */
  private own<T extends object>(resource: T, release: (r: T) => void = (r) => (r as unknown as Closable).close()): T {
    const closable: Closable = { close: () => release(resource) };
    if (this.closed) {
      closable.close();
      throw transportFailed('the connection closed while joining');
    }
    this.owned.push(closable);
    return resource;
  }

  /** A protoo request with its own timeout; `ok: false` answers and timeouts become VisionErrors. */
  private async send<M extends keyof ClientRequests>(method: M, data: ClientRequests[M]['data']): Promise<ClientRequests[M]['answer']> {
    const timeoutMs = this.options.requestTimeoutMs;
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
        if (!this.media || this.closed) throw new Error('not ready to consume');
        const consumer = this.own(await this.media.consume(d, { peerId: d.peerId }));
        this.subject = this.own(new SubjectVideo(d.peerId, consumer, (frame) => this.onSubjectFrame(frame)), (video) => video.stop());
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
    this.subject?.stop();
    this.log.log(`the subject left: ${why}`);
    this.listener.onSubjectLeft();
  }

  /** Each subject frame: the mirrored background of the instruction video, then the flow. */
  private onSubjectFrame(frame: I420Frame): void {
    if (this.closed || this.subjectGone) return;
    // First: the renderer copies it, and the flow may hand the buffer on (detach it) to a face worker.
    this.renderer.setSubjectFrame(frame);
    if (!this.videoStarted) {
      this.videoStarted = true;
      this.listener.onSubjectVideoStarted();
    }
    this.listener.onSubjectFrame(frame);
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
    if (wasJoined) {
      // Stock mediasoup-demo rejects leaveRoom, which is fine: closing the socket leaves too. The 2060 server
      // closes the socket (code 4000) before it answers: that close is the answer.
      const leave = this.send('leaveRoom', undefined);
      await Promise.race([leave, this.socketGone, this.leaveCut]).catch((error) => this.log.debug(`leaveRoom: ${messageOf(error)}`));
      leave.catch(() => undefined);
    }
    // Children before parents: subject video, producer, instruction video, then the transports, then the socket.
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
