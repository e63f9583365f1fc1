import { type EnvVar, num } from '../config/env';
import type { StoreTimes } from './flow-store.port';

/** FLOW_STORE: `memory`, or a redis:// / rediss:// URL (credentials in the URL stay out of the logs). */
function flowStoreUrl(doc: string): EnvVar<string> {
  return {
    example: 'memory',
    doc,
    parse(raw) {
      const value = raw?.trim() || 'memory';
      if (value === 'memory') return value;
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        throw new Error('must be memory or a redis:// or rediss:// URL');
      }
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('must be memory or a redis:// or rediss:// URL');
      return value;
    },
  };
}

export const storeEnv = {
  FLOW_STORE: flowStoreUrl(
    'Where flow records live: memory (one process; a crash loses running flows) or redis://[:password@]host:port[/db] shared by every replica',
  ),
  FLOW_LEASE_TTL_S: num(10, 'A replica that has not renewed the lease of its flow for this long counts as dead; another adopts the flow', {
    min: 2,
    max: 300,
    float: true,
  }),
  FLOW_LEASE_RENEW_S: num(
    2,
    'How often a replica renews the leases of its flows and looks for expired ones; at most FLOW_LEASE_TTL_S / 2',
    {
      min: 0.1,
      max: 60,
      float: true,
    },
  ),
  FLOW_FINISHED_TTL_S: num(3600, 'How long a finished flow stays in the store for GET /flows/{id}', { min: 1, max: 30 * 86400 }),
};

type StoreEnv = { FLOW_LEASE_TTL_S: number; FLOW_LEASE_RENEW_S: number; FLOW_FINISHED_TTL_S: number };

/** Problems between the store's variables: a renewal period over half the TTL lets a live owner's lease lapse. */
export function storeProblems(env: StoreEnv): string[] {
  return env.FLOW_LEASE_RENEW_S * 2 > env.FLOW_LEASE_TTL_S
    ? [`FLOW_LEASE_RENEW_S: must be at most half of FLOW_LEASE_TTL_S (${env.FLOW_LEASE_TTL_S}), got ${env.FLOW_LEASE_RENEW_S}`]
    : [];
}

/** The store's numbers in milliseconds. */
export function storeTimesOf(env: StoreEnv): StoreTimes {
  return {
    leaseTtlMs: env.FLOW_LEASE_TTL_S * 1000,
    renewEveryMs: env.FLOW_LEASE_RENEW_S * 1000,
    finishedTtlMs: env.FLOW_FINISHED_TTL_S * 1000,
  };
}
