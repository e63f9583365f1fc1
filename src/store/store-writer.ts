import { messageOf } from '../common/errors';
import { flowLog } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { Clock, sleep } from './clock';
import { CreateResult, FlowPatch, FlowStore, StoredFlow, StoreError, StoreTimes, WriteResult } from './flow-store.port';

/** One replica's view of the store: who it is, its lease numbers, clock and metrics. */
export interface ReplicaStore {
  store: FlowStore;
  owner: string;
  times: StoreTimes;
  clock: Clock;
  metrics: Metrics;
}

export type UpdateResult = WriteResult | 'unrecorded';

interface PendingWrite {
  patch: FlowPatch;
  what: string[];
  done: Promise<UpdateResult>;
}

/** First retry delay of a store write; doubles up to RETRY_MAX_DELAY_MS. */
const RETRY_FIRST_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 2000;

/**
 * Runs `operation` until it succeeds, retrying StoreErrors with a doubling delay for at most `budgetMs`; rethrows
 * the last StoreError after that (any other error at once).
 */
export async function withStoreRetries<T>(
  operation: () => Promise<T>,
  clock: Clock,
  budgetMs: number,
  onError: (e: StoreError) => void,
): Promise<T> {
  const giveUpAt = clock.now() + budgetMs;
  for (let delay = RETRY_FIRST_DELAY_MS; ; delay = Math.min(delay * 2, RETRY_MAX_DELAY_MS)) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      onError(error);
      if (clock.now() + delay > giveUpAt) throw error;
      await sleep(clock, delay);
    }
  }
}

/**
 * The owner's writes: retried for up to one lease TTL (a restarting Redis is back well within it), counted in
 * vision_store_errors_total, and what still cannot be recorded is logged with the flow id. A write that fails
 * never stops the flow: the running process still holds the verdict and reports it itself.
 */
export class StoreWriter {
  /** Per flow: the write in flight (or last started), and the merged patch waiting for it. */
  private readonly inFlight = new Map<string, Promise<UpdateResult>>();
  private readonly pending = new Map<string, PendingWrite>();

  constructor(private readonly replica: ReplicaStore) {}

  get owner(): string {
    return this.replica.owner;
  }

  /** A new record of this owner, its lease starting now. */
  newRecord(fields: Pick<StoredFlow, 'id' | 'token' | 'room' | 'callbackBaseUrl' | 'state' | 'challenges'>): StoredFlow {
    const { owner, times, clock } = this.replica;
    const now = clock.now();
    return {
      ...fields,
      delivery: { attempts: 0, delivered: false },
      owner,
      leaseExpiresAt: now + times.leaseTtlMs,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Admission: create-if-token-free. Rejects with StoreError when the store stays unreachable (refuse the join). */
  create(flow: StoredFlow): Promise<CreateResult> {
    return this.retrying('create', () => this.replica.store.create(flow, this.replica.clock.now()));
  }

  /**
   * Records `patch` (`what` names it in the log). Writes of one flow are applied in order: while one is in flight,
   * later patches merge into one pending write (a retried old state never overwrites a newer one, and a long
   * outage holds at most two writes per flow). Resolves 'lost' when another replica adopted the flow (stop
   * reporting it), and 'unrecorded' when the store stayed unreachable (logged; carry on).
   */
  update(id: string, patch: FlowPatch, what: string): Promise<UpdateResult> {
    const pending = this.pending.get(id);
    if (pending) {
      Object.assign(pending.patch, patch);
      pending.what.push(what);
      return pending.done;
    }
    const entry = { patch: { ...patch }, what: [what] } as PendingWrite;
    entry.done = (this.inFlight.get(id) ?? Promise.resolve()).then(() => {
      this.pending.delete(id);
      return this.write(id, entry.patch, entry.what.join(', '));
    });
    this.pending.set(id, entry);
    this.inFlight.set(id, entry.done);
    void entry.done.then(() => this.inFlight.get(id) === entry.done && this.inFlight.delete(id));
    return entry.done;
  }

  private async write(id: string, patch: FlowPatch, what: string): Promise<UpdateResult> {
    try {
      const { store, owner, clock } = this.replica;
      const result = await this.retrying('update', () => store.update(id, owner, patch, clock.now()));
      if (result !== 'ok')
        flowLog(id).warn(`${what} not recorded: the flow is ${result === 'lost' ? 'owned by another replica' : 'not in the store'}`);
      return result;
    } catch (error) {
      flowLog(id).error(`${what} could not be recorded in the flow store: ${messageOf(error)}`);
      return 'unrecorded';
    }
  }

  private retrying<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const { clock, times, metrics } = this.replica;
    return withStoreRetries(run, clock, times.leaseTtlMs, () => metrics.storeErrors.inc({ operation }));
  }
}
