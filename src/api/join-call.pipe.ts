import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { messageOf } from '../common/errors';
import { OutboundGuard, OutboundRefused, portOf } from '../outbound/outbound-guard';
import { JoinCallRequestDto } from './join-call.dto';
import { FieldError, flatten, ValidationFailed } from './validation';

/** A validated join request and the fields it had that this version does not know. */
export interface JoinCallInput {
  request: JoinCallRequestDto;
  unknownFields: string[];
}

const FIELDS = ['ws_url', 'callback_base_url', 'datastore_base_url', 'token', 'lang'] as const;
/** Optional fields for which `""` and null mean absent (2060 controllers send `""` for "not set"). */
const OPTIONAL = new Set<string>(['datastore_base_url', 'lang']);
/** Keys that name Object.prototype members: refused even when unknown fields are accepted. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
/** Base URLs the service will call back: refused at once when the outbound policy would refuse them later. */
const OUTBOUND_FIELDS = ['callback_base_url', 'datastore_base_url'] as const;

/**
 * Validates POST /join-call: field rules (class-validator), unknown fields (accepted and reported, or refused with
 * STRICT_JOIN_CALL), and whether the controller's base URLs can be reached under the outbound policy.
 * Only known fields are copied out of the body, so no key of it ever reaches an object's prototype.
 */
@Injectable()
export class JoinCallPipe implements PipeTransform<unknown, Promise<JoinCallInput>> {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbound: OutboundGuard,
  ) {}

  async transform(body: unknown): Promise<JoinCallInput> {
    const raw = (body ?? {}) as Record<string, unknown>;
    const unknownFields = Object.keys(raw).filter((key) => !(FIELDS as readonly string[]).includes(key));
    const refused = unknownFields.filter((key) => this.config.server.STRICT_JOIN_CALL || RESERVED.has(key));
    const absent = (f: string) => OPTIONAL.has(f) && (raw[f] === '' || raw[f] === null);
    const known = FIELDS.filter((f) => Object.hasOwn(raw, f) && !absent(f)).map((f) => [f, raw[f]]);
    const request = plainToInstance(JoinCallRequestDto, Object.fromEntries(known));
    const details: FieldError[] = [
      ...flatten(await validate(request, { stopAtFirstError: true })),
      ...refused.map((field) => ({ field, message: `unknown field ${field}` })),
    ];
    if (details.length === 0) details.push(...(await this.unreachable(request)));
    if (details.length > 0) throw new ValidationFailed(details);
    return { request, unknownFields };
  }

  /** The base URLs the outbound guard would refuse to call, resolved now. */
  private async unreachable(request: JoinCallRequestDto): Promise<FieldError[]> {
    const problems = await Promise.all(
      OUTBOUND_FIELDS.filter((field) => typeof request[field] === 'string').map(async (field): Promise<FieldError | undefined> => {
        const url = new URL(request[field] as string);
        try {
          await this.outbound.resolve(url.hostname, portOf(url));
          return undefined;
        } catch (error) {
          if (error instanceof OutboundRefused) return { field, message: `${field} is refused by the outbound policy: ${error.message}` };
          const code = (error as NodeJS.ErrnoException).code;
          // Only a name that does not exist is final; a resolver hiccup is left to the connect-time check.
          if (code !== 'ENOTFOUND') return undefined;
          return { field, message: `${field} host ${url.hostname} does not resolve (${messageOf(error)})` };
        }
      }),
    );
    return problems.filter((p) => p !== undefined);
  }
}
