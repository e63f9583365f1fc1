import type { FlowOutcome } from '../callbacks/callback.port';
import { messageOf } from '../common/errors';
import { flowLog, rootLogger } from '../observability/logger';
import type { Clock } from './clock';
import type { StoredFlow } from './flow-store.port';
import type { ReplicaStore, StoreWriter } from './store-writer';

/** Expired leases looked at per scan; the rest wait for the next scan. */
const SCAN_LIMIT = 100;

/** Repeats `run` every `everyMs` (the next run starts after the previous one ended) until stopped. */
class Ticker {
  private timer?: unknown;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly everyMs: number,
    private readonly run: () => Promise<unknown>,
  ) {}

  start(): void {
    this.running = true;
    this.timer = this.clock.setTimeout(() => void this.tick(), this.everyMs);
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    await this.run();
    if (this.running) this.timer = this.clock.setTimeout(() => void this.tick(), this.everyMs);
  }
}

/**
 * The owner's side: renews the leases of the flows this replica runs every `renewEveryMs`. A renewal more than two
 * periods after the previous one is late (an event-loop stall or a store outage eats into the TTL). A flow another
 * replica adopted is dropped and `onLost` tells the registry to stop reporting it.
 */
export class LeaseKeeper {
  private readonly held = new Set<string>();
  private readonly ticker: Ticker;
  private lastRenewal: number;

  constructor(
    private readonly replica: ReplicaStore,
    private readonly onLost: (id: string) => void,
  ) {
    this.lastRenewal = replica.clock.now();
    this.ticker = new Ticker(replica.clock, replica.times.renewEveryMs, () => this.renew());
  }

  get owner(): string {
    return this.replica.owner;
  }

  hold(id: string): void {
    this.held.add(id);
  }

  release(id: string): void {
    this.held.delete(id);
  }

  holds(id: string): boolean {
    return this.held.has(id);
  }

  start(): void {
    this.lastRenewal = this.replica.clock.now();
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  /** One renewal round. */
  async renew(): Promise<void> {
    const { store, owner, times, clock, metrics } = this.replica;
    const now = clock.now();
    let lost: string[];
    try {
      lost = await store.renew(owner, [...this.held], now);
    } catch (error) {
      metrics.storeErrors.inc({ operation: 'renew' });
      rootLogger.warn(`lease renewal of ${this.held.size} flows failed: ${messageOf(error)}`);
      return;
    }
    if (now - this.lastRenewal > 2 * times.renewEveryMs) metrics.leaseRenewalsLate.inc();
    this.lastRenewal = now;
    for (const id of lost) {
      if (!this.held.delete(id)) continue;
      flowLog(id).warn('lease lost: another replica adopted the flow; this replica stops reporting it');
      this.onLost(id);
    }
  }
}

export type AdoptionReason = 'service_restarted' | 'resume_delivery';

/** An adopted flow and what its new owner must do: deliver `flow.outcome` (then record the delivery and finish). */
export interface Adoption {
  reason: AdoptionReason;
  flow: StoredFlow & { outcome: FlowOutcome };
}

/**
 * What an orphan needs: before the verdict the flow cannot go on (the call and the evidence died with the owner),
 * so it fails with service_restarted; after the verdict the recorded outcome is delivered as it was.
 */
export function adoptionOf(flow: StoredFlow): Adoption {
  if (flow.outcome) return { reason: 'resume_delivery', flow: { ...flow, outcome: flow.outcome } };
  const challenges = flow.challenges.map((c) => ({ id: c.id, passed: c.status === 'passed' }));
  return { reason: 'service_restarted', flow: { ...flow, outcome: { status: 'failure', reason: 'service_restarted', challenges } } };
}

export interface AdopterDeps {
  replica: ReplicaStore;
  keeper: LeaseKeeper;
  writer: StoreWriter;
  /** Delivers the outcome; the adopter already holds the lease and has recorded a new verdict. */
  onAdopted: (adoption: Adoption) => void;
}

/**
 * Every `renewEveryMs`, claims flows whose lease expired and hands each to `onAdopted`, exactly once across the
 * fleet (the claim is atomic in the store). After the store was unreachable it waits one lease TTL of a reachable
 * store before adopting, so live owners renew first instead of losing their flows to the outage.
 */
export class Adopter {
  private readonly ticker: Ticker;
  private reachableSince?: number;

  constructor(private readonly deps: AdopterDeps) {
    this.ticker = new Ticker(deps.replica.clock, deps.replica.times.renewEveryMs, () => this.scan());
  }

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  /** One scan; resolves with what it adopted. */
  async scan(): Promise<Adoption[]> {
    const { keeper } = this.deps;
    const { store, clock, metrics, times } = this.deps.replica;
    const now = clock.now();
    let ids: string[];
    try {
      ids = await store.expired(now, SCAN_LIMIT);
    } catch {
      metrics.storeErrors.inc({ operation: 'expired' });
      this.reachableSince = undefined;
      return [];
    }
    this.reachableSince ??= now;
    if (now - this.reachableSince < times.leaseTtlMs) return [];
    const adopted: Adoption[] = [];
    // A flow of our own with a late renewal is alive, not an orphan.
    for (const id of ids.filter((id) => !keeper.holds(id))) {
      const adoption = await this.adopt(id);
      if (adoption) adopted.push(adoption);
    }
    return adopted;
  }

  private async adopt(id: string): Promise<Adoption | undefined> {
    const { keeper, writer } = this.deps;
    const { store, clock, metrics } = this.deps.replica;
    let flow: StoredFlow | undefined;
    try {
      flow = await store.claim(id, keeper.owner, clock.now());
    } catch {
      metrics.storeErrors.inc({ operation: 'claim' });
      return undefined;
    }
    if (!flow) return undefined; // another replica was first, or the owner renewed
    const log = flowLog(id, flow.token);
    keeper.hold(id);
    if (flow.delivery.delivered) {
      log.warn('adopted after its callback was delivered: finishing it');
      await writer.update(id, { finishedAt: clock.now() }, 'the end of the adopted flow');
      keeper.release(id);
      return undefined;
    }
    const adoption = adoptionOf(flow);
    metrics.flowsAdopted.inc({ reason: adoption.reason });
    log.warn(`adopted (lease expired in state ${flow.state}): ${adoption.reason}, delivering ${adoption.flow.outcome.status}`);
    if (adoption.reason === 'service_restarted')
      await writer.update(id, { outcome: adoption.flow.outcome }, 'the service_restarted verdict');
    this.deps.onAdopted(adoption);
    return adoption;
  }
}
