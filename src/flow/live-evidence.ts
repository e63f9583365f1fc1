import type { I420Frame, RawImage } from '../common/image';

/** The best frames of the subject seen during the challenges, kept in memory only, for face matching. */
export class LiveEvidence {
  private readonly kept: { frame: I420Frame; score: number }[] = [];

  constructor(private readonly capacity: number) {}

  /** Keeps a copy of the frame when it is among the `capacity` best so far. */
  offer(frame: I420Frame, score: number): void {
    if (this.kept.length >= this.capacity && score <= this.kept[this.kept.length - 1].score) return;
    const copy: I420Frame = { ...frame, data: frame.data.slice() };
    this.kept.push({ frame: copy, score });
    this.kept.sort((a, b) => b.score - a.score);
    this.kept.length = Math.min(this.kept.length, this.capacity);
  }

  get size(): number {
    return this.kept.length;
  }

  /** The kept frames, best first, converted with `toRgb`. */
  images(toRgb: (frame: I420Frame) => RawImage): RawImage[] {
    return this.kept.map((k) => toRgb(k.frame));
  }

  /** Drops every frame (biometric data leaves memory with the flow). */
  clear(): void {
    this.kept.length = 0;
  }
}
