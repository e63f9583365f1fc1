import type { I420Frame } from '../common/image';

/**
 * Hands subject frames to one consumer, one at a time: while the consumer is busy only the newest frame is
 * kept (latest frame wins), so a slow face engine never builds a queue.
 */
export class LatestFrameGate {
  private pending?: I420Frame;
  private consumer?: (frame: I420Frame) => Promise<void>;
  private busy = false;
  /** Frames that arrived. */
  received = 0;
  /** Frames replaced by a newer one before the consumer took them. */
  dropped = 0;
  /** Frames handed to the consumer. */
  delivered = 0;

  publish(frame: I420Frame): void {
    this.received++;
    if (this.pending) this.dropped++;
    this.pending = frame;
    this.pump();
  }

  /** Sets the consumer; returns a function that removes it. Frames arriving without a consumer are dropped. */
  consume(consumer: (frame: I420Frame) => Promise<void>): () => void {
    this.consumer = consumer;
    this.pump();
    return () => {
      if (this.consumer === consumer) this.consumer = undefined;
    };
  }

  private pump(): void {
    if (this.busy || !this.pending) return;
    if (!this.consumer) {
      this.pending = undefined;
      this.dropped++;
      return;
    }
    const frame = this.pending;
    const consumer = this.consumer;
    this.pending = undefined;
    this.busy = true;
    this.delivered++;
    consumer(frame).finally(() => {
      this.busy = false;
      this.pump();
    });
  }
}
