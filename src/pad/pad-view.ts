import { type PadSettings, type PadTrace, padSummary } from './pad-policy';

/** The PAD part of GET /flows/{id} and of the callback details: scores and windows, never images. */
export interface PadView {
  policy: PadSettings['policy'];
  threshold: number;
  frames_scored: number;
  /** Lowest window mean, null before the first window. */
  window_min: number | null;
  /** Closed 2-second windows with enough scored frames; start_ms from the first scored frame. */
  windows: { start_ms: number; frames: number; mean: number; suspect: boolean }[];
  /** Two consecutive windows were below the threshold at some point. */
  suspect: boolean;
  /** stepup: the extra challenge was added. */
  stepped_up: boolean;
}

/** A pure function of the flow's context; null when the policy is off (nothing scored). */
export function padView(context: { pad: PadTrace; settings: { pad: PadSettings } }): PadView | null {
  const settings = context.settings.pad;
  if (settings.policy === 'off') return null;
  const summary = padSummary(context.pad, settings);
  const origin = context.pad.windows[0]?.startMs ?? 0;
  return {
    policy: summary.policy,
    threshold: summary.threshold,
    frames_scored: summary.framesScored,
    window_min: summary.windowMin ?? null,
    windows: summary.windows.map((w) => ({
      start_ms: w.startMs - origin,
      frames: w.frames,
      mean: w.mean,
      suspect: w.mean < settings.threshold,
    })),
    suspect: summary.suspect,
    stepped_up: summary.steppedUp,
  };
}
