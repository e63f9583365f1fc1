import { Inject, Injectable } from '@nestjs/common';
import type { RawImage } from '../../common/image';
import { rootLogger } from '../../observability/logger';
import { ImageLimits, ImageLoadError, loadImage } from '../../references/image-loader';
import type { PairVerdict } from '../embedded/embedded-matcher';
import { NO_FACE_ERROR } from '../remote-matcher.adapter';
import { nextRequestId, toVisionMatcherScale } from './vision-matcher-scale';

/** What /face_match needs of a matcher. */
export interface FaceMatcher {
  readonly isReady: boolean;
  /** The raw distance below which it matches: mapped to vision-matcher's 0.4. */
  readonly threshold: number;
  matchPair(image1: RawImage, image2: RawImage): Promise<PairVerdict>;
}

/** Options of FaceMatchModule. */
export interface FaceMatchOptions {
  matcher: FaceMatcher;
  /** Limits of fetching image*_url, the same as reference retrieval's. */
  limits: ImageLimits;
  /** Requests per minute from one address (FACE_MATCH_RATE_LIMIT_PER_MIN). */
  rateLimitPerMin?: number;
}

export const DEFAULT_FACE_MATCH_RATE_PER_MIN = 600;

export const FACE_MATCH_OPTIONS = Symbol('FaceMatchOptions');

/** The outcome of one /face_match request: an HTTP status and vision-matcher's body. */
export interface FaceMatchOutcome {
  status: 200 | 400 | 503;
  body: { distance?: number; match?: boolean; requestId?: number; error?: string; raw_distance?: number; raw_threshold?: number };
}

const log = rootLogger.child({ component: 'face_match' });

/** vision-matcher's /face_match on the embedded matcher. */
@Injectable()
export class FaceMatchService {
  constructor(@Inject(FACE_MATCH_OPTIONS) private readonly options: FaceMatchOptions) {}

  async match(body: unknown, signal: AbortSignal): Promise<FaceMatchOutcome> {
    const { image1_url, image2_url } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof image1_url !== 'string' || typeof image2_url !== 'string' || !image1_url || !image2_url) {
      return { status: 400, body: { error: 'Both image URLs are required' } };
    }
    if (!this.options.matcher.isReady) return { status: 503, body: { error: 'Service not ready' } };
    const requestId = nextRequestId();
    let images: RawImage[];
    try {
      images = await Promise.all([image1_url, image2_url].map((url) => loadImage(url, this.options.limits, signal)));
    } catch (error) {
      if (!(error instanceof ImageLoadError)) throw error;
      log.info({ requestId, reason: error.reason }, `face_match image refused: ${error.message}`);
      return { status: 400, body: { error: `Image could not be loaded (${error.reason}): ${error.message}`, requestId } };
    }
    const verdict = await this.options.matcher.matchPair(images[0], images[1]);
    if (verdict.distance === undefined) {
      log.info({ requestId }, 'face_match: no face in one or both images');
      return { status: 200, body: { distance: 1, match: false, error: NO_FACE_ERROR, requestId } };
    }
    const { threshold } = this.options.matcher;
    const distance = toVisionMatcherScale(verdict.distance, threshold);
    log.info({ requestId, distance, raw_distance: verdict.distance, match: verdict.match }, 'face_match');
    return { status: 200, body: { distance, match: verdict.match, requestId, raw_distance: verdict.distance, raw_threshold: threshold } };
  }
}
