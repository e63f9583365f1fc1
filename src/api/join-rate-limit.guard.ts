import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';

/** Per-address limit of POST /join-call (JOIN_RATE_LIMIT_PER_MIN), answered in the API's own error shape. */
@Injectable()
export class JoinRateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new HttpException(
      { error: 'rate_limited', message: `more than ${detail.limit} join requests in ${detail.ttl / 1000} s from this address` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
