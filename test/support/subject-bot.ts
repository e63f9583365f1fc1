/**
 * A subject for tests: a Node peer (protoo-client + mediasoup-client + wrtc) that joins a room, sends a camera
 * video (a real clip decoded by ffmpeg, or a synthetic pattern) and records the video it receives back.
 */
import { nonstandard } from '@roamhq/wrtc';
import { Device } from 'mediasoup-client';
import { Peer, WebSocketTransport } from 'protoo-client';
import type { I420Frame } from '../../src/common/image';
import { MediasoupPeer } from '../../src/transport/mediasoup-peer';
import type { ServerRequests } from '../../src/transport/protoo-messages';
import { installWebRtcGlobals } from '../../src/transport/webrtc-globals';
import { videoFrames } from './video-frames';
import { stampFrame } from './frame-marker';

/** What the bot's camera shows. */
export type BotVideo =
  /** The first `seconds` of a clip, looped. */
  | { kind: 'clip'; file: string; seconds: number }
  /** 640x480, left half dark (Y 60), right half bright (Y 200): shows mirroring and overlays plainly. */
  | { kind: 'halves' }
  /** 640x480 of one grey level. */
  | { kind: 'flat'; luma: number }
  /** Frames chosen at send time (the responsive bot switches clip segments while it runs). */
  | { kind: 'source'; next: () => I420Frame };

export interface SubjectBotOptions {
  wsUrl: string;
  video: BotVideo;
  /** Camera frame rate; default 15. */
  fps?: number;
  /** Stamp each frame's number into its top-left corner (see frame-marker). */
  stamp?: boolean;
}

/** What the bot received from the service. */
export interface BotReceived {
  count: number;
  /** performance.now() of each received frame (bounded to the last 2000). */
  times: number[];
  last?: I420Frame;
}

async function loadFrames(video: BotVideo, fps: number): Promise<I420Frame[]> {
  if (video.kind === 'source') return [video.next()];
  const width = 640;
  const height = 480;
  if (video.kind === 'flat' || video.kind === 'halves') {
    const data = new Uint8Array(width * height * 1.5).fill(128);
    for (let y = 0; y < height; y++) {
      const [left, right] = video.kind === 'flat' ? [video.luma, video.luma] : [60, 200];
      data.fill(left, y * width, y * width + width / 2);
      data.fill(right, y * width + width / 2, (y + 1) * width);
    }
    return [{ width, height, data, timestampMs: 0 }];
  }
  const frames: I420Frame[] = [];
  for await (const frame of videoFrames(video.file, { fps, duration: video.seconds, maxWidth: 640 })) frames.push(frame);
  if (frames.length === 0) throw new Error(`no frames decoded from ${video.file}`);
  return frames;
}

export class SubjectBot {
  /** Frames handed to the camera track. */
  framesSent = 0;
  /** performance.now() when the frame with each stamp was sent (last 1024). */
  readonly sentAt = new Map<number, number>();
  readonly received: BotReceived = { count: 0, times: [] };
  /** Called with every received frame. */
  onFrame?: (frame: I420Frame) => void;
  /** Called with the number of every frame sent. */
  onSent?: (n: number) => void;
  private readonly closables: (() => void)[] = [];
  private media?: MediasoupPeer;
  private ticker?: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly peer: Peer,
    private readonly frames: I420Frame[],
    private readonly options: SubjectBotOptions,
  ) {}

  /** Joins the room and starts sending. */
  static async join(options: SubjectBotOptions): Promise<SubjectBot> {
    installWebRtcGlobals();
    const frames = await loadFrames(options.video, options.fps ?? 15);
    const peer = new Peer(new WebSocketTransport(options.wsUrl, { retry: { retries: 0 } }));
    const bot = new SubjectBot(peer, frames, options);
    try {
      await bot.setUp();
      return bot;
    } catch (error) {
      bot.close();
      throw error;
    }
  }

  /** The size of the frames the bot sends. */
  get sentWidth(): number {
    return this.frames[0].width;
  }

  /** Leaves the room (closes the socket, as a browser tab does). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    for (const close of this.closables.reverse()) {
      try {
        close();
      } catch {
        // already closed
      }
    }
    this.peer.close();
  }

  private async setUp(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.peer.on('open', resolve);
      this.peer.on('failed', () => reject(new Error('subject bot: cannot connect')));
    });
    this.peer.on('request', (req, accept, reject) => {
      if (req.method !== 'newConsumer') return reject(403, 'not consumed');
      this.consume(req.data as ServerRequests['newConsumer']).then(accept, (error: Error) => reject(500, error.message));
    });
    const media = await MediasoupPeer.open({
      device: new Device({ handlerName: 'Chrome111' }),
      request: (method, data) => this.peer.request(method, data),
    });
    this.closables.push(() => media.close());
    this.media = media;
    await media.join('Subject', { flag: 'test', name: 'subject-bot', version: '1' });
    const source = new nonstandard.RTCVideoSource();
    const track = source.createTrack();
    this.closables.push(() => track.stop());
    const producer = await media.produce({ track: track as unknown as MediaStreamTrack });
    this.closables.push(() => producer.close());
    const fps = this.options.fps ?? 15;
    this.ticker = setInterval(() => this.sendFrame(source), Math.round(1000 / fps));
  }

  private sendFrame(source: nonstandard.RTCVideoSource): void {
    const n = this.framesSent++;
    const frame = this.options.video.kind === 'source' ? this.options.video.next() : this.frames[n % this.frames.length];
    const data = this.options.stamp ? stampFrame(frame.data, frame.width, n) : frame.data;
    if (this.options.stamp) {
      this.sentAt.set(n & 0xffff, performance.now());
      this.sentAt.delete((n - 1024) & 0xffff);
    }
    source.onFrame({ width: frame.width, height: frame.height, data });
    this.onSent?.(n);
  }

  private async consume(offer: ServerRequests['newConsumer']): Promise<void> {
    if (!this.media || offer.kind !== 'video') throw new Error('only video is consumed');
    const consumer = await this.media.consume(offer);
    this.closables.push(() => consumer.close());
    const sink = new nonstandard.RTCVideoSink(consumer.track as never);
    this.closables.push(() => sink.stop());
    sink.onframe = (({ frame }: { frame: { width: number; height: number; data: Uint8Array } }) => {
      const now = performance.now();
      this.received.count++;
      this.received.times.push(now);
      if (this.received.times.length > 2000) this.received.times.shift();
      const received: I420Frame = { width: frame.width, height: frame.height, data: new Uint8Array(frame.data), timestampMs: now };
      this.received.last = received;
      this.onFrame?.(received);
    }) as never;
  }
}
