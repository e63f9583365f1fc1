/**
 * A mediasoup-demo–style room server for tests: protoo-server over WebSocket on 127.0.0.1 and one mediasoup
 * Router per room, speaking the contract of src/transport/protoo-messages.ts as the 2060 WebRTC server does.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { types as ms } from 'mediasoup';
import * as protoo from 'protoo-server';
import { ClientRequest, ClientRequests, isClientRequest, PeerInfo, ServerRequests, unreachable } from '../../src/transport/protoo-messages';
import { loadMediasoup } from './sfu-worker';

const MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  { kind: 'video', mimeType: 'video/VP9', clockRate: 90000, parameters: { 'profile-id': 2 } },
  {
    kind: 'video',
    mimeType: 'video/h264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
];

/** Options of the test room server. */
export interface RoomServerOptions {
  /** Accept the 2060 `leaveRoom` request (stock mediasoup-demo rejects it). Default true. */
  supportsLeaveRoom?: boolean;
  /** 2060: answer leaveRoom by closing the peer's socket (code 4000) before accepting. */
  leaveRoomClosesSocket?: boolean;
  /** A stuck server: takes leaveRoom and never answers it (the peer stays until its socket closes). */
  leaveRoomUnanswered?: boolean;
  /** What the others are told when a peer leaves: `peerClosed` by default; 2060 sends `peerLeft` first. */
  leaveNotifications?: ('peerLeft' | 'peerClosed')[];
  /** 2060 (maxPeerCount, 2 by default there): one more peer is accepted, then its socket is closed without a word. */
  maxPeersPerRoom?: number;
  /** Handed out in every createWebRtcTransport answer to peers whose id starts with `vision` (the service). */
  iceServers?: unknown[];
  /** ICE candidates announced besides the real ones to `vision…` peers (a malicious server's targets). */
  extraCandidates?: ms.IceCandidate[];
}

/** The 2060 webrtc-server with its TURN variables unset. */
export const WEBRTC_SERVER_2060: RoomServerOptions = {
  leaveRoomClosesSocket: true,
  leaveNotifications: ['peerLeft', 'peerClosed'],
  maxPeersPerRoom: 2,
  iceServers: [{ urls: 'turn:undefined:undefined?transport=undefined', credentialType: 'password' }],
};

interface PeerState {
  peer: protoo.Peer;
  info?: PeerInfo;
  rtpCapabilities?: ms.RtpCapabilities;
  transports: Map<string, ms.WebRtcTransport | ms.DirectTransport>;
  producers: Map<string, ms.Producer>;
  consumers: Map<string, ms.Consumer>;
}

const isWebRtc = (t: ms.WebRtcTransport | ms.DirectTransport): t is ms.WebRtcTransport => 'iceState' in t;

/** One room: a Router and its peers. */
class Room {
  readonly peers = new Map<string, PeerState>();
  private readonly protooRoom = new protoo.Room();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly router: ms.Router,
    private readonly server: RoomServer,
    private readonly onEmpty: () => void,
  ) {}

  addPeer(peerId: string, transport: protoo.ProtooTransport): void {
    if (this.peers.size >= (this.server.options.maxPeersPerRoom ?? Infinity)) {
      this.server.refusedAsFull++;
      transport.close();
      return;
    }
    this.peers.get(peerId)?.peer.close();
    const peer = this.protooRoom.createPeer(peerId, transport);
    const state: PeerState = { peer, transports: new Map(), producers: new Map(), consumers: new Map() };
    this.peers.set(peerId, state);
    peer.on('request', (request, accept, reject) => {
      const message = { method: request.method, data: request.data };
      if (!isClientRequest(message)) return reject(405, `unknown method ${request.method}`);
      this.handle(state, message)
        .then((answer) => accept(answer))
        .catch((error: Error) => reject(500, error.message));
    });
    peer.on('close', () => this.removePeer(state));
  }

  /** Drops every peer without notifications, as a server going down does. */
  close(): void {
    this.closed = true;
    this.protooRoom.close();
    this.router.close();
  }

  private joined(): PeerState[] {
    return [...this.peers.values()].filter((p) => p.info);
  }

  private async handle(state: PeerState, request: ClientRequest): Promise<ClientRequests[keyof ClientRequests]['answer']> {
    switch (request.method) {
      case 'getRouterRtpCapabilities':
        return this.router.rtpCapabilities as never;
      case 'createWebRtcTransport': {
        const { producing, consuming, sctpCapabilities } = request.data;
        if (sctpCapabilities) this.server.sctpRequests++;
        const transport = await this.router.createWebRtcTransport({
          listenIps: [{ ip: '127.0.0.1' }],
          enableUdp: true,
          enableTcp: true,
          preferUdp: true,
          enableSctp: Boolean(sctpCapabilities),
          numSctpStreams: sctpCapabilities?.numStreams,
          appData: { producing, consuming },
        });
        state.transports.set(transport.id, transport);
        const service = state.peer.id.startsWith('vision');
        return {
          id: transport.id,
          iceParameters: transport.iceParameters,
          iceCandidates: [...transport.iceCandidates, ...((service && this.server.options.extraCandidates) || [])],
          dtlsParameters: transport.dtlsParameters,
          sctpParameters: transport.sctpParameters,
          iceServers: (service && this.server.options.iceServers) || [],
        } as never;
      }
      case 'connectWebRtcTransport': {
        const transport = this.transportOf(state, request.data.transportId);
        if (!isWebRtc(transport)) throw new Error(`transport ${transport.id} is not a WebRTC transport`);
        await transport.connect({ dtlsParameters: request.data.dtlsParameters as ms.DtlsParameters });
        return undefined;
      }
      case 'join': {
        if (state.info) throw new Error('peer already joined');
        if (request.data.sctpCapabilities) this.server.sctpRequests++;
        const others = this.joined();
        state.info = { id: state.peer.id, displayName: request.data.displayName, device: request.data.device };
        state.rtpCapabilities = request.data.rtpCapabilities as ms.RtpCapabilities;
        // Answer first, then offer the existing producers, as mediasoup-demo does.
        setImmediate(() => {
          for (const other of others) {
            for (const producer of other.producers.values()) void this.consume(state, other, producer);
            void other.peer.notify('newPeer', state.info).catch(() => undefined);
          }
        });
        return { peers: others.map((o) => o.info as PeerInfo) };
      }
      case 'produce': {
        if (!state.info) throw new Error('peer not yet joined');
        const { transportId, kind, rtpParameters, appData } = request.data;
        const producer = await this.transportOf(state, transportId).produce({
          kind,
          rtpParameters: rtpParameters as ms.RtpParameters,
          appData: { ...appData, peerId: state.peer.id },
        });
        state.producers.set(producer.id, producer);
        for (const other of this.joined()) if (other !== state) void this.consume(other, state, producer);
        return { id: producer.id };
      }
      case 'closeProducer': {
        const producer = state.producers.get(request.data.producerId);
        if (!producer) throw new Error(`producer ${request.data.producerId} not found`);
        producer.close();
        state.producers.delete(producer.id);
        return undefined;
      }
      case 'leaveRoom':
        if (!this.server.supportsLeaveRoom) throw new Error('unknown method leaveRoom');
        this.server.leaveRoomCalls++;
        if (this.server.options.leaveRoomUnanswered) return new Promise<never>(() => undefined);
        if (this.server.options.leaveRoomClosesSocket) {
          state.peer.close();
          return undefined;
        }
        setImmediate(() => state.peer.close());
        return undefined;
      default:
        return unreachable(request);
    }
  }

  /** A DirectTransport for the peer, used in join/produce like the ones createWebRtcTransport makes. */
  async directTransport(state: PeerState): Promise<ms.DirectTransport> {
    const transport = await this.router.createDirectTransport({ maxMessageSize: 262144, appData: { producing: true, consuming: true } });
    state.transports.set(transport.id, transport);
    return transport;
  }

  private transportOf(state: PeerState, id: string): ms.WebRtcTransport | ms.DirectTransport {
    const transport = state.transports.get(id);
    if (!transport) throw new Error(`transport ${id} not found`);
    return transport;
  }

  /** Creates a paused consumer, offers it with newConsumer and resumes it once accepted. */
  private async consume(consumer: PeerState, producerPeer: PeerState, producer: ms.Producer): Promise<void> {
    const rtpCapabilities = consumer.rtpCapabilities;
    if (!rtpCapabilities || !this.router.canConsume({ producerId: producer.id, rtpCapabilities })) return;
    const transport = [...consumer.transports.values()].find((t) => t.appData.consuming);
    if (!transport) return;
    try {
      const created = await transport.consume({ producerId: producer.id, rtpCapabilities, paused: true });
      consumer.consumers.set(created.id, created);
      const closed = () => {
        consumer.consumers.delete(created.id);
        void consumer.peer.notify('consumerClosed', { consumerId: created.id }).catch(() => undefined);
      };
      created.on('transportclose', () => consumer.consumers.delete(created.id));
      created.on('producerclose', closed);
      const offer: ServerRequests['newConsumer'] = {
        peerId: producerPeer.peer.id,
        producerId: producer.id,
        id: created.id,
        kind: created.kind,
        rtpParameters: created.rtpParameters as never,
        type: created.type,
        appData: producer.appData,
        producerPaused: created.producerPaused,
      };
      await consumer.peer.request('newConsumer', offer);
      await created.resume();
    } catch {
      // The peer refused the consumer or left meanwhile: nothing to resume.
    }
  }

  private removePeer(state: PeerState): void {
    if (this.closed || this.peers.get(state.peer.id) !== state) return;
    this.peers.delete(state.peer.id);
    for (const transport of state.transports.values()) transport.close();
    if (state.info) {
      for (const other of this.joined()) {
        for (const method of this.server.options.leaveNotifications ?? ['peerClosed']) {
          void other.peer.notify(method, { peerId: state.peer.id }).catch(() => undefined);
        }
      }
    }
    if (this.peers.size === 0) this.onEmpty();
  }
}

/** The test room server. create() listens on 127.0.0.1 at a random port; close() stops everything. */
export class RoomServer {
  /** How many leaveRoom requests were accepted. */
  leaveRoomCalls = 0;
  /** createWebRtcTransport and join requests that offered SCTP (data channels). */
  sctpRequests = 0;
  /** Peers accepted and closed at once because their room was full. */
  refusedAsFull = 0;
  private readonly rooms = new Map<string, Room>();
  private readonly pendingRooms = new Map<string, Promise<Room>>();
  private closed = false;

  private constructor(
    private readonly http: Server,
    private readonly ws: protoo.WebSocketServer,
    private readonly worker: ms.Worker,
    readonly options: RoomServerOptions,
  ) {}

  get supportsLeaveRoom(): boolean {
    return this.options.supportsLeaveRoom ?? true;
  }

  static async create(options: RoomServerOptions = {}): Promise<RoomServer> {
    const worker = await loadMediasoup().createWorker({ logLevel: 'error', rtcMinPort: 40000, rtcMaxPort: 49999 });
    const http = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const ws = new protoo.WebSocketServer(http, { maxReceivedFrameSize: 960000, maxReceivedMessageSize: 960000 });
    const server = new RoomServer(http, ws, worker, options);
    ws.on('connectionrequest', (info, accept, reject) => server.onConnection(info.request.url ?? '', accept, reject));
    return server;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** The ws_url a peer uses to join `roomId` as `peerId`. */
  url(roomId: string, peerId: string): string {
    return `ws://127.0.0.1:${this.port}/?roomId=${encodeURIComponent(roomId)}&peerId=${encodeURIComponent(peerId)}`;
  }

  /** ICE states of a peer's transports on the server side ('new' until the peer's ICE checks arrive). */
  iceStates(roomId: string, peerId: string): string[] {
    return [...(this.rooms.get(roomId)?.peers.get(peerId)?.transports.values() ?? [])].filter(isWebRtc).map((t) => t.iceState);
  }

  /**
   * A mediasoup DirectTransport for a peer connected to a room, in place of createWebRtcTransport: the peer joins and
   * produces on it by id over protoo as usual, while its producer takes RTP packets from Node (producer.send), its
   * consumers hand RTP to Node (consumer 'rtp') and the SFU's RTCP for it comes out as the transport's 'rtcp'.
   * A load generator's camera that needs no WebRTC stack (test/support/encoded-subject.ts).
   */
  async directTransport(roomId: string, peerId: string): Promise<ms.DirectTransport> {
    const room = this.rooms.get(roomId);
    const state = room?.peers.get(peerId);
    if (!room || !state) throw new Error(`no peer ${peerId} connected to room ${roomId}`);
    return room.directTransport(state);
  }

  /** Ids of the peers in a room now (joined or not). */
  peerIds(roomId: string): string[] {
    return [...(this.rooms.get(roomId)?.peers.keys() ?? [])];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ws.stop();
    for (const room of this.rooms.values()) room.close();
    this.rooms.clear();
    this.worker.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private onConnection(url: string, accept: () => protoo.ProtooTransport, reject: (code?: number, reason?: string) => void): void {
    const query = new URL(url, 'ws://127.0.0.1').searchParams;
    const roomId = query.get('roomId');
    const peerId = query.get('peerId');
    if (!roomId || !peerId) return reject(400, 'connection request without roomId and/or peerId');
    if (this.closed) return reject(503, 'shutting down');
    this.roomOf(roomId).then(
      (room) => room.addPeer(peerId, accept()),
      (error: Error) => reject(500, error.message),
    );
  }

  private roomOf(roomId: string): Promise<Room> {
    const existing = this.rooms.get(roomId);
    if (existing) return Promise.resolve(existing);
    let pending = this.pendingRooms.get(roomId);
    if (!pending) {
      pending = this.worker.createRouter({ mediaCodecs: MEDIA_CODECS }).then((router) => {
        const room = new Room(roomId, router, this, () => {
          room.close();
          this.rooms.delete(roomId);
        });
        this.rooms.set(roomId, room);
        this.pendingRooms.delete(roomId);
        return room;
      });
      this.pendingRooms.set(roomId, pending);
    }
    return pending;
  }
}
