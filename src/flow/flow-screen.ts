import type { Locales } from '../common/locales';
import type { ChallengePlugins } from '../liveness/liveness';
import type { InstructionScreen } from '../render/instruction-screen';
import type { FlowContext, ScreenPhase } from './flow.types';

/** What the subject sees in a given phase, in their language. */
export function statusScreen(phase: Exclude<ScreenPhase, 'challenge'>, context: FlowContext, locales: Locales): InstructionScreen {
  const key = {
    waiting: 'status.waiting',
    instructing: 'status.get_ready',
    look_at_camera: 'hint.look_at_camera',
    processing: 'status.please_wait',
    verified: 'status.verified',
    not_verified: 'status.not_verified',
  }[phase];
  return { phase, text: locales.text(context.request.lang, key) };
}

/** The running challenge's instruction, deadline (the renderer draws the countdown from it) and warning or hint. */
export function challengeScreen(context: FlowContext, plugins: ChallengePlugins, locales: Locales): InstructionScreen {
  const { liveness, request, challengeEndsAtMs } = context;
  const lang = request.lang;
  const running = liveness.challenges[liveness.current];
  const warningKey = liveness.warningKey ?? liveness.hintKey;
  const warning = warningKey ? locales.text(lang, warningKey) : undefined;
  // Until the challenge's clock runs (the same step starts it), the subject gets ready.
  if (!running || challengeEndsAtMs === undefined) return { phase: 'instructing', text: locales.text(lang, 'status.get_ready'), warning };
  return {
    phase: 'challenge',
    text: locales.text(lang, plugins.get(running.id)?.instructionKey ?? `challenge.${running.id}`),
    warning,
    challenge: { index: liveness.current + 1, total: liveness.challenges.length, endsAtMs: challengeEndsAtMs, progress: running.progress },
  };
}
