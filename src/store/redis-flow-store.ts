import { Redis } from 'ioredis';
import { messageOf } from '../common/errors';
import { CreateResult, FlowPatch, FlowStore, StoredFlow, StoreError, StoreHealth, StoreTimes, WriteResult } from './flow-store.port';

/** Keys: `vision:flow:<id>` hash, `vision:token:<token>` → id of the running flow, `vision:leases` zset id → expiry. */
const PREFIX = 'vision:';
const FLOW = `${PREFIX}flow:`;
const TOKEN = `${PREFIX}token:`;
const LEASES = `${PREFIX}leases`;
const cancelChannel = (owner: string) => `${PREFIX}cancel:${owner}`;

/**
 * Each script runs atomically on the server. They touch keys derived from record fields (the holder of a token, the
 * token of a flow), so they need a standalone Redis (or a primary with replicas/Sentinel), not Redis Cluster.
 */
const SCRIPTS = {
  /** KEYS: flow, token, leases. ARGV: id, lease expiry, flow key prefix, field/value pairs. Nil when created (or a retry of it). */
  createFlow: `
    local holder = redis.call('GET', KEYS[2])
    if holder == ARGV[1] then return false end
    if holder then
      local key = ARGV[3] .. holder
      if redis.call('EXISTS', key) == 1 and redis.call('HEXISTS', key, 'finishedAt') == 0 then
        return redis.call('HGETALL', key)
      end
    end
    redis.call('HSET', KEYS[1], unpack(ARGV, 4))
    redis.call('SET', KEYS[2], ARGV[1])
    redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
    return false`,
  /** KEYS: flow, leases. ARGV: owner, finished TTL ms, id, token key prefix, field/value pairs. */
  updateFlow: `
    if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
    if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 'lost' end
    redis.call('HSET', KEYS[1], unpack(ARGV, 5))
    if redis.call('HEXISTS', KEYS[1], 'finishedAt') == 1 then
      local token = ARGV[4] .. redis.call('HGET', KEYS[1], 'token')
      if redis.call('GET', token) == ARGV[3] then redis.call('DEL', token) end
      redis.call('ZREM', KEYS[2], ARGV[3])
      redis.call('PEXPIRE', KEYS[1], ARGV[2])
    end
    return 'ok'`,
  /** KEYS: flows…, leases. ARGV: owner, lease expiry, ids…. Returns the ids another owner took (a missing record is not lost). */
  renewLeases: `
    local lost = {}
    for i = 1, #KEYS - 1 do
      local owner = redis.call('HGET', KEYS[i], 'owner')
      if owner and owner ~= ARGV[1] then
        table.insert(lost, ARGV[i + 2])
      elseif owner and redis.call('HEXISTS', KEYS[i], 'finishedAt') == 0 then
        redis.call('HSET', KEYS[i], 'leaseExpiresAt', ARGV[2])
        redis.call('ZADD', KEYS[#KEYS], ARGV[2], ARGV[i + 2])
      end
    end
    return lost`,
  /** KEYS: flow, leases. ARGV: owner, now, new expiry, id. The record when claimed, nil otherwise. */
  claimFlow: `
    if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'finishedAt') == 1 then
      redis.call('ZREM', KEYS[2], ARGV[4])
      return false
    end
    if tonumber(redis.call('HGET', KEYS[1], 'leaseExpiresAt')) >= tonumber(ARGV[2]) then return false end
    redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'leaseExpiresAt', ARGV[3], 'updatedAt', ARGV[2])
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
    return redis.call('HGETALL', KEYS[1])`,
} as const;

type ScriptName = keyof typeof SCRIPTS;

/** Limit of one command; a hung server must not hold a flow. */
const COMMAND_TIMEOUT_MS = 1000;

/**
 * The shared store (FLOW_STORE=redis://…) on ioredis: records survive a replica's crash and every replica sees
 * every flow. While disconnected, commands fail at the next failed reconnect attempt (≤ 1 s) instead of queueing:
 * the caller retries, and /ready shows the outage.
 */
export class RedisFlowStore implements FlowStore {
  private readonly redis: Redis;
  private subscriber?: Redis;
  private readonly handlers = new Map<string, (id: string) => void>();

  constructor(
    url: string,
    private readonly times: StoreTimes,
  ) {
    this.redis = new Redis(url, {
      // Commands wait for a connection at most until the next reconnect attempt fails, then reject (we retry).
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    // Connection errors surface as rejected commands and in health(); ioredis reconnects by itself.
    this.redis.on('error', () => undefined);
    for (const [name, lua] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, { lua });
  }

  async create(flow: StoredFlow): Promise<CreateResult> {
    const reply = (await this.run(
      'create',
      'createFlow',
      [FLOW + flow.id, TOKEN + flow.token, LEASES],
      [flow.id, flow.leaseExpiresAt, FLOW, ...toFields(flow)],
    )) as string[] | null;
    return reply ? { created: false, holder: fromFields(reply) } : { created: true };
  }

  async get(id: string): Promise<StoredFlow | undefined> {
    const fields = await this.call('get', () => this.redis.hgetall(FLOW + id));
    return Object.keys(fields).length > 0 ? fromFields(Object.entries(fields).flat()) : undefined;
  }

  async update(id: string, owner: string, patch: FlowPatch, now: number): Promise<WriteResult> {
    const fields = toFields({ ...patch, updatedAt: now });
    return (await this.run(
      'update',
      'updateFlow',
      [FLOW + id, LEASES],
      [owner, this.times.finishedTtlMs, id, TOKEN, ...fields],
    )) as WriteResult;
  }

  async renew(owner: string, ids: string[], now: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const expiry = now + this.times.leaseTtlMs;
    return (await this.run('renew', 'renewLeases', [...ids.map((id) => FLOW + id), LEASES], [owner, expiry, ...ids])) as string[];
  }

  async expired(now: number, limit: number): Promise<string[]> {
    return this.call('expired', () => this.redis.zrangebyscore(LEASES, '-inf', `(${now}`, 'LIMIT', 0, limit));
  }

  async claim(id: string, owner: string, now: number): Promise<StoredFlow | undefined> {
    const reply = (await this.run('claim', 'claimFlow', [FLOW + id, LEASES], [owner, now, now + this.times.leaseTtlMs, id])) as
      string[] | null;
    return reply ? fromFields(reply) : undefined;
  }

  async requestCancel(id: string): Promise<boolean> {
    const [owner, finishedAt] = await this.call('cancel', () => this.redis.hmget(FLOW + id, 'owner', 'finishedAt'));
    if (!owner || finishedAt) return false;
    return (await this.call('cancel', () => this.redis.publish(cancelChannel(owner), id))) > 0;
  }

  async onCancel(owner: string, handler: (id: string) => void): Promise<void> {
    if (!this.subscriber) {
      // A subscribed connection can do nothing else; ioredis subscribes again after a reconnect.
      this.subscriber = this.redis.duplicate();
      this.subscriber.on('error', () => undefined);
      this.subscriber.on('message', (channel: string, id: string) => this.handlers.get(channel)?.(id));
    }
    this.handlers.set(cancelChannel(owner), handler);
    await this.call('subscribe', () => this.subscriber!.subscribe(cancelChannel(owner)));
  }

  async health(): Promise<StoreHealth> {
    if (this.redis.status !== 'ready') return { up: false, detail: `redis ${this.redis.status}` };
    try {
      await this.redis.ping();
      return { up: true, detail: 'redis ready' };
    } catch (error) {
      return { up: false, detail: `redis ping: ${messageOf(error)}` };
    }
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.redis.disconnect();
  }

  private run(operation: string, script: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    const command = (this.redis as unknown as Record<ScriptName, (n: number, ...a: (string | number)[]) => Promise<unknown>>)[script];
    return this.call(operation, () => command.call(this.redis, keys.length, ...keys, ...args));
  }

  private async call<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StoreError(operation, messageOf(error), { cause: error });
    }
  }
}

const JSON_FIELDS = new Set(['challenges', 'outcome', 'delivery']);
const NUMBER_FIELDS = new Set(['leaseExpiresAt', 'createdAt', 'updatedAt', 'finishedAt']);

/** A record (or patch) as hash field/value pairs; absent fields are left out. */
function toFields(record: Partial<StoredFlow>): string[] {
  return Object.entries(record).flatMap(([name, value]) =>
    value === undefined ? [] : [name, JSON_FIELDS.has(name) ? JSON.stringify(value) : String(value)],
  );
}

function fromFields(flat: string[]): StoredFlow {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const [name, value] = [flat[i], flat[i + 1]];
    record[name] = JSON_FIELDS.has(name) ? JSON.parse(value) : NUMBER_FIELDS.has(name) ? Number(value) : value;
  }
  return record as unknown as StoredFlow;
}
