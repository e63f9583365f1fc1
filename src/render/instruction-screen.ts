/** What the outgoing instruction video shows. All text is already in the subject's language. */
export interface InstructionScreen {
  phase: 'waiting' | 'instructing' | 'challenge' | 'look_at_camera' | 'processing' | 'verified' | 'not_verified';
  /** Main line: the instruction or the status. */
  text: string;
  /** Warning shown over the video (no face, move closer…), if any. */
  warning?: string;
  /**
   * Challenge i of n (1-based) and progress 0..1, during the challenge phase. `endsAtMs` is when its time is up
   * (Date.now() clock): the renderer draws the seconds left from it on every frame.
   */
  challenge?: { index: number; total: number; endsAtMs: number; progress: number };
}

/** Sizes the instruction video can be sent at, all 4:3 (as its layout) with plane widths divisible by 8. */
export const VIDEO_SIZES = ['640x480', '480x360', '320x240'] as const;
export type VideoSizeName = (typeof VIDEO_SIZES)[number];

export interface VideoSize {
  width: number;
  height: number;
}

export function videoSize(name: VideoSizeName): VideoSize {
  const [width, height] = name.split('x').map(Number);
  return { width, height };
}
