import {
  defineChallenge,
  type ChallengeDefinition,
  type ChallengeInput,
  type ChallengeStep,
  type FaceSignal,
  type Threshold,
  type Validation,
} from '../src/liveness/challenge-definition';
import { hold, heldFor, holdProgress, NOT_HELD, type Hold } from './held';

/**
 * The shape shared by expression challenges: a relaxed face held, then the expression held, then relaxed
 * again. `level` reads the signal (0 = relaxed), `on`/`off` are its thresholds with hysteresis.
 */
export interface ExpressionRule {
  level(input: ChallengeInput): number;
  validatedOn?: Validation;
  /** Extra condition for the expression to count (e.g. a grin is not an open mouth). */
  accepts?(input: ChallengeInput): boolean;
  /** Locale key of a hint for this frame (e.g. why `accepts` refuses it). */
  hint?(input: ChallengeInput): string | undefined;
  relaxed: Threshold;
  on: Threshold;
  /** Once on, stays on while the level is above this. */
  keep: Threshold;
  relaxedFor: Threshold;
  onFor: Threshold;
}

/** Where the subject is in relaxed → expression → relaxed. */
export interface ExpressionState {
  phase: 'settle' | 'ready' | 'express' | 'release';
  held: Hold;
}

export const initialExpression = (): ExpressionState => ({ phase: 'settle', held: NOT_HELD });

/** One step of relaxed → expression (held) → relaxed, with the rule's hint. */
export function stepExpression(rule: ExpressionRule, s: ExpressionState, input: ChallengeInput): ChallengeStep<ExpressionState> {
  const step = stepPhases(rule, s, input);
  const hintKey = step.status === 'running' ? rule.hint?.(input) : undefined;
  return hintKey ? { ...step, hintKey } : step;
}

function stepPhases(rule: ExpressionRule, s: ExpressionState, input: ChallengeInput): ChallengeStep<ExpressionState> {
  const now = input.timestampMs;
  const level = rule.level(input);
  const relaxed = level <= rule.relaxed.value;
  const running = (state: ExpressionState, progress: number): ChallengeStep<ExpressionState> => ({ state, progress, status: 'running' });
  switch (s.phase) {
    case 'settle': {
      const held = hold(s.held, relaxed, now);
      return heldFor(held, now, rule.relaxedFor.value * 1000)
        ? running({ phase: 'ready', held: NOT_HELD }, 0.1)
        : running({ phase: 'settle', held }, 0);
    }
    case 'ready': {
      const on = level >= rule.on.value && (rule.accepts?.(input) ?? true);
      return on ? running({ phase: 'express', held: hold(NOT_HELD, true, now) }, 0.2) : running(s, 0.1);
    }
    case 'express': {
      const on = level >= rule.keep.value && (rule.accepts?.(input) ?? true);
      if (!on) return running({ phase: 'ready', held: NOT_HELD }, 0.1);
      const held = hold(s.held, true, now);
      if (heldFor(held, now, rule.onFor.value * 1000)) return running({ phase: 'release', held: NOT_HELD }, 0.8);
      return running({ phase: 'express', held }, 0.2 + 0.6 * holdProgress(held, now, rule.onFor.value * 1000));
    }
    case 'release':
      return relaxed ? { state: s, progress: 1, status: 'passed' } : running(s, 0.8);
  }
}

/** Declares an expression challenge; its instruction key is `challenge.<id>`. */
export function defineExpression(id: string, needs: readonly FaceSignal[], rule: ExpressionRule): ChallengeDefinition<ExpressionState> {
  const { relaxed, on, keep, relaxedFor, onFor } = rule;
  return defineChallenge<ExpressionState>({
    id,
    instructionKey: `challenge.${id}`,
    needs,
    thresholds: { relaxed, on, keep, relaxedFor, onFor },
    validatedOn: rule.validatedOn,
    initialState: initialExpression,
    step: (state, input) => stepExpression(rule, state, input),
  });
}
