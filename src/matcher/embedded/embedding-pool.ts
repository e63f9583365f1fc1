import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { VisionError } from '../../common/errors';
import { stopWorker, waitWorkerReady } from '../../common/worker-ready';
import type { RawImage } from '../../common/image';
import type { EmbeddingModelName, EmbeddingRuntime } from '../../face-embedding/embedding-model';
import type { EmbedRequest, MatcherWorkerOptions, MatcherWorkerReply } from './worker-protocol';

/** The identity found in one image: the largest face's embedding, or none. */
export interface ImageEmbedding {
  faces: number;
  embedding: Float32Array | null;
}

interface Member {
  worker: Worker;
  inFlight: number;
  /** Recent worker times per image, ms. */
  times: { total: number; embed: number }[];
}

interface Pending {
  member: Member;
  resolve(result: ImageEmbedding): void;
  reject(error: Error): void;
}

const WORKER_FILE = join(__dirname, 'matcher.worker.js');

/** Worker threads that each hold one FaceEmbedder; images go to the least busy one. */
export class EmbeddingPool {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private failure: Error | undefined;

  private constructor(
    private readonly members: Member[],
    readonly started: Promise<void>,
  ) {
    started.catch(() => undefined);
  }

  /** Starts the workers; each loads its models and warms up (await `started`). */
  static create(workers: number, model: EmbeddingModelName, runtime: EmbeddingRuntime, startTimeoutMs: number): EmbeddingPool {
    const options: MatcherWorkerOptions = { model, runtime };
    const members = Array.from({ length: workers }, () => ({
      worker: new Worker(WORKER_FILE, { workerData: options }),
      inFlight: 0,
      times: [],
    }));
    const pool = new EmbeddingPool(
      members,
      Promise.all(members.map((m) => waitWorkerReady(m.worker, startTimeoutMs, 'matcher worker', 'matcher_unavailable'))).then(
        () => undefined,
      ),
    );
    for (const member of members) pool.listen(member);
    return pool;
  }

  /** Median worker time per image (detect + align + embed, or `embed`: align + embed only), ms; 0 before any image. */
  medianMs(part: 'total' | 'embed' = 'total'): number {
    const all = this.members.flatMap((m) => m.times.map((t) => t[part])).sort((a, b) => a - b);
    return all.length === 0 ? 0 : all[all.length >> 1];
  }

  /** Embeds the largest face of the image; the image is copied, the caller keeps its pixels. */
  async embed(image: RawImage): Promise<ImageEmbedding> {
    await this.started;
    if (this.closed) throw this.failure ?? new VisionError('matcher_unavailable', 'embedded matcher is closed');
    const member = this.members.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    const buffer = image.data.slice().buffer as ArrayBuffer;
    const request: EmbedRequest = { id, width: image.width, height: image.height, channels: image.channels, buffer };
    return new Promise<ImageEmbedding>((resolve, reject) => {
      this.pending.set(id, { member, resolve, reject });
      member.inFlight++;
      member.worker.postMessage(request, [buffer]);
    });
  }

  /** Stops every worker; pending embeddings reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll(new VisionError('matcher_unavailable', 'embedded matcher closed'));
    await Promise.all(this.members.map((m) => stopWorker(m.worker)));
  }

  private listen(member: Member): void {
    member.worker.on('message', (reply: MatcherWorkerReply) => {
      if (reply.type !== 'result' && reply.type !== 'error') return;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      member.inFlight--;
      if (reply.type === 'error') {
        p.reject(new VisionError('internal_error', `face embedding failed: ${reply.message}`));
        return;
      }
      member.times.push({ total: reply.detectMs + reply.embedMs, embed: reply.embedMs });
      if (member.times.length > 256) member.times.shift();
      p.resolve({ faces: reply.faces, embedding: reply.embedding });
    });
    const fail = (message: string) => {
      if (this.closed) return;
      // A dead worker's images cannot complete; the matcher stops rather than run short-handed silently.
      this.failure = new VisionError('matcher_unavailable', message);
      void this.close();
    };
    member.worker.on('error', (error) => fail(`matcher worker failed: ${error.message}`));
    member.worker.on('exit', (code) => fail(`matcher worker exited with code ${code}`));
  }

  private rejectAll(error: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(this.failure ?? error);
    }
  }
}
