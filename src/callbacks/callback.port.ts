import type { FailureReason } from '../common/errors';
import type { FlowLog } from '../observability/logger';
import type { PadView } from '../pad/pad-view';

/** The terminal outcome of a flow, as told to the controller. */
export interface FlowOutcome {
  status: 'success' | 'failure';
  /** Set on failure. */
  reason?: FailureReason;
  challenges: { id: string; passed: boolean }[];
  match?: { distance: number; threshold: number };
  /** The passive presentation-attack check's scores and windows, unless PAD_POLICY=off. */
  pad?: PadView;
}

/** Where a flow reports. */
export interface CallbackTarget {
  flowId: string;
  token: string;
  callbackBaseUrl: string;
  /** The `webhook-id` recorded with the verdict (a flow adopted from another replica); default webhookId(flowId, status). */
  webhookId?: string;
}

/** Sends one attempt of the terminal callback; the flow machine owns retries. */
export interface CallbackPort {
  /** Resolves on a 2xx. Rejects with a CallbackError telling whether a retry may help. Logs to the flow's `log`. */
  send(target: CallbackTarget, outcome: FlowOutcome, attempt: number, signal: AbortSignal, log: FlowLog): Promise<void>;
}

/** A failed callback attempt. */
export class CallbackError extends Error {
  constructor(
    message: string,
    /** Network errors, timeouts and 5xx are retryable; 4xx is not. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'CallbackError';
  }
}

/** Whether another attempt follows `attempt` that failed with `error` (a 4xx is final), of `maxAttempts`. */
export function callbackMayRetry(error: unknown, attempt: number, maxAttempts: number): boolean {
  return !(error instanceof CallbackError && !error.retryable) && attempt < maxAttempts;
}

/** The wait after failed attempt `attempt` (1-based): `backoffMs`, doubling each attempt. */
export function callbackBackoffMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** (attempt - 1);
}

export const CALLBACK_PORT = Symbol('CallbackPort');
