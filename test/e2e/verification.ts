/** Pieces shared by the end-to-end tests and bench:flows: the service's settings for bot subjects, and polls of its API. */
import type { FlowView } from '../../src/api/flow-view.dto';
import { pollUntil } from '../support/wait';

/** Challenges a cooperative bot can pass with one person (PERFORMERS.d18), two per flow. */
export const BOT_CHALLENGES = { CHALLENGES: 'blink,open-close-mouth', NUMBER_OF_GESTURES_TO_REQUEST: '2' };

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
