/** Pieces shared by the end-to-end tests and bench:flows: the service's settings for bot subjects, and polls of its API. */
import type { FlowView } from '../../src/api/flow-view.dto';
import { pollUntil } from '../support/wait';

/** Challenges a cooperative bot can pass with one person (PERFORMERS.d18), two per flow. */
export const BOT_CHALLENGES = { CHALLENGES: 'blink,open-close-mouth', NUMBER_OF_GESTURES_TO_REQUEST: '2' };

/**
 * Service settings for flows with bot subjects: short screens, and roomy limits (on a shared 2-core machine several
 * flows at once may get only a few analysed frames per second). Callback details on, retried quickly.
 */
export const BOT_FLOW_SETTINGS = {
  INSTRUCTION_S: '1',
  CHALLENGE_TIMEOUT_S: '15',
  FACE_LOST_S: '10',
  RESULT_DISPLAY_S: '0.5',
  LEAVE_TIMEOUT_S: '2',
  MATCHER_WORKERS: '1',
  CALLBACK_INCLUDE_DETAILS: 'true',
  CALLBACK_BACKOFF_MS: '50',
};

/** A data URL of image bytes. */
export function dataUrl(bytes: Buffer, type = 'image/jpeg'): string {
  return `data:${type};base64,${bytes.toString('base64')}`;
}

/** GET /flows/{id}. */
export async function flowView(baseUrl: string, flowId: string): Promise<FlowView> {
  const res = await fetch(`${baseUrl}/flows/${encodeURIComponent(flowId)}`);
  if (!res.ok) throw new Error(`GET /flows/${flowId} answered ${res.status}`);
  return (await res.json()) as FlowView;
}

/** The view of a flow once it has reported and left the room (state `done`). */
export function finishedFlow(baseUrl: string, flowId: string, timeoutMs = 90_000): Promise<FlowView> {
  return pollUntil(
    async () => {
      const view = await flowView(baseUrl, flowId);
      return view.state === 'done' ? view : undefined;
    },
    timeoutMs,
    `flow ${flowId} to end`,
  );
}
