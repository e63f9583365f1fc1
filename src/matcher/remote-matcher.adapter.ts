import sharp from 'sharp';
import { deadline } from '../common/deadline';
import { VisionError, messageOf } from '../common/errors';
import type { RawImage } from '../common/image';
import type { FlowLog } from '../observability/logger';
import type { ReferenceImage } from '../references/reference.port';
import { aggregateDistances, MatchPolicy } from './match-policy';
import type { MatcherPort, MatchResult, PairScore } from './matcher.port';

export interface RemoteMatcherSettings {
  baseUrl: string;
  threshold: number;
  policy: MatchPolicy;
  timeoutMs: number;
}

/** The error text vision-matcher answers when a face is missing. */
export const NO_FACE_ERROR = 'No faces detected in one or both images.';

/** What vision-matcher's POST /face_match answers. */
interface FaceMatchAnswer {
  distance: number;
  match: boolean;
  requestId?: string;
  error?: string;
}

async function dataUrl(image: RawImage): Promise<string> {
  const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .jpeg({ quality: 92 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/** Client of an external io2060/vision-matcher (`VISION_MATCHER_BASE_URL`). */
export class RemoteMatcherAdapter implements MatcherPort {
  constructor(private readonly settings: RemoteMatcherSettings) {}

  /** Nothing to load: the external service is checked per request. */
  async ready(): Promise<void> {}

  async compare(live: RawImage[], references: ReferenceImage[], signal: AbortSignal, log: FlowLog): Promise<MatchResult> {
    const liveUrls = await Promise.all(live.map(dataUrl));
    const referenceUrls = await Promise.all(references.map((r) => dataUrl(r.image)));
    const pairs: PairScore[] = [];
    const faceless = new Set<number>();
    // vision-matcher serialises requests, so pairs go one at a time.
    for (const [r, referenceUrl] of referenceUrls.entries()) {
      for (const [l, liveUrl] of liveUrls.entries()) {
        const answer = await this.faceMatch(liveUrl, referenceUrl, signal);
        if (answer.error) faceless.add(references[r].index);
        else pairs.push({ live: l, reference: references[r].index, distance: answer.distance });
      }
    }
    if (pairs.length === 0) throw new VisionError('no_match', 'the matcher found no face pair to compare');
    const distance = aggregateDistances(
      pairs.map((p) => p.distance),
      this.settings.policy,
    );
    const match = distance < this.settings.threshold;
    log.log(
      `vision-matcher: ${this.settings.policy} distance ${distance.toFixed(4)} over ${pairs.length} pairs, threshold ${this.settings.threshold}: ${match ? 'match' : 'no match'}`,
    );
    return {
      match,
      distance,
      threshold: this.settings.threshold,
      policy: this.settings.policy,
      pairs,
      referencesWithoutFace: [...faceless],
    };
  }

  private async faceMatch(image1_url: string, image2_url: string, signal: AbortSignal): Promise<FaceMatchAnswer> {
    const limit = deadline(signal, this.settings.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.settings.baseUrl}/face_match`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ image1_url, image2_url }),
        signal: limit.signal,
      });
      text = await response.text();
    } catch (error) {
      throw new VisionError('matcher_unavailable', `vision-matcher unreachable: ${messageOf(error)}`);
    } finally {
      limit.dispose();
    }
    if (!response.ok) throw new VisionError('matcher_unavailable', `vision-matcher answered ${response.status}: ${text.slice(0, 200)}`);
    try {
      const answer = JSON.parse(text) as FaceMatchAnswer;
      if (typeof answer.distance !== 'number' || typeof answer.match !== 'boolean') throw new Error('missing distance/match');
      return answer;
    } catch (error) {
      throw new VisionError('matcher_unavailable', `vision-matcher answer not understood: ${messageOf(error)}`);
    }
  }
}
