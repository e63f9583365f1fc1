import { createHmac } from 'node:crypto';
import { deadline } from '../common/deadline';
import { messageOf } from '../common/errors';
import type { FlowLog } from '../observability/logger';
import { GuardedResponse, OutboundGuard, PUT_REDIRECTS, refusalOf } from '../outbound/outbound-guard';
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

/** Redirects a callback follows (307/308 only: they keep the PUT and its body). */
const MAX_REDIRECTS = 3;

/** The signature header value of a body sent at `unixSeconds`. */
export function signCallback(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** The Standard Webhooks key of a secret: the bytes after `whsec_` base64-decoded, else the secret's UTF-8 bytes. */
function webhookKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** Standard Webhooks `webhook-signature`: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`. */
export function signWebhook(secret: string, id: string, unixSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', webhookKey(secret)).update(`${id}.${unixSeconds}.${body}`).digest('base64')}`;
}

/** The `webhook-id` of a flow's outcome: the same on every attempt, so a controller can drop repeats. */
export function webhookId(flowId: string, status: FlowOutcome['status']): string {
  return `msg_${flowId}_${status}`;
}

/** PUT {callback_base_url}/success|failure/{token}, with no body unless details are enabled. */
export class HttpCallbackAdapter implements CallbackPort {
  constructor(private readonly settings: CallbackSettings) {}

  async send(target: CallbackTarget, outcome: FlowOutcome, attempt: number, signal: AbortSignal, log: FlowLog): Promise<void> {
    const url = joinUrl(target.callbackBaseUrl, outcome.status, target.token);
    const body = this.settings.includeDetails
      ? JSON.stringify({
          reason: outcome.reason ?? null,
          challenges: outcome.challenges,
          match: outcome.match ?? null,
          ...(outcome.pad && { pad: outcome.pad }),
        })
      : '';
    const id = target.webhookId ?? webhookId(target.flowId, outcome.status);
    const now = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(now) };
    if (body) headers['content-type'] = 'application/json';
    if (this.settings.hmacSecret) {
      headers[SIGNATURE_HEADER] = signCallback(this.settings.hmacSecret, now, body);
      headers['webhook-signature'] = signWebhook(this.settings.hmacSecret, id, now, body);
    }
    log.log(`callback attempt ${attempt}: PUT ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''}, webhook-id ${id}`);
    let answer: GuardedResponse;
    const limit = deadline(signal, this.settings.timeoutMs);
    try {
      answer = await this.settings.outbound.fetch(
        new URL(url),
        { method: 'PUT', headers, body: body || undefined, signal: limit.signal },
        { max: MAX_REDIRECTS, statuses: PUT_REDIRECTS },
      );
      await answer.response.body?.cancel();
    } catch (error) {
      const refused = refusalOf(error);
      if (refused) throw new CallbackError(`PUT ${outcome.status} refused: ${refused.message}`, false);
      throw new CallbackError(`PUT ${outcome.status} failed: ${messageOf(error)}`, true);
    } finally {
      limit.dispose();
    }
    const { status, headers: answered } = answer.response;
    const where = answer.hops > 0 ? ` (after ${answer.hops} redirects, at ${answer.url.origin})` : '';
    if (status >= 200 && status < 300) {
      log.log(`callback attempt ${attempt}: controller answered ${status}${where}`);
      return;
    }
    if (status >= 300 && status < 400) {
      const followed = PUT_REDIRECTS.includes(status) ? `more than ${MAX_REDIRECTS} redirects` : 'only 307 and 308 are followed for a PUT';
      throw new CallbackError(
        `PUT ${outcome.status} answered ${status} to ${answered.get('location') ?? 'no location'}${where}: not followed (${followed}); fix callback_base_url`,
        false,
      );
    }
    throw new CallbackError(`PUT ${outcome.status} answered ${status}${where}`, status >= 500 || status === 429 || status === 408);
  }
}
