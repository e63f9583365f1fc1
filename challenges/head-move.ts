import {
  defineChallenge,
  type ChallengeDefinition,
  type ChallengeInput,
  type ChallengeStep,
  type Threshold,
  type Validation,
} from '../src/liveness/challenge-definition';
import { hold, heldFor, NOT_HELD, type Hold } from './held';

/** A head movement along one axis, seen from the subject's own point of view (see FaceObservation). */
export interface HeadMove {
  axis: 'yawDeg' | 'pitchDeg' | 'rollDeg';
  validatedOn?: Validation;
  /** +1: towards positive angles (own left, up, tilted to the own left shoulder); -1: the other way. */
  sign: 1 | -1;
  /** Angle to rise above the lowest angle seen in the asked direction. */
  reach: Threshold;
  hold: Threshold;
  /** Also required of the angle itself (the head must end up turned or tilted, not just come back from the other side). */
  atLeast?: Threshold;
  /** Hint when the subject moves the other way. */
  wrongWayHintKey: string;
}

/** The first and lowest angles seen so far (in the asked direction) and how long the target has been held. */
export interface HeadMoveState {
  /** Angle on the first frame, for the wrong-way hint. */
  first?: number;
  low?: number;
  held: Hold;
}

/** Moving this far the wrong way shows the hint, in degrees. */
const WRONG_WAY_DEG = 10;

export const initialHeadMove = (): HeadMoveState => ({ held: NOT_HELD });

/**
 * One step of a head movement: the angle must rise `reach` above the lowest angle seen since the challenge began
 * (in the asked direction) and stay there for `hold` (≥ 2 frames). Relative, because a camera below the face reads
 * a constant pitch of −5…−10° at rest; from the lowest point, so a head that starts already turned must come back
 * and turn again.
 */
export function stepHeadMove(move: HeadMove, s: HeadMoveState, { timestampMs, face }: ChallengeInput): ChallengeStep<HeadMoveState> {
  const angle = face[move.axis] * move.sign;
  const first = s.first ?? angle;
  const low = Math.min(s.low ?? angle, angle);
  const moved = angle - low;
  const reached = moved >= move.reach.value && (move.atLeast === undefined || angle >= move.atLeast.value);
  const held = hold(s.held, reached, timestampMs);
  if (heldFor(held, timestampMs, move.hold.value * 1000)) return { state: { first, low, held }, progress: 1, status: 'passed' };
  const progress = Math.max(0, Math.min(0.95, moved / move.reach.value));
  const wrongWay = angle - first <= -WRONG_WAY_DEG;
  return { state: { first, low, held }, progress, status: 'running', hintKey: wrongWay ? move.wrongWayHintKey : undefined };
}

/** Declares a head-movement challenge; its instruction key is `challenge.<id>`. */
export function defineHeadMove(id: string, move: HeadMove): ChallengeDefinition<HeadMoveState> {
  return defineChallenge<HeadMoveState>({
    id,
    instructionKey: `challenge.${id}`,
    needs: ['headPose'],
    thresholds: { reach: move.reach, hold: move.hold, ...(move.atLeast ? { atLeast: move.atLeast } : {}) },
    validatedOn: move.validatedOn,
    initialState: initialHeadMove,
    step: (state, input) => stepHeadMove(move, state, input),
  });
}
