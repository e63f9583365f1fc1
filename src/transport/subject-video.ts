import { nonstandard } from '@roamhq/wrtc';
import type { types } from 'mediasoup-client';
import type { I420Frame } from '../common/image';

/**
 * The subject's camera, consumed: every decoded frame goes straight to `onFrame` (the flow's frame gate does the
 * back-pressure). stop() ends the sink and the consumer.
 */
export class SubjectVideo {
  private readonly sink: nonstandard.RTCVideoSink;
  private stopped = false;

  constructor(
    readonly peerId: string,
    readonly consumer: types.Consumer,
    onFrame: (frame: I420Frame) => void,
  ) {
    this.sink = new nonstandard.RTCVideoSink(consumer.track as never);
    this.sink.onframe = (({ frame }: { frame: { width: number; height: number; data: Uint8Array } }) => {
      if (this.stopped) return;
      const { buffer, byteOffset, byteLength } = frame.data;
      onFrame({
        width: frame.width,
        height: frame.height,
        data: new Uint8Array(buffer, byteOffset, byteLength),
        timestampMs: performance.now(),
      });
    }) as never;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sink.stop();
    this.consumer.close();
  }
}
