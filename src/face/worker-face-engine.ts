import { Worker } from 'node:worker_threads';
import type { I420Frame, RawImage } from '../common/image';
import { VisionError } from '../common/errors';
import { stopWorker, waitWorkerReady } from '../common/worker-ready';
import type { EmbeddingModelName } from '../face-embedding/embedding-model';
import type { AnalysisNeeds, FaceAnalysisPort } from './face-analysis.port';
import type { FaceObservation } from './face-observation';
import { frameToRgb, PendingFrames } from './pending-frames';
import type { WorkerReply, WorkerRequest } from './worker-protocol';

/** How a face engine's worker threads are started and paced (each engine fills it from its own settings). */
export interface WorkerPoolConfig {
  /** Worker threads. */
  workers: number;
  /** The worker's compiled file (it calls serveFaceWorker). */
  workerFile: string;
  /** The worker's own options (workerData). */
  workerData: unknown;
  /** Time for loading and warming up a worker, ms. */
  startTimeoutMs: number;
  /** Shortest time (frame timestamps, ms) and fewest frames between two descriptors of one stream. */
  descriptorEvery: { ms: number; frames: number };
  /** The embedding model of the descriptors, when the engine's are one of the known models. */
  descriptorModel?: EmbeddingModelName;
}

/** A caller's sequence of frames (e.g. one flow). */
interface Stream {
  worker: PoolWorker;
  lastMs: number;
  /** Timestamp of the last frame that got a descriptor. */
  descriptorMs?: number;
  /** Frames since then. */
  framesSinceDescriptor: number;
}

/** Per-worker bookkeeping of the pool. */
interface PoolWorker {
  worker: Worker;
  /** Settles when `worker` has loaded its models (again, after a respawn). */
  started: Promise<void>;
  inFlight: number;
  /** Streams stuck to this worker (its tracking state for them lives there). */
  streams: number;
  /** Milliseconds per analysed frame, last 256. */
  times: number[];
}

interface Moved {
  /** The frame's own buffer went to the worker and must be put back. */
  moved: boolean;
  /** The worker it went to. */
  member: PoolWorker;
}

/** A stream without a frame for this long loses its worker affinity. */
export const STREAM_IDLE_MS = 30_000;
/** Worker deaths within RESPAWN_WINDOW_MS that are replaced in process; one more and the engine is broken. */
const MAX_RESPAWNS = 3;
const RESPAWN_WINDOW_MS = 10 * 60_000;

/**
 * FaceAnalysisPort on a pool of face worker threads (every engine's pool). Each frame's buffer is moved to a
 * worker (no copy) and put back into `frame.data` when `analyze` settles; frames of one stream (e.g. a flow id)
 * stick to one worker, which keeps that stream's tracking state. A dead worker is replaced; too many deaths and
 * the engine is broken.
 */
export class WorkerFaceEngine implements FaceAnalysisPort {
  private readonly requests = new PendingFrames<Moved>();
  private broken?: string;
  private readonly streams = new Map<string, Stream>();
  /** When workers died, for the respawn budget. */
  private readonly deaths: number[] = [];
  private readonly pool: PoolWorker[];
  private readonly started: Promise<void>;

  /** Starts the workers; they load their models and warm up in the background (await `ready()`). */
  constructor(private readonly config: WorkerPoolConfig) {
    this.pool = Array.from({ length: config.workers }, () => ({ ...this.spawn(), inFlight: 0, streams: 0, times: [] }));
    this.started = Promise.all(this.pool.map((p) => p.started)).then(() => undefined);
    this.started.catch(() => undefined);
    for (const member of this.pool) this.listen(member);
  }

  /** Resolves once every worker has loaded its models and run a warm-up. */
  ready(): Promise<void> {
    return this.started;
  }

  /** Every face worker scores `needs.pad` (serveFaceWorker). */
  readonly padScoring = true;

  get descriptorModel(): EmbeddingModelName | undefined {
    return this.config.descriptorModel;
  }

  get workerCount(): number {
    return this.pool.length;
  }

  /** Median analysis time per frame inside the workers, ms (0 before any frame). */
  medianMs(): number {
    const all = this.pool.flatMap((p) => p.times).sort((a, b) => a - b);
    return all.length === 0 ? 0 : all[Math.floor(all.length / 2)];
  }

  /**
   * Analyses one frame. `stream` (e.g. the flow id) keeps a caller's frames on one worker. The caller must keep at
   * most one frame in flight per stream and must not read `frame.data` until the promise settles.
   */
  async analyze(frame: I420Frame, stream?: string, needs: AnalysisNeeds = { eyes: true, smile: true }): Promise<FaceObservation> {
    this.requests.admit(frame);
    await this.started;
    const sticky = stream === undefined ? undefined : this.stick(stream, frame.timestampMs);
    const member = sticky?.worker ?? this.leastBusy((p) => p.inFlight);
    await member.started; // a respawned worker loads its models first
    const descriptor = this.wantsDescriptor(sticky, frame.timestampMs);
    const whole = frame.data.byteOffset === 0 && frame.data.byteLength === frame.data.buffer.byteLength;
    // A view into a larger buffer cannot be moved without taking its neighbours along: copy that one.
    const buffer = (whole ? frame.data.buffer : frame.data.slice().buffer) as ArrayBuffer;
    return this.requests.add(
      frame,
      () => ({ moved: whole, member }),
      (id) => {
        const request: WorkerRequest = {
          id,
          width: frame.width,
          height: frame.height,
          timestampMs: frame.timestampMs,
          buffer,
          descriptor,
          stream,
          needs,
        };
        member.inFlight++;
        member.worker.postMessage(request, [buffer]);
      },
    );
  }

  /** The frame as RGB, for keeping as live evidence. */
  toRgb(frame: I420Frame): RawImage {
    return frameToRgb(frame);
  }

  /** Set once workers kept dying: the pool is stopped and every later frame is refused. */
  brokenReason(): string | undefined {
    return this.broken;
  }

  /** Stops every worker; pending analyses reject. Idempotent. */
  async close(): Promise<void> {
    if (!this.requests.close('face engine closed')) return;
    await Promise.all(this.pool.map((p) => stopWorker(p.worker)));
  }

  private spawn(): { worker: Worker; started: Promise<void> } {
    const worker = new Worker(this.config.workerFile, { workerData: this.config.workerData });
    const started = waitWorkerReady(worker, this.config.startTimeoutMs, 'face worker', 'internal_error');
    started.catch(() => undefined);
    return { worker, started };
  }

  private leastBusy(key: (p: PoolWorker) => number): PoolWorker {
    return this.pool.reduce((a, b) => (key(b) < key(a) ? b : a));
  }

  /** A descriptor on a stream's frame at most every descriptorEvery ms and frames; frames without a stream always get one. */
  private wantsDescriptor(stream: Stream | undefined, nowMs: number): boolean {
    if (!stream) return true;
    const every = this.config.descriptorEvery;
    const last = stream.descriptorMs;
    const due = last === undefined || nowMs < last || (nowMs - last >= every.ms && stream.framesSinceDescriptor + 1 >= every.frames);
    if (!due) {
      stream.framesSinceDescriptor++;
      return false;
    }
    stream.descriptorMs = nowMs;
    stream.framesSinceDescriptor = 0;
    return true;
  }

  private stick(stream: string, nowMs: number): Stream {
    for (const [key, s] of this.streams) {
      if (nowMs - s.lastMs > STREAM_IDLE_MS) {
        s.worker.streams--;
        this.streams.delete(key);
      }
    }
    let sticky = this.streams.get(stream);
    if (!sticky) {
      sticky = { worker: this.leastBusy((p) => p.streams * 1000 + p.inFlight), lastMs: nowMs, framesSinceDescriptor: 0 };
      sticky.worker.streams++;
      this.streams.set(stream, sticky);
    }
    sticky.lastMs = nowMs;
    return sticky;
  }

  private listen(member: PoolWorker): void {
    const worker = member.worker;
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type !== 'result' && reply.type !== 'error') return;
      const p = this.requests.take(reply.id);
      if (!p) return;
      member.inFlight--;
      if (p.moved) p.frame.data = new Uint8Array(reply.buffer);
      if (reply.type === 'result') {
        member.times.push(reply.ms);
        if (member.times.length > 256) member.times.shift();
        p.resolve(reply.observation);
      } else {
        p.reject(new VisionError('internal_error', `face analysis failed: ${reply.message}`));
      }
    });
    worker.on('error', (error) => this.failWorker(member, worker, error.message));
    worker.on('exit', (code) => this.failWorker(member, worker, `face worker exited with code ${code}`));
  }

  /**
   * A worker died: its frames in flight fail (their flows see one analysis error) and a new worker takes its place,
   * up to MAX_RESPAWNS in RESPAWN_WINDOW_MS. Past that the engine is broken: everything stops and /health says so.
   */
  private failWorker(member: PoolWorker, worker: Worker, message: string): void {
    if (this.requests.closed || member.worker !== worker) return; // closing, or that worker was already replaced
    const now = Date.now();
    while (this.deaths.length > 0 && now - this.deaths[0] > RESPAWN_WINDOW_MS) this.deaths.shift();
    this.deaths.push(now);
    if (this.deaths.length > MAX_RESPAWNS) {
      this.requests.close(`${message} (${this.deaths.length} worker deaths in ${RESPAWN_WINDOW_MS / 60_000} min)`);
      this.broken = message;
      // Every worker, the failed one too: a replacement that never got ready is still running.
      void Promise.all(this.pool.map((p) => stopWorker(p.worker)));
      return;
    }
    this.requests.failAll(message, undefined, (p) => p.member === member);
    void stopWorker(worker);
    Object.assign(member, this.spawn(), { inFlight: 0 });
    this.listen(member);
    const replacement = member.worker;
    member.started.catch((error: Error) => this.failWorker(member, replacement, `face worker did not restart: ${error.message}`));
  }
}
