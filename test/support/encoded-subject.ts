/**
 * A subject that costs (almost) nothing to run, for load tests: real subjects encode on their own devices, so the
 * bench should not spend the service's cores on 8 VP8 encoders. Each performer's clip stretches are encoded to VP8
 * once per process (vp8-rtp.ts); the subject joins the room as a protoo peer with a browser's signalling
 * (getRouterRtpCapabilities, join, produce), but its transport is a mediasoup DirectTransport of the room server
 * (same process), so its camera is RTP packetized in JS and handed to the SFU at the clip's fps. The service still
 * receives real VP8 RTP through the real SFU and decodes it with wrtc. The service's video comes back on the same
 * transport as RTP and is counted, not decoded. It responds like ResponsiveBot (the same Choreography).
 *
 * Key frame requests (PLI/FIR from the SFU, e.g. when the service's consumer starts or loses packets): answered
 * by rewinding the current stretch to its last key frame, which is sent next; key frames every ≤ 1 s bound the
 * wait anyway.
 */
import { randomInt } from 'node:crypto';
import { Peer, WebSocketTransport } from 'protoo-client';
import type { types as ms } from 'mediasoup';
import type { ServerRequests } from '../../src/transport/protoo-messages';
import { Behaviour, CameraPeer, Performer, rawRepertoire, Repertoire, ResponsiveBot } from './responsive-bot';
import type { RoomServer } from './room-server';
import { asksKeyFrame, encodeVp8, endsFrame, Vp8Frame, Vp8Packetizer } from './vp8-rtp';

const encoded = new Map<string, Promise<Repertoire<Vp8Frame>>>();

/** A performer's stretches as VP8, encoded once per process (from the same frames ResponsiveBot plays). */
export function encodedRepertoire(performer: Performer, fps: number): Promise<Repertoire<Vp8Frame>> {
  const key = `${JSON.stringify(performer)}@${fps}`;
  let repertoire = encoded.get(key);
  if (!repertoire) {
    repertoire = (async () => {
      const raw = await rawRepertoire(performer, fps);
      const challenges = new Map<string, Vp8Frame[]>();
      for (const [id, frames] of raw.challenges) challenges.set(id, await encodeVp8(frames, fps));
      return { idle: await encodeVp8(raw.idle, fps), challenges };
    })();
    encoded.set(key, repertoire);
  }
  return repertoire;
}

export interface EncodedPeerOptions {
  server: RoomServer;
  roomId: string;
  peerId: string;
  fps: number;
  /** The frame to send now. */
  next: () => Vp8Frame;
  /** The SFU asked for a key frame: the next next() should return one. */
  onKeyFrameRequest: () => void;
}

/** The room peer of an encoded subject: protoo signalling, a DirectTransport, paced RTP out, RTP in counted. */
export class EncodedPeer implements CameraPeer {
  /** Frames sent to the SFU. */
  framesSent = 0;
  /** Frames of the service's video that reached this peer (RTP marker bits). */
  readonly received = { count: 0 };
  /** PLI/FIR packets from the SFU for this peer's camera. */
  keyFrameRequests = 0;
  /** Called with every received frame. */
  onFrame?: () => void;
  private ticker?: NodeJS.Timeout;
  private closed = false;

  private constructor(private readonly peer: Peer) {}

  static async join(options: EncodedPeerOptions): Promise<EncodedPeer> {
    const peer = new Peer(new WebSocketTransport(options.server.url(options.roomId, options.peerId), { retry: { retries: 0 } }));
    const self = new EncodedPeer(peer);
    try {
      await self.setUp(options);
      return self;
    } catch (error) {
      self.close();
      throw error;
    }
  }

  /** Leaves the room (closes the socket; the room server closes the transport). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    this.peer.close();
  }

  private async setUp(options: EncodedPeerOptions): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.peer.on('open', resolve);
      this.peer.on('failed', () => reject(new Error('encoded subject: cannot connect')));
    });
    const caps = (await this.peer.request('getRouterRtpCapabilities')) as ms.RtpCapabilities;
    const vp8 = caps.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/vp8');
    if (!vp8?.preferredPayloadType) throw new Error('encoded subject: the router has no VP8');
    const transport = await options.server.directTransport(options.roomId, options.peerId);
    // The service's video: its consumer on this transport hands over RTP; one frame per marker bit.
    transport.observer.on('newconsumer', (consumer: ms.Consumer) =>
      consumer.on('rtp', (packet) => {
        if (!endsFrame(packet)) return;
        this.received.count++;
        this.onFrame?.();
      }),
    );
    this.peer.on('request', (req, accept, reject) => {
      if (req.method !== 'newConsumer' || (req.data as ServerRequests['newConsumer']).kind !== 'video') return reject(403, 'not consumed');
      accept();
    });
    await this.peer.request('join', {
      displayName: 'Subject',
      device: { flag: 'test', name: 'encoded-subject', version: '1' },
      rtpCapabilities: { codecs: [vp8], headerExtensions: [] },
    });
    const packetizer = new Vp8Packetizer(randomInt(1, 0xffffffff), vp8.preferredPayloadType);
    let producer: ms.Producer | undefined;
    transport.observer.once('newproducer', (p: ms.Producer) => (producer = p));
    await this.peer.request('produce', {
      transportId: transport.id,
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: vp8.mimeType,
            payloadType: vp8.preferredPayloadType,
            clockRate: vp8.clockRate,
            rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
          },
        ],
        headerExtensions: [],
        encodings: [{ ssrc: packetizer.ssrc }],
        rtcp: { cname: `encoded-${options.peerId}`, reducedSize: true },
      },
      appData: {},
    });
    if (!producer) throw new Error('encoded subject: the room server made no producer');
    const camera = producer;
    transport.on('rtcp', (packet) => {
      if (!asksKeyFrame(packet, packetizer.ssrc)) return;
      this.keyFrameRequests++;
      options.onKeyFrameRequest();
    });
    // RTP timestamps from the wall clock, as a browser stamps capture times.
    const timestamp0 = randomInt(0xffffffff);
    const t0 = performance.now();
    this.ticker = setInterval(
      () => {
        if (camera.closed) return;
        const frame = options.next();
        for (const packet of packetizer.packetize(frame.data, timestamp0 + Math.round((performance.now() - t0) * 90))) camera.send(packet);
        this.framesSent++;
      },
      Math.round(1000 / options.fps),
    );
  }
}

export interface EncodedSubjectOptions {
  server: RoomServer;
  roomId: string;
  /** Default 'subject'. */
  peerId?: string;
  performer: Performer;
  behaviour?: Behaviour;
  /** Camera frame rate; default 15, as ResponsiveBot. */
  fps?: number;
}

/** A responsive subject on an EncodedPeer: join(), then follow() the flow as with ResponsiveBot.join. */
export async function joinEncodedSubject(options: EncodedSubjectOptions): Promise<ResponsiveBot<EncodedPeer>> {
  const fps = options.fps ?? 15;
  const repertoire = await encodedRepertoire(options.performer, fps);
  return ResponsiveBot.start(repertoire, options.behaviour, (next, choreography) =>
    EncodedPeer.join({
      server: options.server,
      roomId: options.roomId,
      peerId: options.peerId ?? 'subject',
      fps,
      next,
      onKeyFrameRequest: () => choreography.rewind((frame) => frame.key),
    }),
  );
}
