import { availableParallelism } from 'node:os';
import { bool, type EnvValues, type EnvVar, num, oneOf, optionalStr, str } from './env';

/**
 * Concurrent flows one core carries by default, from bench:flows on 2 cores with AVX-512 (README "Load and cost"):
 * 8 flows cost the service 107–140 % of a core at 5–14 analysed fps each, ≈ 17 % per flow (under half of it in the
 * face workers, ≈ 5–8 ms per frame; the rest is video in and out and the event loop), so two cores used to ≈ 80 %
 * carry 9. 8 passed in every run (verdict p50 7.1–10.5 s, 7.1–7.4 on a quiet host), 12 slowed to 3.7–8 fps, 16 to
 * 2.8–6 and once timed out. Without AVX-512 a frame costs 2.4 times as much (19.7 ms): set MAX_CONCURRENT_FLOWS to 2
 * per core there.
 */
export const FLOWS_PER_CORE = 4;

/** MAX_CONCURRENT_FLOWS: explicit, or FLOWS_PER_CORE × the cores this process may use. */
function concurrentFlows(doc: string): EnvVar<number> {
  const explicit = num(FLOWS_PER_CORE, doc, { min: 1, max: 1000 });
  return {
    example: '',
    doc: `${doc}; empty means ${FLOWS_PER_CORE} per core (os.availableParallelism())`,
    parse: (raw) => (raw === undefined || raw.trim() === '' ? FLOWS_PER_CORE * availableParallelism() : explicit.parse(raw)),
  };
}

export const serverEnv = {
  PORT: num(5000, 'HTTP port of the service', { min: 1, max: 65535 }),
  HOST: str('0.0.0.0', 'Address the HTTP server binds'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, 'info', 'Log level'),
  VERBOSE: bool(false, "The 2060 service's name for debug logs: true means LOG_LEVEL=debug when LOG_LEVEL is not set"),
  MAX_CONCURRENT_FLOWS: concurrentFlows('Flows running at once; more joins get 429'),
  SHUTDOWN_GRACE_S: num(30, 'On SIGTERM, time running flows get to finish before they fail with service_shutdown', { min: 0, max: 3600 }),
  VISION_API_KEY: optionalStr('When set, /join-call, /flows and /face_match require it in X-API-Key (or Authorization: Bearer)'),
  STRICT_JOIN_CALL: bool(
    false,
    'Refuse /join-call bodies with unknown fields (400) instead of ignoring them and naming them in the notice',
  ),
  HTTP_REQUEST_TIMEOUT_S: num(30, 'Time a client has to send a whole request (headers and body); past it the connection is closed', {
    min: 1,
    max: 600,
  }),
  HTTP_HEADERS_TIMEOUT_S: num(10, 'Time a client has to send the request headers (at most HTTP_REQUEST_TIMEOUT_S)', { min: 1, max: 600 }),
  HTTP_MAX_CONNECTIONS: num(1000, 'Open HTTP connections at most; more are closed at once', { min: 1, max: 1_000_000 }),
  JOIN_RATE_LIMIT_PER_MIN: num(60, 'POST /join-call requests per minute from one client address', { min: 1, max: 100000 }),
  TRUST_PROXY_HOPS: num(0, 'Proxies in front of the service (an ingress is 1) whose X-Forwarded-For names the client for the join limit', {
    min: 0,
    max: 10,
  }),
  DEBUG_SAVE_FRAMES: optionalStr("Development only: a folder where every flow's face images are written (off when empty)"),
  VISION_INSPECT: oneOf(['0', '1'] as const, '0', 'Development: 1 starts every flow with the XState inspector'),
};

/** The server's time limits, ms. */
export interface ServerSettings {
  shutdownGraceMs: number;
  http: { requestTimeoutMs: number; headersTimeoutMs: number; maxConnections: number };
}

export function serverSettings(env: EnvValues<typeof serverEnv>): ServerSettings {
  return {
    shutdownGraceMs: env.SHUTDOWN_GRACE_S * 1000,
    http: {
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_S * 1000,
      headersTimeoutMs: Math.min(env.HTTP_HEADERS_TIMEOUT_S, env.HTTP_REQUEST_TIMEOUT_S) * 1000,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
    },
  };
}
