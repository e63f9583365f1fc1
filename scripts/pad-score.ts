/**
 * Passive PAD score of images and videos, one JSON line per file (stable output, how accuracy is checked):
 * {"file","frames_scored","score_median","window_min","suspect"}. Videos are decoded by ffmpeg at PAD_FPS and
 * scored like a flow does (BlazeFace box, frames without exactly one face skipped, 2-s windows); an image is one
 * frame. `suspect` is the policy's rule (two consecutive windows below PAD_THRESHOLD); null when the file is too
 * short to hold two windows (an image), `window_min` null without any window.
 * Usage: npm run pad:score -- <image-or-video>…
 */
import { loadConfig } from '../src/config/app-config';
import { addScore, closeOpenWindow, EMPTY_PAD_TRACE, PAD_SUSPECT_WINDOWS, padSummary } from '../src/pad/pad-policy';
import { PadScorer } from '../src/pad/pad-scorer';
import { BlazeFace } from '../test/support/blazeface';
import { scoreMedia } from '../test/support/pad-media';
import { median } from '../test/support/video-frames';

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error('usage: npm run pad:score -- <image-or-video>…');
  const settings = loadConfig().pad;
  const detector = await BlazeFace.load();
  const scorer = await PadScorer.load();
  try {
    for (const file of files) {
      const scored = await scoreMedia(file, settings.PAD_FPS, detector, scorer);
      const folded = scored.reduce((t, s) => addScore(t, s, settings.PAD_THRESHOLD), EMPTY_PAD_TRACE);
      const trace = closeOpenWindow(folded, settings.PAD_THRESHOLD, Infinity);
      const summary = padSummary(trace, { policy: settings.PAD_POLICY, threshold: settings.PAD_THRESHOLD });
      console.log(
        JSON.stringify({
          file,
          frames_scored: scored.length,
          score_median: scored.length ? Number(median(scored.map((s) => s.score)).toFixed(4)) : null,
          window_min: summary.windowMin ?? null,
          suspect: trace.windows.length < PAD_SUSPECT_WINDOWS ? null : summary.suspect,
        }),
      );
    }
  } finally {
    await Promise.all([detector.close(), scorer.close()]);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
