import { type EnvValues, list, num } from '../config/env';
import type { FlowSettings } from './flow.types';

export const flowEnv = {
  FLOW_TIMEOUT_S: num(120, 'Whole-flow limit; past it the flow fails with flow_timeout', { min: 5, max: 3600 }),
  JOIN_TIMEOUT_S: num(15, 'Limit to join the room and see the subject video', { min: 1, max: 300 }),
  NUMBER_OF_GESTURES_TO_REQUEST: num(2, 'Challenges asked per flow, picked at random without repeats', { min: 1, max: 10 }),
  CHALLENGES: list(
    [],
    'Challenge ids to pick from (comma-separated); empty means the ones validated on labelled real footage (see challenges/README.md)',
  ),
  CHALLENGE_TIMEOUT_S: num(10, 'Time the subject has for each challenge', { min: 1, max: 120 }),
  FACE_LOST_S: num(5, 'No face for this long during the challenges fails the flow with face_lost', { min: 1, max: 60 }),
  INSTRUCTION_S: num(2, 'How long the first instruction shows before the challenges start', { min: 0, max: 30, float: true }),
  RESULT_DISPLAY_S: num(2, 'How long the verdict shows before leaving the room', { min: 0, max: 30, float: true }),
  LEAVE_TIMEOUT_S: num(5, 'Limit to leave the room cleanly', { min: 1, max: 60 }),
};

/** The flow's durations, ms (each flow's FlowSettings are built from them; faceLostMs goes to its liveness settings). */
export type FlowTimes = Pick<
  FlowSettings,
  'flowTimeoutMs' | 'joinTimeoutMs' | 'instructionMs' | 'challengeTimeoutMs' | 'resultDisplayMs' | 'leaveTimeoutMs'
> & { faceLostMs: number };

export function flowTimes(env: EnvValues<typeof flowEnv>): FlowTimes {
  return {
    flowTimeoutMs: env.FLOW_TIMEOUT_S * 1000,
    joinTimeoutMs: env.JOIN_TIMEOUT_S * 1000,
    instructionMs: env.INSTRUCTION_S * 1000,
    challengeTimeoutMs: env.CHALLENGE_TIMEOUT_S * 1000,
    resultDisplayMs: env.RESULT_DISPLAY_S * 1000,
    leaveTimeoutMs: env.LEAVE_TIMEOUT_S * 1000,
    faceLostMs: env.FACE_LOST_S * 1000,
  };
}
