/**
 * Passive presentation-attack evidence over a flow, as pure functions: scored frames → 2-second windows (mean
 * score) → "suspect" (two consecutive windows below the threshold) → what the policy decides. The flow machine
 * keeps a PadTrace in its context, folds scores in with addScore and asks the decision functions in its guards.
 */

/** off: no scoring; report: record only; stepup: one extra challenge, fail if still suspect at the verdict; enforce: fail at once. */
export const PAD_POLICIES = ['off', 'report', 'stepup', 'enforce'] as const;
export type PadPolicy = (typeof PAD_POLICIES)[number];

export interface PadSettings {
  policy: PadPolicy;
  /** Window mean below which a window is suspect (fused "real" probability, 0..1). */
  threshold: number;
}

/** Window length: long enough to average out single-frame dips (a head turn reads 0.36), short enough to act within a challenge. */
export const PAD_WINDOW_MS = 2000;
/**
 * Scored frames a window needs to count (of 10 at the default 5/s): fewer means the face was seen for under
 * 0.6 s of the window, too little to judge; such a window is neither suspect nor clear.
 */
export const PAD_MIN_FRAMES_PER_WINDOW = 3;
/** Consecutive suspect windows that make the flow suspect. */
export const PAD_SUSPECT_WINDOWS = 2;

/** Whether a frame at `nowMs` should be scored at `fps` scored frames/s, the last scored at `lastMs` (a frame may come up to 10 % early, so 30 fps video yields 5/s, not 4.3/s). */
export function padScoreDue(lastMs: number | undefined, nowMs: number, fps: number): boolean {
  return lastMs === undefined || nowMs - lastMs >= 900 / fps;
}

/** One scored frame: capture time (ms) and fused score. Frames without exactly one face are not scored. */
export interface ScoredFrame {
  timestampMs: number;
  score: number;
}

/** A closed window that had enough scored frames. */
export interface PadWindow {
  startMs: number;
  frames: number;
  mean: number;
  suspect: boolean;
}

/** The evidence so far; immutable, new value per addScore/closeOpenWindow. */
export interface PadTrace {
  /** Scored frames folded in. */
  frames: number;
  windows: readonly PadWindow[];
  /** The window being filled. */
  open?: { startMs: number; frames: number; sum: number };
  /** Suspect windows in a row at the end of `windows` (windows without enough frames neither break nor extend it). */
  suspectRun: number;
  /** Set once the flow has been suspect (stepup: the extra challenge was asked for). */
  suspectedAtMs?: number;
  /** stepup: the extra challenge has been added. */
  steppedUp: boolean;
}

export const EMPTY_PAD_TRACE: PadTrace = { frames: 0, windows: [], suspectRun: 0, steppedUp: false };

function closeWindow(trace: PadTrace, threshold: number, atMs: number): PadTrace {
  const open = trace.open;
  if (!open || open.frames < PAD_MIN_FRAMES_PER_WINDOW) return { ...trace, open: undefined };
  const mean = open.sum / open.frames;
  const suspect = mean < threshold;
  const suspectRun = suspect ? trace.suspectRun + 1 : 0;
  const window: PadWindow = { startMs: open.startMs, frames: open.frames, mean, suspect };
  const suspectedAtMs = trace.suspectedAtMs ?? (suspectRun >= PAD_SUSPECT_WINDOWS ? atMs : undefined);
  return { ...trace, windows: [...trace.windows, window], open: undefined, suspectRun, suspectedAtMs };
}

/** Folds one scored frame in; windows are consecutive 2-s slots from the first scored frame (slots with no frames are skipped). */
export function addScore(trace: PadTrace, frame: ScoredFrame, threshold: number): PadTrace {
  let next = trace;
  if (next.open && frame.timestampMs >= next.open.startMs + PAD_WINDOW_MS) next = closeWindow(next, threshold, frame.timestampMs);
  if (!next.open) {
    const last = trace.open?.startMs ?? trace.windows.at(-1)?.startMs;
    const startMs = last === undefined ? frame.timestampMs : last + Math.floor((frame.timestampMs - last) / PAD_WINDOW_MS) * PAD_WINDOW_MS;
    next = { ...next, open: { startMs, frames: 0, sum: 0 } };
  }
  const open = next.open!;
  return { ...next, frames: next.frames + 1, open: { ...open, frames: open.frames + 1, sum: open.sum + frame.score } };
}

/** Closes the window being filled (at the verdict), counted if it has enough frames. */
export function closeOpenWindow(trace: PadTrace, threshold: number, nowMs: number): PadTrace {
  return closeWindow(trace, threshold, nowMs);
}

/** Two consecutive suspect windows are the latest evidence. */
export function padSuspect(trace: PadTrace): boolean {
  return trace.suspectRun >= PAD_SUSPECT_WINDOWS;
}

/**
 * stepup and enforce need evidence: fewer than two counted windows cannot say "suspect", so a subject who passes
 * the challenges within ~4 s of scoring (or sends too few frames) must not pass on that alone.
 */
export function padUndecided(trace: PadTrace, policy: PadPolicy): boolean {
  return (policy === 'stepup' || policy === 'enforce') && trace.windows.length < PAD_SUSPECT_WINDOWS;
}

/** Guard during the challenges, stepup: suspect and no extra challenge added yet → add one (the flow then sets steppedUp). */
export function padNeedsStepUp(trace: PadTrace, policy: PadPolicy): boolean {
  return policy === 'stepup' && !trace.steppedUp && padSuspect(trace);
}

/** The trace after the extra challenge was added. */
export function markSteppedUp(trace: PadTrace): PadTrace {
  return { ...trace, steppedUp: true };
}

/** Guard during the challenges: enforce fails at the first two suspect windows in a row. */
export function padFailsNow(trace: PadTrace, policy: PadPolicy): boolean {
  return policy === 'enforce' && padSuspect(trace);
}

/**
 * Guard at the verdict (after closeOpenWindow): enforce fails if the flow was ever suspect; stepup fails if the
 * latest windows are still suspect (a live subject whose windows recovered during the extra challenge passes).
 */
export function padFailsAtVerdict(trace: PadTrace, policy: PadPolicy): boolean {
  if (policy === 'enforce') return trace.suspectedAtMs !== undefined;
  return policy === 'stepup' && padSuspect(trace);
}

/** What the flow's evidence came to, for metrics: no counted window, never suspect, or suspect at some point. */
export function padOutcome(trace: PadTrace): 'unscored' | 'clear' | 'suspect' {
  if (trace.suspectedAtMs !== undefined) return 'suspect';
  return trace.windows.length === 0 ? 'unscored' : 'clear';
}

/** Summary for GET /flows/{id}, metrics and callback details (no images). */
export interface PadSummary {
  policy: PadPolicy;
  threshold: number;
  framesScored: number;
  windowMin?: number;
  windows: { startMs: number; frames: number; mean: number }[];
  suspect: boolean;
  steppedUp: boolean;
}

export function padSummary(trace: PadTrace, settings: PadSettings): PadSummary {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const means = trace.windows.map((w) => round(w.mean));
  return {
    policy: settings.policy,
    threshold: settings.threshold,
    framesScored: trace.frames,
    windowMin: means.length > 0 ? Math.min(...means) : undefined,
    windows: trace.windows.map(({ startMs, frames, mean }) => ({ startMs, frames, mean: round(mean) })),
    suspect: trace.suspectedAtMs !== undefined,
    steppedUp: trace.steppedUp,
  };
}
