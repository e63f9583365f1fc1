import { EventEmitter } from 'node:events';
import type { CreateResult, FlowPatch, FlowStore, StoredFlow, StoreHealth, StoreTimes, WriteResult } from './flow-store.port';

/**
 * The embedded store of one process (FLOW_STORE=memory, the default): the same semantics as the shared store, but
 * a crash loses running flows: nobody is left to adopt them, and their controllers are never told.
 */
export class MemoryFlowStore implements FlowStore {
  private readonly flows = new Map<string, StoredFlow>();
  /** token → id of the running flow holding it. */
  private readonly tokens = new Map<string, string>();
  private readonly cancels = new EventEmitter();

  constructor(
    private readonly times: StoreTimes,
    private readonly now: () => number,
  ) {}

  async create(flow: StoredFlow): Promise<CreateResult> {
    this.purge();
    const holder = this.holderOf(flow.token);
    if (holder?.id === flow.id) return { created: true }; // a retried create
    if (holder) return { created: false, holder: copy(holder) };
    this.flows.set(flow.id, copy(flow));
    this.tokens.set(flow.token, flow.id);
    return { created: true };
  }

  async get(id: string): Promise<StoredFlow | undefined> {
    this.purge();
    const flow = this.flows.get(id);
    return flow && copy(flow);
  }

  async update(id: string, owner: string, patch: FlowPatch, now: number): Promise<WriteResult> {
    const flow = this.flows.get(id);
    if (!flow) return 'missing';
    if (flow.owner !== owner) return 'lost';
    Object.assign(flow, copy(patch), { updatedAt: now });
    if (patch.finishedAt !== undefined && this.tokens.get(flow.token) === id) this.tokens.delete(flow.token);
    return 'ok';
  }

  async renew(owner: string, ids: string[], now: number): Promise<string[]> {
    const lost: string[] = [];
    for (const id of ids) {
      const flow = this.flows.get(id);
      if (!flow) continue; // gone (a store that lost its data): nobody else took it, the owner reports it
      if (flow.owner !== owner) lost.push(id);
      else if (flow.finishedAt === undefined) flow.leaseExpiresAt = now + this.times.leaseTtlMs;
    }
    return lost;
  }

  async expired(now: number, limit: number): Promise<string[]> {
    return [...this.flows.values()]
      .filter((f) => f.finishedAt === undefined && f.leaseExpiresAt < now)
      .sort((a, b) => a.leaseExpiresAt - b.leaseExpiresAt)
      .slice(0, limit)
      .map((f) => f.id);
  }

  async claim(id: string, owner: string, now: number): Promise<StoredFlow | undefined> {
    const flow = this.flows.get(id);
    if (!flow || flow.finishedAt !== undefined || flow.leaseExpiresAt >= now) return undefined;
    Object.assign(flow, { owner, leaseExpiresAt: now + this.times.leaseTtlMs, updatedAt: now });
    return copy(flow);
  }

  async requestCancel(id: string): Promise<boolean> {
    const flow = this.flows.get(id);
    if (!flow || flow.finishedAt !== undefined) return false;
    return this.cancels.emit(flow.owner, id);
  }

  async onCancel(owner: string, handler: (id: string) => void): Promise<void> {
    this.cancels.on(owner, handler);
  }

  async health(): Promise<StoreHealth> {
    return { up: true, detail: 'memory' };
  }

  async close(): Promise<void> {
    this.cancels.removeAllListeners();
  }

  private holderOf(token: string): StoredFlow | undefined {
    const id = this.tokens.get(token);
    return id === undefined ? undefined : this.flows.get(id);
  }

  /** Finished flows leave after the finished TTL. */
  private purge(): void {
    const cutoff = this.now() - this.times.finishedTtlMs;
    for (const [id, flow] of this.flows) if (flow.finishedAt !== undefined && flow.finishedAt <= cutoff) this.flows.delete(id);
  }
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
