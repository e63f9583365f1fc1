import { VisionError } from '../../common/errors';
import type { RawImage } from '../../common/image';
import type { FlowLog } from '../../observability/logger';
import type { ReferenceImage } from '../../references/reference.port';
import { aggregateDistances, MatchPolicy } from '../match-policy';
import type { MatcherPort, MatchResult, PairScore } from '../matcher.port';
import { cosineDistance } from '../../common/distance';
import type { EmbeddingModelName, EmbeddingRuntime } from '../../face-embedding/embedding-model';
import { EmbeddingPool, ImageEmbedding } from './embedding-pool';
import { DEFAULT_THRESHOLDS } from './thresholds';
import { matcherDefaults } from '../matcher.env';

/** Settings of the embedded matcher (see matcher.env.ts). */
export interface EmbeddedMatcherConfig {
  model: EmbeddingModelName;
  /** Default onnx; tfjs runs the original models (benchmarks compare the two). */
  runtime?: EmbeddingRuntime;
  /** Worker threads, each with its own copy of the models. */
  workers: number;
  /** Cosine distance below which faces match; default: the model's calibrated one. */
  threshold?: number;
  /** Default `median`. */
  policy?: MatchPolicy;
  /** Time for each worker to load its models, ms; default MATCHER_START_TIMEOUT_S's. */
  startTimeoutMs?: number;
}

/** One image pair compared, as /face_match answers it; `distance` undefined when a face is missing. */
export interface PairVerdict {
  distance?: number;
  match: boolean;
}

/**
 * MatcherPort on a local face embedding model in worker threads: every live capture against every reference with a
 * face, pair distances aggregated by the policy and compared with the threshold.
 */
export class EmbeddedMatcher implements MatcherPort {
  private loaded = false;

  private constructor(
    private readonly pool: EmbeddingPool,
    readonly model: EmbeddingModelName,
    readonly threshold: number,
    readonly policy: MatchPolicy,
  ) {
    pool.started.then(
      () => (this.loaded = true),
      () => undefined,
    );
  }

  /** Starts the workers; they load the models in the background (await `ready()`). */
  static create(config: EmbeddedMatcherConfig): EmbeddedMatcher {
    const pool = EmbeddingPool.create(
      config.workers,
      config.model,
      config.runtime ?? 'onnx',
      config.startTimeoutMs ?? matcherDefaults.embedded.startTimeoutMs,
    );
    return new EmbeddedMatcher(pool, config.model, config.threshold ?? DEFAULT_THRESHOLDS[config.model], config.policy ?? 'median');
  }

  ready(): Promise<void> {
    return this.pool.started;
  }

  /** True once every worker has loaded its models. */
  get isReady(): boolean {
    return this.loaded;
  }

  /** Median worker time per image (detection included, or `embed`: alignment + embedding only), ms. */
  medianMs(part: 'total' | 'embed' = 'total'): number {
    return this.pool.medianMs(part);
  }

  /** The identity in one image: the largest face's embedding, or null when there is no face. */
  embed(image: RawImage): Promise<ImageEmbedding> {
    return this.pool.embed(image);
  }

  /**
   * Rejects with VisionError('no_reference') when no reference shows a face, and with VisionError('no_match') when
   * no live capture does (nothing to compare means the subject was not verified).
   */
  async compare(live: RawImage[], references: ReferenceImage[], signal: AbortSignal, log: FlowLog): Promise<MatchResult> {
    const [refs, lives] = await Promise.all([
      Promise.all(references.map((r) => this.embed(r.image))),
      Promise.all(live.map((l) => this.embed(l))),
    ]);
    signal.throwIfAborted();
    const referencesWithoutFace: number[] = [];
    refs.forEach((r, i) => {
      const index = references[i].index;
      if (!r.embedding) {
        referencesWithoutFace.push(index);
        log.warn(`reference ${index} skipped (no_face_in_reference)`);
      } else if (r.faces > 1) {
        log.warn(`reference ${index} shows ${r.faces} faces; the largest is used`);
      }
    });
    if (referencesWithoutFace.length === refs.length) throw new VisionError('no_reference', 'no face in any reference image');
    if (lives.every((l) => !l.embedding)) throw new VisionError('no_match', 'no face in any live capture');
    const pairs: PairScore[] = [];
    lives.forEach((l, li) => {
      if (!l.embedding) return;
      refs.forEach((r, ri) => {
        if (r.embedding) pairs.push({ live: li, reference: references[ri].index, distance: cosineDistance(l.embedding!, r.embedding) });
      });
    });
    const distance = aggregateDistances(
      pairs.map((p) => p.distance),
      this.policy,
    );
    const match = distance < this.threshold;
    log.log(
      `${this.model}: ${this.policy} distance ${distance.toFixed(4)} over ${pairs.length} pairs, threshold ${this.threshold}: ${match ? 'match' : 'no match'}`,
    );
    return { match, distance, threshold: this.threshold, policy: this.policy, pairs, referencesWithoutFace };
  }

  /** Compares the largest faces of two images (the /face_match contract). */
  async matchPair(image1: RawImage, image2: RawImage): Promise<PairVerdict> {
    const [a, b] = await Promise.all([this.embed(image1), this.embed(image2)]);
    if (!a.embedding || !b.embedding) return { match: false };
    const distance = cosineDistance(a.embedding, b.embedding);
    return { distance, match: distance < this.threshold };
  }

  /** Stops the workers. Idempotent. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
