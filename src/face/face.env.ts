import { num, oneOf, str } from '../config/env';

export const faceEnv = {
  FACE_ENGINE: oneOf(['human', 'mediapipe'] as const, 'human', 'Face engine; mediapipe needs Chromium (docs/face-engines.md)'),
  FACE_WORKERS: num(0, 'Worker threads of the face engine; 0 means one per core', { min: 0, max: 64 }),
  FACE_DETECTOR_SKIP_MS: num(500, 'Longest the face detector is skipped in favour of mesh tracking; a second face shows up within this', {
    min: 0,
    max: 5000,
  }),
  FACE_START_TIMEOUT_S: num(60, 'Time for each face worker to load its models and warm up at start-up', { min: 5, max: 600 }),
  MEDIAPIPE_CHROMIUM_PATH: str('/usr/bin/chromium', 'Chromium binary for FACE_ENGINE=mediapipe'),
  MEDIAPIPE_STREAMS: num(2, 'FACE_ENGINE=mediapipe: landmarkers kept, one per concurrent flow (each adds Chromium memory); more flows share them', {
    min: 1,
    max: 16,
  }),
};
