/**
 * Committed numeric traces of the fixture clips (written by scripts/extract-traces.ts from the real engine):
 * one row per analysed frame, numbers only — no pixels, no landmarks, no identity descriptor.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaceObservation } from '../../src/face/face-observation';
import type { ChallengeDefinition } from '../../src/liveness/challenge-definition';

/** The engine's blendshape scores the plugins read (MediaPipe's names), kept per frame; 0 when the engine lacks one. */
export const TRACE_BLENDSHAPES = [
  'eyeLookInLeft',
  'eyeLookOutLeft',
  'eyeLookInRight',
  'eyeLookOutRight',
  'eyeBlinkLeft',
  'eyeBlinkRight',
  'jawOpen',
  'mouthSmileLeft',
  'mouthSmileRight',
] as const;

/** Row layout; a frame without a face has only [t_s, faceCount]. */
export const TRACE_COLUMNS = [
  't_s',
  'faces',
  'yaw',
  'pitch',
  'roll',
  'eye_l',
  'eye_r',
  'mouth',
  'smile',
  'face_share',
  'brightness',
  'sharpness',
  'score',
  ...TRACE_BLENDSHAPES,
] as const;

/** A clip's trace as stored in test/traces/<clip>.json. */
export interface Trace {
  clip: string;
  /** The engine that measured it (FACE_ENGINE's name). */
  engine: string;
  fps: number;
  columns: string[];
  frames: number[][];
}

const r = (v: number, digits = 3): number => Number(v.toFixed(digits));

/** One observation as a compact row. */
export function toTraceRow(o: FaceObservation): number[] {
  const head = [r(o.timestampMs / 1000), o.faceCount];
  const f = o.face;
  if (!f) return head;
  const raw = f.blendshapes ?? {};
  return [
    ...head,
    r(f.yawDeg, 1),
    r(f.pitchDeg, 1),
    r(f.rollDeg, 1),
    r(f.eyeOpenness.left),
    r(f.eyeOpenness.right),
    r(f.mouthOpenness),
    r(f.smile),
    r(f.quality.faceShare),
    r(f.quality.brightness, 0),
    r(f.quality.sharpness, 0),
    r(f.score),
    ...TRACE_BLENDSHAPES.map((name) => r(raw[name] ?? 0)),
  ];
}

/** Rebuilds the observation of a row (box and image size are synthetic: traces do not keep them). */
export function fromTraceRow(row: readonly number[]): FaceObservation {
  const [t, faces, yaw, pitch, roll, eyeL, eyeR, mouth, smile, share, brightness, sharpness, score, ...scores] = row;
  const observation: FaceObservation = { timestampMs: Math.round(t * 1000), imageWidth: 640, imageHeight: 480, faceCount: faces };
  if (row.length <= 2) return observation;
  const side = Math.sqrt(share * 640 * 480);
  return {
    ...observation,
    face: {
      box: { x: 320 - side / 2, y: 240 - side / 2, width: side, height: side },
      score,
      yawDeg: yaw,
      pitchDeg: pitch,
      rollDeg: roll,
      eyeOpenness: { left: eyeL, right: eyeR },
      mouthOpenness: mouth,
      smile,
      quality: { faceShare: share, brightness, sharpness },
      blendshapes: Object.fromEntries(TRACE_BLENDSHAPES.map((name, i) => [name, scores[i]])),
    },
  };
}

/** Loads test/traces/<name>.json as observations. */
export function loadTrace(name: string): FaceObservation[] {
  const trace = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'test', 'traces', `${name}.json`), 'utf8')) as Trace;
  if (trace.columns.join() !== TRACE_COLUMNS.join())
    throw new Error(`test/traces/${name}.json has other columns: run npm run traces:extract`);
  return trace.frames.map(fromTraceRow);
}
/** Result of running one challenge over observations. */
export interface ReplayResult {
  passed: boolean;
  /** Time of the passing frame, seconds (undefined when not passed). */
  atS?: number;
  /** Frames with exactly one face fed to the plugin. */
  frames: number;
}

/** Feeds observations from `startS` on to a plugin until it passes or fails (frames without one face skipped). */
export function replayChallenge(
  plugin: ChallengeDefinition<any>,
  observations: readonly FaceObservation[],
  startS = 0,
  endS = Infinity,
): ReplayResult {
  let state = plugin.initialState();
  let frames = 0;
  for (const o of observations) {
    if (o.timestampMs < startS * 1000 || o.timestampMs > endS * 1000 || o.faceCount !== 1 || !o.face) continue;
    frames++;
    const step = plugin.step(state, { timestampMs: o.timestampMs, face: o.face });
    state = step.state;
    if (step.status !== 'running')
      return { passed: step.status === 'passed', atS: step.status === 'passed' ? o.timestampMs / 1000 : undefined, frames };
  }
  return { passed: false, frames };
}
