import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';

/** The window of the per-address limits (the join limit's too). */
export const RATE_WINDOW_MS = 60_000;

/**
 * Per-address limit of POST /face_match (FACE_MATCH_RATE_LIMIT_PER_MIN): the throttler the join limit uses,
 * answered in vision-matcher's `{error}` shape.
 */
@Injectable()
export class FaceMatchRateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new HttpException(
      { error: `More than ${detail.limit} requests in ${detail.ttl / 1000} s from this address` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
