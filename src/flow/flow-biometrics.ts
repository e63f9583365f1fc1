import type { I420Frame, RawImage } from '../common/image';
import type { ReferenceImage } from '../references/reference.port';

/**
 * One flow's biometric data, in memory only: the best frames of the subject seen during the challenges (live
 * evidence) and the reference images. The flow machine's context holds their counts, never the pixels.
 */
export class FlowBiometrics {
  private readonly kept: { frame: I420Frame; score: number }[] = [];
  private refs: ReferenceImage[] = [];

  constructor(private readonly evidenceCapacity: number) {}

  /** Keeps a copy of the frame when it is among the `evidenceCapacity` best so far. */
  offer(frame: I420Frame, score: number): void {
    if (this.kept.length >= this.evidenceCapacity && score <= this.kept[this.kept.length - 1].score) return;
    const copy: I420Frame = { ...frame, data: frame.data.slice() };
    this.kept.push({ frame: copy, score });
    this.kept.sort((a, b) => b.score - a.score);
    this.kept.length = Math.min(this.kept.length, this.evidenceCapacity);
  }

  get evidenceCount(): number {
    return this.kept.length;
  }

  /** The kept frames, best first, converted with `toRgb`. */
  liveImages(toRgb: (frame: I420Frame) => RawImage): RawImage[] {
    return this.kept.map((k) => toRgb(k.frame));
  }

  keepReferences(references: ReferenceImage[]): void {
    this.refs = references;
  }

  get references(): ReferenceImage[] {
    return this.refs;
  }

  /** Drops every frame and reference (biometric data leaves memory with the verdict). */
  clear(): void {
    this.kept.length = 0;
    this.refs = [];
  }
}
