import { cosineDistance } from '../common/distance';
import type { FailureReason } from '../common/errors';
import { EmbeddingModelName, FACE_CHANGED_DISTANCE } from '../face-embedding/embedding-model';
import type { FaceObservation, ObservedFace } from '../face/face-observation';
import type { ChallengeDefinition } from './challenge-definition';

/**
 * Tunables of the liveness phase, in milliseconds unless named otherwise. Every duration is measured on the
 * frames' own timestamps, never in frame counts: an overloaded service analysing 2 frames/s passes a cooperative
 * subject like one analysing 15, only with coarser timing.
 */
export interface LivenessSettings {
  /** No face this long since the last face seen (or since the first frame): failure face_lost. */
  faceLostMs: number;
  /** No face this long: warning. */
  noFaceWarningMs: number;
  /** More than one face for this long: failure multiple_faces (shorter glimpses only warn). */
  multipleFacesMs: number;
  /** One face in every frame for this long before the first challenge starts. */
  steadyMs: number;
  /** Descriptor distance (1 - cosine) above which the face counts as another person. */
  faceChangedDistance: number;
  /**
   * Consecutive descriptors over faceChangedDistance before failing face_changed (a single odd one, e.g. of a
   * blurred frame, is noise). Frames without a descriptor do not count either way: engines compute one now and
   * then (at most once a second per flow) or never (MediaPipeFaceEngine without a descriptorModule).
   */
  faceChangedReadings: number;
  /**
   * Descriptors of a face turned further than this (yaw or pitch, degrees) are ignored: on the head-turn clip the
   * same person reads 0.26–0.35 from their frontal descriptor up to 27° but 0.44–0.51 at 38–50°; other people
   * read ≥ 0.6 (faceres).
   */
  identityMaxAngleDeg: number;
  /**
   * A challenge that times out with fewer analysed frames per second than this failed because analysis was too
   * slow (an overloaded service, or the subject's video stalled), not because of the subject: analysis_too_slow.
   * The trace tests still pass blink and open-close-mouth at 2 fps.
   */
  minAnalysedFps: number;
}

export const DEFAULT_LIVENESS_SETTINGS: Omit<LivenessSettings, 'faceLostMs'> = {
  noFaceWarningMs: 3000,
  multipleFacesMs: 2000,
  // What 5 frames spanned at 10 fps; at 2 fps two frames half a second apart.
  steadyMs: 400,
  // The default engine's describer (face-api); livenessSettingsFor picks the running engine's model.
  faceChangedDistance: FACE_CHANGED_DISTANCE.faceapi,
  faceChangedReadings: 2,
  identityMaxAngleDeg: 25,
  minAnalysedFps: 2,
};

/** The settings for an engine whose descriptors come from `descriptorModel`: face_changed's distance is per model. */
export function livenessSettingsFor(descriptorModel: EmbeddingModelName | undefined, faceLostMs: number): LivenessSettings {
  return { ...DEFAULT_LIVENESS_SETTINGS, faceChangedDistance: FACE_CHANGED_DISTANCE[descriptorModel ?? 'faceapi'], faceLostMs };
}

/** Progress of one challenge, as shown by GET /flows/{id} and sent with details. */
export interface ChallengeProgress {
  id: string;
  status: 'pending' | 'running' | 'passed' | 'failed';
  progress: number;
}

/** The whole liveness phase as plain data (kept in the flow machine's context). */
export interface LivenessState {
  challenges: ChallengeProgress[];
  /** Index of the running challenge; -1 while waiting for a stable face. */
  current: number;
  /** State of the running challenge's plugin. */
  pluginState: unknown;
  /** Since when every frame showed exactly one face (unset after a frame without). */
  steadySinceMs?: number;
  lastFaceAtMs?: number;
  firstObservationAtMs?: number;
  multipleFacesSinceMs?: number;
  /** Descriptor of the face that started the challenges; later faces must stay close to it. */
  identity?: readonly number[];
  /** Consecutive descriptors far from `identity`. */
  changedReadings: number;
  /** Frames analysed since the running challenge started. */
  framesInChallenge: number;
  /** Locale key of the warning to show now, if any. */
  warningKey?: string;
  /** Locale key of the running plugin's hint, if any. */
  hintKey?: string;
  failure?: FailureReason;
}

/** Plugins by id. */
export type ChallengePlugins = ReadonlyMap<string, ChallengeDefinition>;

/** A fresh liveness phase for the selected challenges. */
export function startLiveness(challengeIds: readonly string[]): LivenessState {
  return {
    challenges: challengeIds.map((id) => ({ id, status: 'pending', progress: 0 })),
    current: -1,
    pluginState: undefined,
    changedReadings: 0,
    framesInChallenge: 0,
  };
}

/** True once the subject's face was steady long enough to start. */
export const isStarted = (s: LivenessState): boolean => s.current >= 0;
/** True when the running challenge has just passed. */
export const currentPassed = (s: LivenessState): boolean => s.challenges[s.current]?.status === 'passed';
/** True when every challenge passed. */
export const allPassed = (s: LivenessState): boolean => s.challenges.every((c) => c.status === 'passed');

/** The framing advice for a face, most important first; undefined when the framing is fine. */
export function framingWarning(face: ObservedFace, imageWidth: number): string | undefined {
  const q = face.quality;
  if (q.brightness < 50) return 'warning.too_dark';
  if (q.faceShare < 0.03) return 'warning.move_closer';
  if (q.faceShare > 0.45) return 'warning.move_back';
  const centerX = (face.box.x + face.box.width / 2) / imageWidth;
  if (centerX < 0.2 || centerX > 0.8) return 'warning.center_face';
  return undefined;
}

function withWarnings(s: LivenessState, o: FaceObservation, settings: LivenessSettings): LivenessState {
  const now = o.timestampMs;
  const firstAt = s.firstObservationAtMs ?? now;
  const lastFaceAt = o.faceCount > 0 ? now : s.lastFaceAtMs;
  const noFaceMs = now - (lastFaceAt ?? firstAt);
  const multipleSince = o.faceCount > 1 ? (s.multipleFacesSinceMs ?? now) : undefined;
  let warningKey: string | undefined;
  let failure: FailureReason | undefined;
  if (multipleSince !== undefined) {
    warningKey = 'warning.multiple_faces';
    if (now - multipleSince >= settings.multipleFacesMs) failure = 'multiple_faces';
  } else if (o.faceCount === 0) {
    if (noFaceMs >= settings.noFaceWarningMs) warningKey = 'warning.no_face';
    if (noFaceMs >= settings.faceLostMs) failure = 'face_lost';
  } else if (o.face) {
    warningKey = framingWarning(o.face, o.imageWidth);
  }
  return { ...s, firstObservationAtMs: firstAt, lastFaceAtMs: lastFaceAt, multipleFacesSinceMs: multipleSince, warningKey, failure };
}

function withIdentity(s: LivenessState, face: ObservedFace, settings: LivenessSettings): LivenessState {
  const turned = Math.max(Math.abs(face.yawDeg), Math.abs(face.pitchDeg)) > settings.identityMaxAngleDeg;
  if (!face.descriptor || turned || !isStarted(s)) return s;
  if (!s.identity) return { ...s, identity: face.descriptor };
  const changed = cosineDistance(s.identity, face.descriptor) > settings.faceChangedDistance;
  const changedReadings = changed ? s.changedReadings + 1 : 0;
  return { ...s, changedReadings, failure: changedReadings >= settings.faceChangedReadings ? 'face_changed' : s.failure };
}

function startChallenge(s: LivenessState, index: number, plugins: ChallengePlugins): LivenessState {
  const plugin = pluginOf(plugins, s.challenges[index].id);
  return {
    ...s,
    current: index,
    framesInChallenge: 0,
    pluginState: plugin.initialState(),
    hintKey: undefined,
    challenges: s.challenges.map((c, i) => (i === index ? { ...c, status: 'running' } : c)),
  };
}

function pluginOf(plugins: ChallengePlugins, id: string): ChallengeDefinition {
  const plugin = plugins.get(id);
  if (!plugin) throw new Error(`challenge ${id} is not installed`);
  return plugin;
}

/**
 * Folds one observation into the liveness phase: warnings, failures (multiple faces, face lost, face changed),
 * the stable-face gate, and one step of the running challenge. Pure.
 */
export function observeFace(
  state: LivenessState,
  observation: FaceObservation,
  plugins: ChallengePlugins,
  settings: LivenessSettings,
): LivenessState {
  let s = withWarnings(isStarted(state) ? { ...state, framesInChallenge: state.framesInChallenge + 1 } : state, observation, settings);
  const face = observation.faceCount === 1 ? observation.face : undefined;
  if (s.failure || !face) return { ...s, steadySinceMs: undefined };
  s = withIdentity(s, face, settings);
  if (s.failure) return s;
  if (!isStarted(s)) {
    const steadySinceMs = s.steadySinceMs ?? observation.timestampMs;
    s = { ...s, steadySinceMs };
    return observation.timestampMs - steadySinceMs >= settings.steadyMs ? startChallenge(s, 0, plugins) : s;
  }
  const running = s.challenges[s.current];
  if (running.status !== 'running') return s;
  const step = pluginOf(plugins, running.id).step(s.pluginState, { timestampMs: observation.timestampMs, face });
  const status = step.status;
  return {
    ...s,
    pluginState: step.state,
    hintKey: step.hintKey,
    failure: status === 'failed' ? 'challenge_failed' : undefined,
    challenges: s.challenges.map((c, i) => (i === s.current ? { ...c, status, progress: status === 'passed' ? 1 : step.progress } : c)),
  };
}

/**
 * The challenges run back to back: once the running one passed, the next one starts. The same state otherwise
 * (nothing passed yet, or the last one passed: allPassed then holds). What a flow, the trace tests and the replay
 * script do after every observation.
 */
export function advanceWhenPassed(state: LivenessState, plugins: ChallengePlugins): LivenessState {
  return currentPassed(state) && !allPassed(state) ? startChallenge(state, state.current + 1, plugins) : state;
}

/** True when a challenge that ran for `elapsedMs` got fewer analysed frames than settings.minAnalysedFps allows. */
export function analysedTooSlowly(state: LivenessState, elapsedMs: number, settings: LivenessSettings): boolean {
  return state.framesInChallenge < (elapsedMs / 1000) * settings.minAnalysedFps;
}

/** One more challenge after the selected ones, pending until the ones before it passed (the PAD step-up). */
export function addChallenge(state: LivenessState, id: string): LivenessState {
  return { ...state, challenges: [...state.challenges, { id, status: 'pending', progress: 0 }] };
}

/** Marks the running challenge failed (e.g. on its timeout). */
export function failCurrent(state: LivenessState): LivenessState {
  return { ...state, challenges: state.challenges.map((c, i) => (i === state.current ? { ...c, status: 'failed' } : c)) };
}

/**
 * Open eyes for live evidence: MediaPipe's eyeBlink blendshapes when the engine has them (< 0.5; closed reads
 * 0.62–0.80), since behind glasses on a small face the mesh's eye aspect ratio reads 0.03–0.17 with the eyes
 * open (headturn_webcam_zubair_real 6–7 s, eyeBlink ≤ 0.04); otherwise the eye aspect ratio above 0.18.
 */
function eyesOpenForMatching(face: ObservedFace): boolean {
  const b = face.blendshapes;
  if (b?.eyeBlinkLeft !== undefined && b.eyeBlinkRight !== undefined) return Math.max(b.eyeBlinkLeft, b.eyeBlinkRight) < 0.5;
  return Math.min(face.eyeOpenness.left, face.eyeOpenness.right) > 0.18;
}

/**
 * How good a frame is as live evidence for face matching, or undefined when it should not be used:
 * frontal, sharp, large enough and lit. Higher is better.
 */
export function matchingScore(face: ObservedFace): number | undefined {
  const frontal = Math.max(Math.abs(face.yawDeg), Math.abs(face.pitchDeg));
  const eyesOpen = eyesOpenForMatching(face);
  if (frontal > 15 || !eyesOpen || face.quality.brightness < 40 || face.quality.faceShare < 0.02) return undefined;
  const frontality = 1 - frontal / 15;
  const sharpness = Math.min(face.quality.sharpness / 200, 1);
  const size = Math.min(face.quality.faceShare / 0.15, 1);
  return face.score * (0.4 * frontality + 0.4 * sharpness + 0.2 * size);
}
