import { defineChallenge, type ChallengeDefinition, type ChallengeInput, type ChallengeStep, type Threshold } from '../src/liveness/challenge-definition';
import { hold, heldFor, NOT_HELD, type Hold } from './held';

/** A head movement along one axis, seen from the subject's own point of view (see FaceObservation). */
export interface HeadMove {
  axis: 'yawDeg' | 'pitchDeg';
  /** +1: towards positive angles (own left, up); -1: the other way. */
  sign: 1 | -1;
  /** Angle to reach, measured from where the head was when the challenge started. */
  reach: Threshold;
  hold: Threshold;
  /** Hint when the subject moves the other way. */
  wrongWayHintKey: string;
}

/** Start angle (mean of the first frames) and how long the target has been held. */
export interface HeadMoveState {
  start?: number;
  startFrames: number;
  held: Hold;
}

/** Frames averaged for the start angle. */
const START_FRAMES = 3;
/** Moving this far the wrong way shows the hint, in degrees. */
const WRONG_WAY_DEG = 10;

export const initialHeadMove = (): HeadMoveState => ({ startFrames: 0, held: NOT_HELD });

/**
 * One step of a head movement: the angle relative to the start must exceed `reach` for `hold` (≥ 2 frames).
 * Relative, because a camera below the face reads a constant pitch of −5…−10° at rest.
 */
export function stepHeadMove(move: HeadMove, s: HeadMoveState, { timestampMs, face }: ChallengeInput): ChallengeStep<HeadMoveState> {
  const angle = face[move.axis];
  if (s.startFrames < START_FRAMES) {
    const start = s.start === undefined ? angle : (s.start * s.startFrames + angle) / (s.startFrames + 1);
    return { state: { ...s, start, startFrames: s.startFrames + 1 }, progress: 0, status: 'running' };
  }
  // The start angle is capped: a head already turned the right way at the start still has to turn for real.
  const start = Math.max(-move.reach.value / 2, Math.min(move.reach.value / 2, s.start ?? 0));
  const moved = (angle - start) * move.sign;
  const held = hold(s.held, moved >= move.reach.value, timestampMs);
  if (heldFor(held, timestampMs, move.hold.value * 1000)) return { state: { ...s, held }, progress: 1, status: 'passed' };
  const progress = Math.max(0, Math.min(0.95, moved / move.reach.value));
  return { state: { ...s, held }, progress, status: 'running', hintKey: moved <= -WRONG_WAY_DEG ? move.wrongWayHintKey : undefined };
}

/** Declares a head-movement challenge; its instruction key is `challenge.<id>`. */
export function defineHeadMove(id: string, move: HeadMove): ChallengeDefinition<HeadMoveState> {
  return defineChallenge<HeadMoveState>({
    id,
    instructionKey: `challenge.${id}`,
    needs: ['headPose'],
    thresholds: { reach: move.reach, hold: move.hold },
    initialState: initialHeadMove,
    step: (state, input) => stepHeadMove(move, state, input),
  });
}
