import { ReferenceSkipReason, VisionError } from '../common/errors';
import type { FlowLog } from '../observability/logger';
import { joinUrl, pathSegmentProblem } from '../common/url';
import { fetchLimited, ImageLimits, ImageLoadError, loadImage } from './image-loader';
import type { ReferenceImage, ReferenceKind, ReferencePort, ReferenceSet, ReferenceSource, SkippedReference } from './reference.port';

/** Limits of reference retrieval. */
export interface ReferenceLimits extends ImageLimits {
  maxCount: number;
}

/** Room in the list for JSON syntax and URLs beside the (base64) data URLs it may carry. */
const LIST_SLACK_BYTES = 64 * 1024;
/** References fetched at once. */
const PARALLEL_FETCHES = 3;

/** What an item of `/list/{token}` is. */
export function kindOfItem(item: string): ReferenceKind {
  if (item.startsWith('data:')) return 'data_url';
  if (/^https?:\/\//i.test(item)) return 'http_url';
  return 'datastore_id';
}

/** Fetches references the way the 2060 controller contract describes: list, then each item. */
export class HttpReferenceAdapter implements ReferencePort {
  constructor(
    private readonly limits: ReferenceLimits,
    /** Told the reason of every skipped reference (metrics). */
    private readonly onSkipped: (reason: ReferenceSkipReason) => void = () => undefined,
  ) {}

  async fetch(source: ReferenceSource, signal: AbortSignal, log: FlowLog): Promise<ReferenceSet> {
    const items = await this.fetchList(source, signal);
    if (items.length > this.limits.maxCount) {
      log.warn(`reference list has ${items.length} items; using the first ${this.limits.maxCount}`);
    }
    const usable: ReferenceImage[] = [];
    const skipped: SkippedReference[] = [];
    const queue = items.slice(0, this.limits.maxCount).map((item, index) => ({ item, index }));
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        try {
          usable.push(await this.fetchItem(source, next.item, next.index, signal));
        } catch (error) {
          if (signal.aborted) throw error;
          const reason = error instanceof ImageLoadError ? error.reason : 'fetch_failed';
          skipped.push({ index: next.index, reason, message: (error as Error).message });
          this.onSkipped(reason);
          log.warn(`reference ${next.index} skipped (${reason}): ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_FETCHES }, worker));
    usable.sort((a, b) => a.index - b.index);
    log.log(`references: ${usable.length} usable, ${skipped.length} skipped`);
    return { usable, skipped };
  }

  private async fetchList(source: ReferenceSource, signal: AbortSignal): Promise<unknown[]> {
    const url = joinUrl(source.callbackBaseUrl, 'list', source.token);
    let body: Uint8Array;
    try {
      // Items may be data URLs: the list may be as large as its images in base64.
      const maxBytes = Math.ceil((this.limits.maxCount * this.limits.maxBytes * 4) / 3) + LIST_SLACK_BYTES;
      body = await fetchLimited(url, { ...this.limits, maxBytes }, signal, 'application/json');
    } catch (error) {
      throw new VisionError('no_reference', `reference list unavailable: ${(error as Error).message}`, { cause: error });
    }
    let list: unknown;
    try {
      list = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      throw new VisionError('no_reference', 'reference list is not JSON');
    }
    if (!Array.isArray(list)) throw new VisionError('no_reference', 'reference list is not a JSON array');
    return list;
  }

  private async fetchItem(source: ReferenceSource, item: unknown, index: number, signal: AbortSignal): Promise<ReferenceImage> {
    if (typeof item !== 'string' || item.trim() === '') {
      throw new ImageLoadError('bad_item', 'list item is not a non-empty string');
    }
    const kind = kindOfItem(item);
    let url = item;
    if (kind === 'datastore_id' && /^[a-z][a-z0-9+.-]*:/i.test(item)) {
      throw new ImageLoadError('bad_item', `unsupported URL scheme in ${item.slice(0, 40)}`);
    }
    if (kind === 'datastore_id') {
      if (!source.datastoreBaseUrl) throw new ImageLoadError('bad_item', 'a Data Store id needs datastore_base_url');
      const problem = pathSegmentProblem(item);
      if (problem) throw new ImageLoadError('bad_item', `the Data Store id ${problem}`);
      url = joinUrl(source.datastoreBaseUrl, 'r', item);
    }
    return { index, kind, image: await loadImage(url, this.limits, signal) };
  }
}
