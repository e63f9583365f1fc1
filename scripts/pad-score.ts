/**
 * Passive PAD score of images and videos, one JSON line per file (stable output, how accuracy is checked):
 * {"file","frames_scored","score_median","window_min","suspect"}. Videos are decoded by ffmpeg at PAD_FPS and
 * scored like a flow does (BlazeFace box, frames without exactly one face skipped, 2-s windows); an image is one
 * frame. `suspect` is the policy's rule (two consecutive windows below PAD_THRESHOLD); null when the file is too
 * short to hold two windows (an image), `window_min` null without any window.
 * Usage: npm run pad:score -- <image-or-video>…
 */
import { loadConfig } from '../src/config/app-config';
import { PadScorer } from '../src/pad/pad-scorer';
import { BlazeFace } from '../test/support/blazeface';
import { padFields, scoreMedia } from '../test/support/pad-media';

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error('usage: npm run pad:score -- <image-or-video>…');
  const settings = loadConfig().pad;
  const detector = await BlazeFace.load();
  const scorer = await PadScorer.load();
  try {
    for (const file of files) {
      const scored = await scoreMedia(file, settings.PAD_FPS, detector, scorer);
      console.log(JSON.stringify({ file, ...padFields(scored, settings.PAD_THRESHOLD) }));
    }
  } finally {
    await Promise.all([detector.close(), scorer.close()]);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
