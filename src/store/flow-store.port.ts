import type { FlowOutcome } from '../callbacks/callback.port';

/**
 * What the store keeps of one flow: enough to answer GET /flows/{id} anywhere and to finish the flow's report on
 * another replica. Never pixels, descriptors or reference images.
 */
export interface StoredFlow {
  id: string;
  token: string;
  /** roomKey of the ws_url: a join with the same token and room is the same flow. */
  room: string;
  callbackBaseUrl: string;
  /** Machine state name, e.g. `verifying.challenges.running`. */
  state: string;
  challenges: { id: string; status: string }[];
  /** Set once the verdict is known; from then on the outcome never changes. */
  outcome?: FlowOutcome;
  delivery: StoredDelivery;
  /** Replica id of the process running (or reporting) the flow. */
  owner: string;
  /** Epoch ms after which the owner counts as dead. */
  leaseExpiresAt: number;
  createdAt: number;
  updatedAt: number;
  /** Set when nothing more will happen (delivered or given up); the record expires after the finished TTL. */
  finishedAt?: number;
}

export interface StoredDelivery {
  /** Callback attempts made so far (by any owner). */
  attempts: number;
  delivered: boolean;
  /** The `webhook-id` of the outcome's callback: the same on every attempt, on every replica. */
  webhookId?: string;
}

/** What an owner may change; `finishedAt` ends the flow (token freed, lease dropped, record expires). */
export type FlowPatch = Partial<Pick<StoredFlow, 'state' | 'challenges' | 'outcome' | 'delivery' | 'finishedAt'>>;

/** Result of create-if-token-free: created, or the running flow holding the token. */
export type CreateResult = { created: true } | { created: false; holder: StoredFlow };

/** Result of an owner's write: `lost` means another replica adopted the flow (this one must stop reporting it). */
export type WriteResult = 'ok' | 'lost' | 'missing';

export interface StoreHealth {
  up: boolean;
  detail: string;
}

/**
 * The durable, shared flow records behind the FlowRegistry. Times are epoch ms from the caller's clock, so the
 * lease logic runs on an injectable clock (replicas must keep their clocks in sync, e.g. NTP; skew eats into the
 * lease TTL). Every operation rejects with StoreError when the store cannot be reached.
 */
export interface FlowStore {
  /** Atomically: store `flow` and take its token, unless another running flow holds it (then return that one). Idempotent. */
  create(flow: StoredFlow, now: number): Promise<CreateResult>;
  get(id: string): Promise<StoredFlow | undefined>;
  /** Applies `patch` if `owner` still owns the flow; a patch with `finishedAt` frees the token and lease. */
  update(id: string, owner: string, patch: FlowPatch, now: number): Promise<WriteResult>;
  /** Extends the leases of `owner`'s flows to now + TTL; returns the ids another owner took (a missing record is not lost: the owner still reports it). */
  renew(owner: string, ids: string[], now: number): Promise<string[]>;
  /** Ids of unfinished flows whose lease expired before `now`, oldest first. */
  expired(now: number, limit: number): Promise<string[]>;
  /** Atomically takes over a flow whose lease expired; exactly one caller gets the record, others undefined. */
  claim(id: string, owner: string, now: number): Promise<StoredFlow | undefined>;
  /** Asks the owner of a running flow to cancel it; false when no owner listens (unknown, finished or owner gone). */
  requestCancel(id: string): Promise<boolean>;
  /** Calls `handler` with the ids other replicas ask `owner` to cancel, until close(). */
  onCancel(owner: string, handler: (id: string) => void): Promise<void>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/** Lease and expiry numbers shared by the adapters and the lease logic. */
export interface StoreTimes {
  leaseTtlMs: number;
  renewEveryMs: number;
  finishedTtlMs: number;
}

/** The store could not be reached or answered an error; the operation may be retried. */
export class StoreError extends Error {
  constructor(
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`flow store ${operation}: ${message}`, options);
    this.name = 'StoreError';
  }
}
