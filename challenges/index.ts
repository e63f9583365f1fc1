import type { ChallengeDefinition } from '../src/liveness/challenge-definition';
import blink from './blink';
import lookDown from './look-down';
import lookEyesLeft from './look-eyes-left';
import lookEyesRight from './look-eyes-right';
import lookUp from './look-up';
import openCloseMouth from './open-close-mouth';
import smile from './smile';
import tiltHeadLeft from './tilt-head-left';
import tiltHeadRight from './tilt-head-right';
import turnHeadLeft from './turn-head-left';
import turnHeadRight from './turn-head-right';

/** Every installed challenge plugin. */
export const ALL_CHALLENGES: readonly ChallengeDefinition<any>[] = [
  blink,
  smile,
  openCloseMouth,
  turnHeadLeft,
  turnHeadRight,
  lookUp,
  lookDown,
  lookEyesLeft,
  lookEyesRight,
  tiltHeadLeft,
  tiltHeadRight,
];
