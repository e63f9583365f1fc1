import { DynamicModule, Module } from '@nestjs/common';
import { FaceMatchController } from './face-match.controller';
import type { AppConfig } from '../../config/app-config';
import type { OutboundGuard } from '../../outbound/outbound-guard';
import { FACE_MATCH_OPTIONS, FaceMatcher, FaceMatchOptions, FaceMatchService } from './face-match.service';

/**
 * POST /face_match (io2060/vision-matcher compatible) on a matcher the caller owns and closes. The app must parse
 * its bodies with `faceMatchBodyParser` (see face-match.body.ts).
 */
@Module({})
export class FaceMatchModule {
  static forRoot(options: FaceMatchOptions): DynamicModule {
    return {
      module: FaceMatchModule,
      controllers: [FaceMatchController],
      providers: [{ provide: FACE_MATCH_OPTIONS, useValue: options }, FaceMatchService],
    };
  }
}

/** FaceMatchModule's options from the configuration: image URLs are fetched under the reference limits. */
export function faceMatchOptions(config: AppConfig, matcher: FaceMatcher, outbound: OutboundGuard): FaceMatchOptions {
  const r = config.references;
  return {
    matcher,
    limits: { maxBytes: r.REFERENCE_MAX_BYTES, timeoutMs: r.REFERENCE_TIMEOUT_S * 1000, maxRedirects: r.REFERENCE_MAX_REDIRECTS, outbound },
  };
}
