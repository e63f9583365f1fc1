import type { ChallengeDefinition } from '../src/liveness/challenge-definition';
import blink from './blink';
import lookDown from './look-down';
import lookUp from './look-up';
import openCloseMouth from './open-close-mouth';
import smile from './smile';
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
];
