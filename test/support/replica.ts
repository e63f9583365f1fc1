import { Metrics } from '../../src/observability/metrics';
import type { Clock } from '../../src/store/clock';
import type { FlowStore, StoreTimes } from '../../src/store/flow-store.port';
import { Adopter, Adoption, LeaseKeeper } from '../../src/store/leases';
import { StoreWriter } from '../../src/store/store-writer';

/** The store-facing parts of one replica, as the FlowRegistry will hold them. */
export function replica(
  store: FlowStore,
  owner: string,
  times: StoreTimes,
  clock: Clock,
  onAdopted: (a: Adoption) => void = () => undefined,
) {
  const metrics = new Metrics();
  const lost: string[] = [];
  const adopted: Adoption[] = [];
  const context = { store, owner, times, clock, metrics };
  const writer = new StoreWriter(context);
  const keeper = new LeaseKeeper(context, (id) => lost.push(id));
  const adopter = new Adopter({
    replica: context,
    keeper,
    writer,
    onAdopted: (a) => {
      adopted.push(a);
      onAdopted(a);
    },
  });
  return {
    owner,
    metrics,
    writer,
    keeper,
    adopter,
    lost,
    adopted,
    /** Starts a flow of this replica and holds its lease. */
    async run(id: string, token = `token-${id}`, room = 'room-a') {
      const flow = writer.newRecord({ id, token, room, callbackBaseUrl: 'http://127.0.0.1:1', state: 'joining', challenges: [] });
      const result = await writer.create(flow);
      if (result.created) keeper.hold(id);
      return result;
    },
    start() {
      keeper.start();
      adopter.start();
    },
    stop() {
      keeper.stop();
      adopter.stop();
    },
  };
}

/** The value of a counter (with these labels) of a replica's metrics. */
export async function counter(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return match?.value ?? 0;
}
