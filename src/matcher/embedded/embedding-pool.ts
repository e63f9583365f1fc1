import { join } from 'node:path';
import { VisionError } from '../../common/errors';
import { WorkerPool } from '../../common/worker-pool';
import type { RawImage } from '../../common/image';
import type { EmbeddingModelName, EmbeddingRuntime } from '../../face-embedding/embedding-model';
import type { EmbedRequest, MatcherWorkerOptions, MatcherWorkerReply } from './worker-protocol';

/** The identity found in one image: the largest face's embedding, or none. */
export interface ImageEmbedding {
  faces: number;
  embedding: Float32Array | null;
}

const WORKER_FILE = join(__dirname, 'matcher.worker.js');
/** An image unanswered for this long fails: far above one image's detection and embedding (≈ 0.1–1 s) behind a queue of references. */
const IMAGE_TIMEOUT_MS = 60_000;

/** Worker threads that each hold one FaceEmbedder (a WorkerPool); images go to the least busy one. */
export class EmbeddingPool {
  private constructor(private readonly pool: WorkerPool<EmbedRequest, MatcherWorkerReply>) {}

  /** Starts the workers; each loads its models and warms up (await `started`). */
  static create(workers: number, model: EmbeddingModelName, runtime: EmbeddingRuntime, startTimeoutMs: number): EmbeddingPool {
    const workerData: MatcherWorkerOptions = { model, runtime };
    return new EmbeddingPool(
      new WorkerPool({
        name: 'matcher worker',
        owner: 'embedded matcher',
        reason: 'matcher_unavailable',
        workers,
        workerFile: WORKER_FILE,
        workerData,
        startTimeoutMs,
        requestTimeoutMs: IMAGE_TIMEOUT_MS,
        timing: (reply) => ({ total: reply.detectMs + reply.embedMs, embed: reply.embedMs }),
      }),
    );
  }

  /** Settles when every worker has loaded its models. */
  get started(): Promise<void> {
    return this.pool.ready();
  }

  /** Median worker time per image (detect + align + embed, or `embed`: align + embed only), ms; 0 before any image. */
  medianMs(part: 'total' | 'embed' = 'total'): number {
    return this.pool.medianMs(part);
  }

  /** Embeds the largest face of the image; the image is copied, the caller keeps its pixels. */
  async embed(image: RawImage): Promise<ImageEmbedding> {
    const buffer = image.data.slice().buffer as ArrayBuffer;
    const { width, height, channels } = image;
    const reply = await this.pool.request((id) => ({ id, width, height, channels, buffer }), [buffer]);
    if (reply.type === 'error') throw new VisionError('internal_error', `face embedding failed: ${reply.message}`);
    return { faces: reply.faces, embedding: reply.embedding };
  }

  /** Stops every worker once it finished its image; pending embeddings reject. Idempotent. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
