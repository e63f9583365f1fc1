import { DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FaceMatchBounds } from './face-match.body';
import { RATE_WINDOW_MS } from './face-match-rate-limit.guard';
import { FaceMatchController } from './face-match.controller';
import type { AppConfig } from '../../config/app-config';
import type { OutboundGuard } from '../../outbound/outbound-guard';
import { DEFAULT_FACE_MATCH_RATE_PER_MIN, FACE_MATCH_OPTIONS, FaceMatcher, FaceMatchOptions, FaceMatchService } from './face-match.service';

/**
 * POST /face_match (io2060/vision-matcher compatible) on a matcher the caller owns and closes. The app must parse
 * its bodies with `faceMatchBodyParser` (see face-match.body.ts). Requests from one address are rate-limited.
 */
@Module({})
export class FaceMatchModule {
  static forRoot(options: FaceMatchOptions): DynamicModule {
    return {
      module: FaceMatchModule,
      imports: [ThrottlerModule.forRoot([{ ttl: RATE_WINDOW_MS, limit: options.rateLimitPerMin ?? DEFAULT_FACE_MATCH_RATE_PER_MIN }])],
      controllers: [FaceMatchController],
      providers: [{ provide: FACE_MATCH_OPTIONS, useValue: options }, FaceMatchService],
    };
  }
}

/** The /face_match admission bounds from the configuration. */
export function faceMatchBounds(config: AppConfig): FaceMatchBounds {
  return { concurrency: config.matcher.FACE_MATCH_CONCURRENCY, queue: config.matcher.FACE_MATCH_QUEUE };
}

/** FaceMatchModule's options from the configuration: image URLs are fetched under the reference limits. */
export function faceMatchOptions(config: AppConfig, matcher: FaceMatcher, outbound: OutboundGuard): FaceMatchOptions {
  const { maxBytes, timeoutMs, maxRedirects } = config.settings.references;
  return {
    matcher,
    rateLimitPerMin: config.matcher.FACE_MATCH_RATE_LIMIT_PER_MIN,
    limits: { maxBytes, timeoutMs, maxRedirects, outbound },
  };
}
