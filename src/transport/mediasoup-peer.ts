/**
 * The mediasoup-client side of a mediasoup-demo–style room, written once for the service, the test subject bot and
 * the demo page: load the device, open a send and a receive WebRTC transport over protoo requests, join, produce a
 * track, consume an offered one. Browser-safe (the demo page bundles it): the device and the protoo requests come
 * from the caller, so WebRTC is the browser's or @roamhq/wrtc's.
 */
import type { Device, types } from 'mediasoup-client';
import type { ClientRequests, DeviceInfo, PeerInfo, ServerRequests, WebRtcTransportInfo } from './protoo-messages';

/** One protoo request to the room server. */
export type RoomRequest = <M extends keyof ClientRequests>(
  method: M,
  data: ClientRequests[M]['data'],
) => Promise<ClientRequests[M]['answer']>;

export interface MediasoupPeerOptions {
  device: Device;
  request: RoomRequest;
  /** createWebRtcTransport's answer as transport options (the service keeps only the ICE its policy allows); default as is. */
  transportOptions?: (info: WebRtcTransportInfo) => Promise<types.TransportOptions>;
  /** A WebRTC transport failed for good. */
  onTransportFailed?: (direction: 'send' | 'recv') => void;
}

export class MediasoupPeer {
  private constructor(
    private readonly options: MediasoupPeerOptions,
    private readonly send: types.Transport,
    private readonly recv: types.Transport,
  ) {}

  /** Loads the device with the router's RTP capabilities and opens the send and the receive transport. */
  static async open(options: MediasoupPeerOptions): Promise<MediasoupPeer> {
    const { device, request } = options;
    await device.load({ routerRtpCapabilities: await request('getRouterRtpCapabilities', undefined) });
    const transportOptions = options.transportOptions ?? (async (info: WebRtcTransportInfo) => info);
    // No sctpCapabilities: no data channel is used, so the server opens no SCTP association and offers none.
    const sendInfo = await request('createWebRtcTransport', { forceTcp: false, producing: true, consuming: false });
    const send = device.createSendTransport(await transportOptions(sendInfo));
    let recv: types.Transport;
    try {
      const recvInfo = await request('createWebRtcTransport', { forceTcp: false, producing: false, consuming: true });
      recv = device.createRecvTransport(await transportOptions(recvInfo));
    } catch (error) {
      send.close();
      throw error;
    }
    const peer = new MediasoupPeer(options, send, recv);
    peer.wire(send);
    peer.wire(recv);
    return peer;
  }

  /** The device's RTP capabilities (what this peer can receive). */
  get rtpCapabilities(): types.RtpCapabilities {
    return this.options.device.rtpCapabilities;
  }

  /** Joins the room; answers the peers already in it. */
  async join(displayName: string, device: DeviceInfo): Promise<PeerInfo[]> {
    const { peers } = await this.options.request('join', { displayName, device, rtpCapabilities: this.rtpCapabilities });
    return Array.isArray(peers) ? peers : [];
  }

  /** Publishes a track on the send transport. */
  produce(options: types.ProducerOptions): Promise<types.Producer> {
    return this.send.produce(options);
  }

  /** Receives a track the server offered (newConsumer) on the receive transport. */
  consume(offer: ServerRequests['newConsumer'], appData: types.AppData = {}): Promise<types.Consumer> {
    const { id, producerId, kind, rtpParameters } = offer;
    return this.recv.consume({ id, producerId, kind, rtpParameters, appData });
  }

  /** Closes both transports, and with them their producers and consumers. Idempotent. */
  close(): void {
    this.recv.close();
    this.send.close();
  }

  private wire(transport: types.Transport): void {
    const { request, onTransportFailed } = this.options;
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      request('connectWebRtcTransport', { transportId: transport.id, dtlsParameters }).then(callback, errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      request('produce', { transportId: transport.id, kind, rtpParameters, appData }).then(({ id }) => callback({ id }), errback);
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') onTransportFailed?.(transport.direction);
    });
  }
}
