/** What the outgoing instruction video shows. All text is already in the subject's language. */
export interface InstructionScreen {
  phase: 'waiting' | 'instructing' | 'challenge' | 'processing' | 'verified' | 'not_verified';
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
