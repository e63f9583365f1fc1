import { randomUUID } from 'node:crypto';
import { messageOf } from '../common/errors';
import { rootLogger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { Clock, systemClock } from './clock';
import { createFlowStore } from './create-flow-store';
import type { FlowStore, StoreHealth, StoreTimes } from './flow-store.port';
import { Adopter, Adoption, LeaseKeeper } from './leases';
import { ReplicaStore, StoreWriter } from './store-writer';
import { storeTimesOf } from './store.env';

/** What the store asks of the registry of this process. */
export interface ReplicaHandlers {
  /** Another replica adopted this flow: stop it without calling back. */
  lost(id: string): void;
  /** Another replica asked to cancel this flow (DELETE /flows/{id} there). */
  cancel(id: string): void;
  /** A flow adopted here: deliver its outcome. */
  adopted(adoption: Adoption): void;
}

/**
 * This process as one replica of the fleet: its owner id (new per process, so a restarted replica adopts its own
 * orphans), the store, the writer of its flows' records, the lease keeper and the adopter.
 */
export class StoreReplica implements ReplicaStore {
  readonly owner = randomUUID();
  readonly writer: StoreWriter;
  readonly keeper: LeaseKeeper;
  private readonly adopter: Adopter;

  constructor(
    readonly store: FlowStore,
    readonly times: StoreTimes,
    readonly clock: Clock,
    readonly metrics: Metrics,
    private readonly handlers: ReplicaHandlers,
  ) {
    this.writer = new StoreWriter(this);
    this.keeper = new LeaseKeeper(this, (id) => handlers.lost(id));
    this.adopter = new Adopter({ replica: this, keeper: this.keeper, writer: this.writer, onAdopted: (a) => handlers.adopted(a) });
  }

  /** The replica FLOW_STORE and the lease settings describe. */
  static fromConfig(
    config: { FLOW_STORE: string; FLOW_LEASE_TTL_S: number; FLOW_LEASE_RENEW_S: number; FLOW_FINISHED_TTL_S: number },
    metrics: Metrics,
    handlers: ReplicaHandlers,
  ): StoreReplica {
    const times = storeTimesOf(config);
    return new StoreReplica(createFlowStore(config.FLOW_STORE, times, systemClock), times, systemClock, metrics, handlers);
  }

  /** Listens for cancel requests, renews leases and adopts orphans. */
  async start(): Promise<void> {
    try {
      await this.store.onCancel(this.owner, (id) => this.handlers.cancel(id));
    } catch (error) {
      rootLogger.warn(
        `the flow store is unreachable at start-up: cancel requests of other replicas will not reach this one (${messageOf(error)})`,
      );
    }
    this.keeper.start();
    this.adopter.start();
  }

  /** Shutdown, first step: adopt nothing more (the leases of running flows are still renewed while they drain). */
  stopAdopting(): void {
    this.adopter.stop();
  }

  /** Shutdown, last step: stop renewing and close the store. */
  async close(): Promise<void> {
    this.adopter.stop();
    this.keeper.stop();
    await this.store.close();
  }

  health(): Promise<StoreHealth> {
    return this.store.health();
  }
}
