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

export function configureLogger(level: string): void {
  rootLogger.level = level;
}

/** A logger whose every line carries the flow id and token. */
export interface FlowLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

/**
 * Lines one flow logger writes at once at most, then one more per second: a room or a client that makes a flow
 * log on every message cannot flood the log. Dropped lines are counted and the count is told with the next line.
 */
export const FLOW_LOG_BURST = 30;

/** The logger of one flow (rate-limited: FLOW_LOG_BURST). `bindings` are added to every line. */
export function flowLog(flowId: string, token?: string, bindings: Record<string, string> = {}): FlowLog {
  const child = rootLogger.child({ flow_id: flowId, ...(token !== undefined && { token }), ...bindings });
  let tokens = FLOW_LOG_BURST;
  let refilledAt = Date.now();
  let suppressed = 0;
  const write = (level: 'info' | 'warn' | 'error' | 'debug', message: string) => {
    if (!child.isLevelEnabled(level)) return;
    const now = Date.now();
    tokens = Math.min(FLOW_LOG_BURST, tokens + Math.floor((now - refilledAt) / 1000));
    if (now - refilledAt >= 1000) refilledAt = now;
    if (tokens < 1) {
      suppressed++;
      return;
    }
    tokens--;
    if (suppressed > 0)
      child[level]({ suppressed_lines: suppressed }, `${message} (${suppressed} earlier lines of this flow were suppressed)`);
    else child[level](message);
    suppressed = 0;
  };
  return {
    log: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
    debug: (message) => write('debug', message),
  };
}
