import { nonstandard } from '@roamhq/wrtc';
import type { types } from 'mediasoup-client';

/**
 * Ceiling of the instruction video's bitrate per pixel of a picture, bit/s. Left alone, the encoder climbs to what
 * loopback allows and spends CPU on it: bench:transport 13.5 % of a core per flow unbounded, 12.2 % at 500 kbit/s,
 * 11.5 % at 300; at 300 kbit/s for 640x480 at 10 fps the mirrored face is clear and the instruction text sharp.
 */
const MAX_BITRATE_PER_PIXEL = 300_000 / (640 * 480);

/**
 * Pictures sent BURST_MS apart when the video starts. libwebrtc's encoder drops the first 4 frames larger than
 * 320x240 while its target is under 300 kbit/s (it starts below that, and the cap above is lower still at 480x360):
 * at 10 fps that hid the first instruction for 0.4 s (bench:flows, first instruction: 1 flow 0.51–0.56 s → 0.26,
 * 8 flows 0.96–1.01 → 0.61–0.68). Raising the cap to 350 kbit/s avoids the drops too, but nearly doubles the RTP
 * packets (8 flows: ≈ 7 % of a core more between encoder, SFU and network threads).
 */
const BURST_PICTURES = 5;
const BURST_MS = 20;

/** Draws the pictures of the instruction video (width x height I420); the InstructionRenderer does. */
export interface PictureSource {
  readonly width: number;
  readonly height: number;
  render(): Uint8Array;
}

/**
 * The outgoing instruction video: a WebRTC video track fed at `fps` with the pictures its source draws.
 * stop() ends the ticker and the track.
 */
export class InstructionVideo {
  private readonly source = new nonstandard.RTCVideoSource();
  private readonly track = this.source.createTrack();
  private ticker?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly pictures: PictureSource,
    private readonly fps: number,
  ) {}

  /** What to produce: this track in VP8 (the cheapest to encode, every browser decodes it) under the bitrate cap. */
  producerOptions(device: { rtpCapabilities: types.RtpCapabilities }): types.ProducerOptions {
    return {
      track: this.track as unknown as MediaStreamTrack,
      codec: device.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/vp8'),
      encodings: [{ maxBitrate: Math.round(MAX_BITRATE_PER_PIXEL * this.pictures.width * this.pictures.height) }],
      appData: { source: 'vision-instructions' },
    };
  }

  /** Starts sending pictures: the first BURST_PICTURES at once, BURST_MS apart, then at `fps`. */
  start(): void {
    if (this.stopped || this.ticker) return;
    let burst = BURST_PICTURES;
    const next = () => {
      this.sendPicture();
      this.ticker = --burst > 0 ? setTimeout(next, BURST_MS) : setInterval(() => this.sendPicture(), Math.round(1000 / this.fps));
    };
    next();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.ticker);
    this.track.stop();
  }

  private sendPicture(): void {
    const { width, height } = this.pictures;
    this.source.onFrame({ width, height, data: this.pictures.render() });
  }
}
