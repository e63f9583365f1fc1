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

/** The logger of one flow. */
export function flowLog(flowId: string, token?: string): FlowLog {
  const child = rootLogger.child({ flow_id: flowId, ...(token !== undefined && { token }) });
  return {
    log: (message) => child.info(message),
    warn: (message) => child.warn(message),
    error: (message) => child.error(message),
    debug: (message) => child.debug(message),
  };
}
