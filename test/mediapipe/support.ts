import { existsSync } from 'node:fs';

/** Chromium the MediaPipe engine tests run (Debian package `chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

/** `skip` option for suites that need Chromium: false when installed, else the reason printed by the runner. */
export const skipWithoutChromium: false | string = existsSync(CHROMIUM)
  ? false
  : `Chromium is not installed at ${CHROMIUM}: FACE_ENGINE=mediapipe tests skipped (apt-get install chromium; scripts/setup-test-env.sh does)`;
