import type { Clock } from './clock';
import type { FlowStore, StoreTimes } from './flow-store.port';
import { MemoryFlowStore } from './memory-flow-store';
import { RedisFlowStore } from './redis-flow-store';

/** The adapter FLOW_STORE names. */
export function createFlowStore(flowStore: string, times: StoreTimes, clock: Clock): FlowStore {
  return flowStore === 'memory' ? new MemoryFlowStore(times, () => clock.now()) : new RedisFlowStore(flowStore, times);
}
