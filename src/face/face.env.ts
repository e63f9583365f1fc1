import { availableParallelism } from 'node:os';
import { defaultsOf, type EnvValues, num, oneOf } from '../config/env';

/**
 * Names of the face engines (FACE_ENGINE, the scripts' --engine); the first is the default. One is left: Human on
 * TFJS was removed (docs/face-engines.md); the setting stays so a configuration still naming it fails at start-up.
 */
export const FACE_ENGINES = ['mediapipe'] as const;
export type FaceEngineName = (typeof FACE_ENGINES)[number];

export const faceEnv = {
  FACE_ENGINE: oneOf(
    FACE_ENGINES,
    'mediapipe',
    "Face engine: MediaPipe's face landmarker on onnxruntime, the only one (human was removed; docs/face-engines.md)",
  ),
  FACE_WORKERS: num(0, 'Worker threads of the face engine; 0 means one per core', { min: 0, max: 64 }),
  FACE_DETECTOR_SKIP_MS: num(500, 'Longest the face detector is skipped in favour of mesh tracking; a second face shows up within this', {
    min: 0,
    max: 5000,
  }),
  FACE_START_TIMEOUT_S: num(60, 'Time for each face worker to load its models and warm up at start-up', { min: 5, max: 600 }),
};

/** The face engine's settings, ms. */
export interface FaceSettings {
  engine: FaceEngineName;
  /** Worker threads (FACE_WORKERS, or one per core). */
  workers: number;
  detectorSkipMs: number;
  startTimeoutMs: number;
}

export function faceSettings(env: EnvValues<typeof faceEnv>): FaceSettings {
  return {
    engine: env.FACE_ENGINE,
    workers: env.FACE_WORKERS || availableParallelism(),
    detectorSkipMs: env.FACE_DETECTOR_SKIP_MS,
    startTimeoutMs: env.FACE_START_TIMEOUT_S * 1000,
  };
}

/** The settings with nothing set: the defaults of engines built without a configuration (scripts, tests). */
export const faceDefaults = faceSettings(defaultsOf(faceEnv));
