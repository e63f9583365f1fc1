import pino, { Logger as Pino } from 'pino';

/**
 * The process-wide JSON logger. It exists before the configuration is read, so its first level comes from
 * LOG_LEVEL directly; `configureLogger` sets the validated one at boot.
 */
export const rootLogger: Pino = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'vision-service' },
  timestamp: pino.stdTimeFunctions.isoTime,
  // Image data and embeddings never reach a log line; these keys are dropped if someone tries.
  redact: { paths: ['*.image', '*.data', '*.descriptor', '*.embedding', '*.image1_url', '*.image2_url'], remove: true },
});

/** Names of headers and query parameters whose values are secrets: replaced at every log level. */
const SECRET_NAME = /key|token|secret|signature|^sig$|password|passwd|auth|credential|cookie|session/i;
export const REDACTED = '[Redacted]';

/** `url` with the values of secret-named query parameters replaced (everything else byte for byte). */
export function redactUrl(url: string): string {
  const [path, query] = url.split(/\?(.*)/s, 2);
  if (query === undefined) return url;
  const params = query.split('&').map((param) => {
    const name = param.split('=', 1)[0];
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // a malformed name is checked as written
    }
    return SECRET_NAME.test(decoded) ? `${name}=${REDACTED}` : param;
  });
  return `${path}?${params.join('&')}`;
}

function redactValues<T>(record: Record<string, T>): Record<string, T | string> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name, SECRET_NAME.test(name) ? REDACTED : value]));
}

/** The request as pino-http logs it, without API keys, bearer tokens, cookies or secret query parameters. */
export function redactedRequest(req: {
  url?: string;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  [key: string]: unknown;
}): Record<string, unknown> {
  return {
    id: req.id,
    method: req.method,
    url: req.url && redactUrl(req.url),
    ...(req.query && { query: redactValues(req.query) }),
    ...(req.params !== undefined && { params: req.params }),
    headers: redactValues(req.headers ?? {}),
    remoteAddress: req.remoteAddress,
    remotePort: req.remotePort,
  };
}

export function configureLogger(level: string): void {
  rootLogger.level = level;
}

/** A logger whose every line carries the flow id and token, and the component that wrote it. */
export interface FlowLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /** The same flow's logger for `component` (it replaces this one's): same bindings, same line budget. */
  child(component: string): FlowLog;
}

/**
 * Lines one flow logger writes at once at most, then one more per second: a room or a client that makes a flow
 * log on every message cannot flood the log. Dropped lines are counted and the count is told with the next line.
 */
export const FLOW_LOG_BURST = 30;

/** The token bucket every logger of one flow draws from. */
class LineBudget {
  private tokens = FLOW_LOG_BURST;
  private refilledAt = Date.now();
  /** Lines dropped since the last one written. */
  suppressed = 0;

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(FLOW_LOG_BURST, this.tokens + Math.floor((now - this.refilledAt) / 1000));
    if (now - this.refilledAt >= 1000) this.refilledAt = now;
    if (this.tokens < 1) {
      this.suppressed++;
      return false;
    }
    this.tokens--;
    return true;
  }
}

function budgetedLog(flow: Pino, component: string | undefined, budget: LineBudget): FlowLog {
  const pino = component === undefined ? flow : flow.child({ component });
  const write = (level: 'info' | 'warn' | 'error' | 'debug', message: string) => {
    if (!pino.isLevelEnabled(level) || !budget.take()) return;
    const suppressed = budget.suppressed;
    budget.suppressed = 0;
    if (suppressed > 0)
      pino[level]({ suppressed_lines: suppressed }, `${message} (${suppressed} earlier lines of this flow were suppressed)`);
    else pino[level](message);
  };
  return {
    log: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
    debug: (message) => write('debug', message),
    child: (name) => budgetedLog(flow, name, budget),
  };
}

/**
 * The logger of one flow (rate-limited: FLOW_LOG_BURST, shared with its children). Made once per flow, by the
 * Flow; every layer the flow calls writes through it or one of its children.
 */
export function flowLog(flowId: string, token?: string, bindings: { component?: string } = {}): FlowLog {
  const flow = rootLogger.child({ flow_id: flowId, ...(token !== undefined && { token }) });
  return budgetedLog(flow, bindings.component, new LineBudget());
}

/** The process-wide logger of one component (lines that belong to no flow). */
export function componentLog(component: string): Pino {
  return rootLogger.child({ component });
}
