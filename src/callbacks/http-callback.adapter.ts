import { createHmac } from 'node:crypto';
import { deadline } from '../common/deadline';
import { messageOf } from '../common/errors';
import { flowLog } from '../observability/logger';
import { OutboundGuard, refusalOf } from '../outbound/outbound-guard';
import { joinUrl } from '../common/url';
import { CallbackError, CallbackPort, CallbackTarget, FlowOutcome } from './callback.port';

export interface CallbackSettings {
  includeDetails: boolean;
  hmacSecret?: string;
  timeoutMs: number;
  outbound: OutboundGuard;
}

/** Header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'x-vision-signature';

/** The signature header value of a body sent at `unixSeconds`. */
export function signCallback(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** PUT {callback_base_url}/success|failure/{token}, with no body unless details are enabled. */
export class HttpCallbackAdapter implements CallbackPort {
  constructor(private readonly settings: CallbackSettings) {}

  async send(target: CallbackTarget, outcome: FlowOutcome, attempt: number, signal: AbortSignal): Promise<void> {
    const log = flowLog(target.flowId, target.token);
    const url = joinUrl(target.callbackBaseUrl, outcome.status, target.token);
    const body = this.settings.includeDetails
      ? JSON.stringify({ reason: outcome.reason ?? null, challenges: outcome.challenges, match: outcome.match ?? null })
      : '';
    const headers: Record<string, string> = {};
    if (body) headers['content-type'] = 'application/json';
    if (this.settings.hmacSecret) headers[SIGNATURE_HEADER] = signCallback(this.settings.hmacSecret, Math.floor(Date.now() / 1000), body);
    log.log(`callback attempt ${attempt}: PUT ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}`);
    let status: number;
    const limit = deadline(signal, this.settings.timeoutMs);
    try {
      this.settings.outbound.assertUrl(new URL(url));
      const response = await fetch(url, {
        dispatcher: this.settings.outbound.dispatcher,
        method: 'PUT',
        headers,
        body: body || undefined,
        redirect: 'error',
        signal: limit.signal,
      } as RequestInit);
      await response.body?.cancel();
      status = response.status;
    } catch (error) {
      const refused = refusalOf(error);
      if (refused) throw new CallbackError(`PUT ${outcome.status} refused: ${refused.message}`, false);
      throw new CallbackError(`PUT ${outcome.status} failed: ${messageOf(error)}`, true);
    } finally {
      limit.dispose();
    }
    if (status >= 200 && status < 300) {
      log.log(`callback attempt ${attempt}: controller answered ${status}`);
      return;
    }
    throw new CallbackError(`PUT ${outcome.status} answered ${status}`, status >= 500 || status === 429 || status === 408);
  }
}
