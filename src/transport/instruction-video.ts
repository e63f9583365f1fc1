import { nonstandard } from '@roamhq/wrtc';
import type { types } from 'mediasoup-client';

/**
 * Ceiling of the instruction video's bitrate per pixel of a picture, bit/s. Left alone, the encoder climbs to what
 * loopback allows and spends CPU on it: bench:transport 13.5 % of a core per flow unbounded, 12.2 % at 500 kbit/s,
 * 11.5 % at 300; at 300 kbit/s for 640x480 at 10 fps the mirrored face is clear and the instruction text sharp.
 */
const MAX_BITRATE_PER_PIXEL = 300_000 / (640 * 480);

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

  /** Starts sending pictures (the first one at once). */
  start(): void {
    if (this.stopped || this.ticker) return;
    this.sendPicture();
    this.ticker = setInterval(() => this.sendPicture(), Math.round(1000 / this.fps));
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
