import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';

const PUBLIC = 'vision:public';

/** Marks a route that never needs the API key (health, readiness, metrics). */
export const Public = () => SetMetadata(PUBLIC, true);

/** The key a request presents: `X-API-Key`, or `Authorization: Bearer <key>`. */
function presentedKey(request: Request): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return bearer?.[1];
}

/** With VISION_API_KEY set, every route but the @Public ones answers 401 without the key. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly key?: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.key = config.server.VISION_API_KEY ? Buffer.from(config.server.VISION_API_KEY) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.key) return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const presented = Buffer.from(presentedKey(context.switchToHttp().getRequest<Request>()) ?? '');
    if (presented.length === this.key.length && timingSafeEqual(presented, this.key)) return true;
    throw new UnauthorizedException({ error: 'unauthorized', message: 'a valid API key is required (X-API-Key header)' });
  }
}
