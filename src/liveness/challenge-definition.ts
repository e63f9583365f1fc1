import type { FaceSignal } from '../face/face-analysis.port';
import type { ObservedFace } from '../face/face-observation';

/** Face signals a challenge reads; the running engine must measure them for the challenge to be offered. */
export type { FaceSignal };

/** A threshold with its unit and the reason for its value, so a reader can check it against the traces. */
export interface Threshold {
  value: number;
  unit: 'ratio' | 'degrees' | 'seconds' | 'score' | 'frames';
  why: string;
}

/** One observed frame with a face, as a challenge step sees it. */
export interface ChallengeInput {
  timestampMs: number;
  face: ObservedFace;
}

/** The result of one step. `hintKey` is a locale key shown to the subject. */
export interface ChallengeStep<S> {
  state: S;
  /** 0..1, for the progress bar. */
  progress: number;
  status: 'running' | 'passed' | 'failed';
  hintKey?: string;
}

/** A labelled real clip a challenge passes on (its trace is test/traces/<clip>.json), and when it passes. */
export interface Validation {
  clip: string;
  passesAtS: number;
}

/** A liveness challenge plugin. State must be plain JSON data; step must be pure. */
export interface ChallengeDefinition<S = unknown> {
  /** Kebab-case id, as in CHALLENGES (`blink`, `turn-head-left`). */
  id: string;
  /** Locale key of the instruction shown while the challenge runs. */
  instructionKey: string;
  needs: readonly FaceSignal[];
  thresholds: Readonly<Record<string, Threshold>>;
  /** Set once the challenge passes on labelled real footage: only validated challenges are on by default. */
  validatedOn?: Validation;
  initialState(): S;
  step(state: S, input: ChallengeInput): ChallengeStep<S>;
}

/** Declares a challenge plugin; checks its id so mistakes fail at load time. */
export function defineChallenge<S>(definition: ChallengeDefinition<S>): ChallengeDefinition<S> {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.id)) {
    throw new Error(`challenge id "${definition.id}" must be kebab-case`);
  }
  return definition;
}
