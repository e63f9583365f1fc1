import { bool, type EnvValues, num, optionalStr } from '../config/env';
import type { CallbackSettings } from './http-callback.adapter';

export const callbacksEnv = {
  CALLBACK_INCLUDE_DETAILS: bool(false, 'Send a JSON body {reason, challenges, match} with the success/failure PUT'),
  CALLBACK_HMAC_SECRET: optionalStr(
    'When set, sign callbacks: X-Vision-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">, and Standard Webhooks webhook-signature (a whsec_<base64> secret is its key decoded)',
  ),
  CALLBACK_MAX_ATTEMPTS: num(6, 'Attempts of the terminal callback on network errors and 5xx', { min: 1, max: 20 }),
  CALLBACK_BACKOFF_MS: num(2000, 'First retry delay; doubles each attempt (2+4+8+16+32 s)', { min: 10, max: 60000 }),
  CALLBACK_TIMEOUT_S: num(10, 'Limit of one callback attempt', { min: 1, max: 120 }),
};

/** How terminal callbacks are sent (ms) and retried. */
export interface CallbackPolicy {
  /** One attempt (the adapter adds the outbound guard). */
  delivery: Omit<CallbackSettings, 'outbound'>;
  maxAttempts: number;
  /** First retry delay; doubles each attempt. */
  backoffMs: number;
}

export function callbackPolicy(env: EnvValues<typeof callbacksEnv>): CallbackPolicy {
  return {
    delivery: {
      includeDetails: env.CALLBACK_INCLUDE_DETAILS,
      hmacSecret: env.CALLBACK_HMAC_SECRET,
      timeoutMs: env.CALLBACK_TIMEOUT_S * 1000,
    },
    maxAttempts: env.CALLBACK_MAX_ATTEMPTS,
    backoffMs: env.CALLBACK_BACKOFF_MS,
  };
}
