/**
 * CLI helper for the PAD tools: the scored frames of an image or video file, as the flow would score them
 * (PAD_FPS frames per second, only frames with exactly one BlazeFace face). Nothing is written to disk.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { decodeImage, sniffImageType } from '../../src/references/image-loader';
import type { PadSource } from '../../src/pad/pad-crop';
import { addScore, closeOpenWindow, EMPTY_PAD_TRACE, PAD_SUSPECT_WINDOWS, padSummary, type ScoredFrame } from '../../src/pad/pad-policy';
import type { PadScorer } from '../../src/pad/pad-scorer';
import type { BlazeFace } from './blazeface';
import { median, videoFrames } from './video-frames';

/** Frames of a file: an image is one frame at t=0, a video is decoded at `fps` (at most 640 px wide, as a call). */
export async function* mediaFrames(file: string, fps: number): AsyncGenerator<PadSource & { timestampMs: number }> {
  let head: Uint8Array;
  try {
    const fd = openSync(file, 'r');
    head = new Uint8Array(16);
    readSync(fd, head, 0, 16, 0);
    closeSync(fd);
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (sniffImageType(head)) {
    yield { ...(await decodeImage(readFileSync(file))), timestampMs: 0 };
    return;
  }
  yield* videoFrames(file, { fps });
}

/** Every frame of `file` with exactly one face, scored. */
export async function scoreMedia(file: string, fps: number, detector: BlazeFace, scorer: PadScorer): Promise<ScoredFrame[]> {
  const scored: ScoredFrame[] = [];
  for await (const frame of mediaFrames(file, fps)) {
    const faces = await detector.detect(frame);
    if (faces.length !== 1) continue;
    scored.push({ timestampMs: frame.timestampMs, score: await scorer.score(frame, faces[0]) });
  }
  return scored;
}

/**
 * The PAD fields of the CLIs' lines (pad:score, liveness:replay --pad), windows folded as the flow does.
 * `suspect` is null when the frames hold fewer than two windows, `window_min` null without any window.
 */
export function padFields(scored: readonly ScoredFrame[], threshold: number) {
  const trace = closeOpenWindow(
    scored.reduce((t, s) => addScore(t, s, threshold), EMPTY_PAD_TRACE),
    threshold,
    Infinity,
  );
  const summary = padSummary(trace, { policy: 'report', threshold });
  return {
    frames_scored: scored.length,
    score_median: scored.length ? Number(median(scored.map((s) => s.score)).toFixed(4)) : null,
    window_min: summary.windowMin ?? null,
    suspect: trace.windows.length < PAD_SUSPECT_WINDOWS ? null : summary.suspect,
  };
}
