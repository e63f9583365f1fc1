import { setTimeout as sleep } from 'node:timers/promises';
import { type Transferable, Worker } from 'node:worker_threads';
import { FailureReason, VisionError } from './errors';
// Before any worker starts: the face and matcher workers load onnxruntime, which reads the process environment.
import './ort-telemetry';
import { PendingRequests } from './pending-requests';
import { stopWorker, waitWorkerReady } from './worker-ready';

/** What every pool worker answers a request with (see serveWorker); other fields are the caller's. */
export type WorkerAnswer = { type: 'result'; id: number } | { type: 'error'; id: number; message: string };

/** How dead workers are replaced: at once for the first death, then after a doubling delay; past the budget the pool is broken. */
export interface RespawnPolicy {
  /** Deaths within windowMs that are replaced; one more and the pool is broken. */
  maxDeaths: number;
  windowMs: number;
  /** Delay before the replacement of the second death in the window, ms; doubles with each further one. */
  firstDelayMs: number;
}

/** 3 deaths in 10 minutes: a crash now and then (out of memory, a native abort) is survived, a crash loop is not. */
export const DEFAULT_RESPAWN: RespawnPolicy = { maxDeaths: 3, windowMs: 10 * 60_000, firstDelayMs: 1000 };

export interface WorkerPoolOptions<A extends WorkerAnswer> {
  /** What one worker is called in errors, e.g. "face worker". */
  name: string;
  /** What the pool serves, in the "… is closed" error, e.g. "face engine". */
  owner: string;
  /** Failure reason of every error the pool raises. */
  reason: FailureReason;
  workers: number;
  /** The worker's compiled file (it calls serveWorker). */
  workerFile: string;
  workerData: unknown;
  /** Time for loading and warming up one worker, ms. */
  startTimeoutMs: number;
  /** Longest a request waits for its answer, ms; the worker is left running (it may be inside a native call). */
  requestTimeoutMs: number;
  /** The worker times of a result by part, ms (medianMs reads them). */
  timing(answer: Extract<A, { type: 'result' }>): Record<string, number>;
  respawn?: RespawnPolicy;
}

/** One worker of the pool; `worker` changes when it is respawned, the member stays. */
export interface PoolMember {
  worker: Worker;
  /** Settles when `worker` has loaded its models (again, after a respawn). */
  started: Promise<void>;
  /** False from its death until its replacement is ready. */
  up: boolean;
  /** Requests chosen for it and not settled yet. */
  inFlight: number;
}

/** Worker times kept for medianMs. */
const TIMING_RING = 256;

/**
 * A pool of worker threads that answer requests by id: the least busy worker takes each request; answers, timeouts
 * and worker deaths settle it exactly once. A dead worker's requests reject with why, and the worker is respawned by
 * the RespawnPolicy; past its budget the pool is broken and refuses every request.
 * close() lets each worker finish what it has taken (stopWorker: an ONNX run must not be terminated).
 */
export class WorkerPool<R extends { id: number }, A extends WorkerAnswer> {
  readonly members: readonly PoolMember[];
  private readonly pending: PendingRequests<A, { member: PoolMember }>;
  private readonly started: Promise<void>;
  private readonly times: Record<string, number>[] = [];
  /** When workers died, for the respawn budget. */
  private readonly deaths: number[] = [];
  /** Workers whose death was handled ('error' and 'exit' both report one). */
  private readonly dead = new WeakSet<Worker>();
  private readonly closing = new AbortController();
  private broken?: string;

  /** Starts the workers; they load their models in the background (await `ready()`). */
  constructor(private readonly options: WorkerPoolOptions<A>) {
    this.pending = new PendingRequests((message) => new VisionError(options.reason, message));
    this.members = Array.from({ length: options.workers }, () => {
      const member = { inFlight: 0, up: false } as PoolMember;
      member.started = this.spawn(member);
      return member;
    });
    this.started = Promise.all(this.members.map((m) => m.started)).then(() => undefined);
    this.started.catch(() => undefined);
  }

  /** Resolves once every worker has loaded its models; rejects when one could not start. */
  ready(): Promise<void> {
    return this.started;
  }

  get size(): number {
    return this.members.length;
  }

  /** Set once workers kept dying: the pool is stopped and refuses every request. */
  brokenReason(): string | undefined {
    return this.broken;
  }

  /** Throws the pool's error when it is closed or broken (before a caller does work for a request). */
  assertOpen(): void {
    if (this.pending.closed) throw new VisionError(this.options.reason, this.broken ?? `${this.options.owner} is closed`);
  }

  /** The worker with the fewest requests in flight, preferring workers that are up. */
  private leastBusy(): PoolMember {
    const key = (m: PoolMember) => (m.up ? 0 : 1_000_000) + m.inFlight;
    return this.members.reduce((a, b) => (key(b) < key(a) ? b : a));
  }

  /** Median worker time of `part` (see timing), ms; 0 before any result. */
  medianMs(part: string): number {
    const all = this.times.map((t) => t[part]).sort((a, b) => a - b);
    return all.length === 0 ? 0 : all[all.length >> 1];
  }

  /**
   * Sends the request `build` makes for its id (with `transfer` moved, not copied) to the least busy worker once it
   * is up, and resolves with the worker's answer, `error` answers included. Rejects when the worker dies, the answer
   * takes over requestTimeoutMs, or the pool closes.
   */
  async request(build: (id: number) => R, transfer: Transferable[] = []): Promise<A> {
    this.assertOpen();
    await this.started;
    const to = this.leastBusy();
    const { name, requestTimeoutMs } = this.options;
    // Counted from the choice on (not from the post), so requests chosen while `to` starts spread too.
    to.inFlight++;
    try {
      await to.started.catch((error: unknown) => {
        this.assertOpen(); // closed while it was respawning
        throw error;
      });
      return await this.pending.add({ member: to }, (id) => to.worker.postMessage(build(id), transfer), {
        ms: requestTimeoutMs,
        message: `${name} did not answer within ${requestTimeoutMs} ms`,
      });
    } finally {
      to.inFlight--;
    }
  }

  /** Stops every worker once it finished what it has taken; requests in flight reject. Idempotent. */
  async close(): Promise<void> {
    if (!this.pending.close(`${this.options.owner} closed`)) return;
    this.closing.abort();
    await Promise.all(this.members.map((m) => stopWorker(m.worker)));
  }

  /** Starts a worker for `member`; resolves when it is ready. */
  private spawn(member: PoolMember): Promise<void> {
    const { workerFile, workerData, startTimeoutMs, name, reason } = this.options;
    const worker = new Worker(workerFile, { workerData });
    member.worker = worker;
    member.up = false;
    const ready = waitWorkerReady(worker, startTimeoutMs, name, reason).then(() => {
      if (member.worker === worker) member.up = true;
    });
    ready.catch(() => undefined);
    worker.on('message', (answer: A) => this.answer(answer));
    worker.on('error', (error) => this.died(member, worker, `${name} failed: ${error.message}`));
    worker.on('exit', (code) => this.died(member, worker, `${name} exited with code ${code}`));
    return ready;
  }

  private answer(answer: A): void {
    if (answer.type !== 'result' && answer.type !== 'error') return;
    const request = this.pending.take(answer.id);
    if (!request) return;
    if (answer.type === 'result') {
      this.times.push(this.options.timing(answer as Extract<A, { type: 'result' }>));
      if (this.times.length > TIMING_RING) this.times.shift();
    }
    request.resolve(answer);
  }

  /** A worker died: its requests reject with `message`, and it is replaced unless the respawn budget is spent. */
  private died(member: PoolMember, worker: Worker, message: string): void {
    if (this.pending.closed || this.dead.has(worker) || member.worker !== worker) return;
    this.dead.add(worker);
    const policy = this.options.respawn ?? DEFAULT_RESPAWN;
    const now = Date.now();
    while (this.deaths.length > 0 && now - this.deaths[0] > policy.windowMs) this.deaths.shift();
    this.deaths.push(now);
    if (this.deaths.length > policy.maxDeaths) {
      this.broken = `${message} (${this.deaths.length} ${this.options.name} deaths in ${policy.windowMs / 60_000} min)`;
      this.pending.close(this.broken);
      this.closing.abort();
      // Every worker, this one too: a replacement that never got ready is still running.
      void Promise.all(this.members.map((m) => stopWorker(m.worker)));
      return;
    }
    this.pending.failAll(message, (r) => r.member === member);
    member.up = false;
    void stopWorker(worker);
    const delayMs = this.deaths.length === 1 ? 0 : policy.firstDelayMs * 2 ** (this.deaths.length - 2);
    const replacing =
      delayMs === 0 ? this.spawn(member) : sleep(delayMs, undefined, { signal: this.closing.signal }).then(() => this.spawn(member));
    member.started = replacing;
    replacing.catch((error: Error) => {
      if (!this.pending.closed) this.died(member, member.worker, `${this.options.name} did not restart: ${error.message}`);
    });
  }
}
