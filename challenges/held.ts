/** Helpers shared by the challenge plugins: how long a condition has held, in the observations' own clock. */

/** When a condition started holding (ms) and on how many consecutive frames. */
export interface Hold {
  sinceMs?: number;
  frames: number;
}

export const NOT_HELD: Hold = { frames: 0 };

/** The hold after one more frame where the condition is `on`. */
export function hold(previous: Hold, on: boolean, nowMs: number): Hold {
  if (!on) return NOT_HELD;
  return { sinceMs: previous.sinceMs ?? nowMs, frames: previous.frames + 1 };
}

/**
 * True once the condition held `ms` and at least `minFrames` frames (so one lucky frame, or a stalled stream
 * whose two frames are far apart, cannot pass).
 */
export function heldFor(h: Hold, nowMs: number, ms: number, minFrames = 2): boolean {
  return h.sinceMs !== undefined && h.frames >= minFrames && nowMs - h.sinceMs >= ms;
}

/** Progress within a hold, 0..1. */
export function holdProgress(h: Hold, nowMs: number, ms: number): number {
  return h.sinceMs === undefined ? 0 : Math.min(1, (nowMs - h.sinceMs) / Math.max(ms, 1));
}
