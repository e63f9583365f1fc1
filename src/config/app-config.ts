import { callbacksEnv } from '../callbacks/callbacks.env';
import { faceEnv } from '../face/face.env';
import { flowEnv } from '../flow/flow.env';
import { matcherEnv } from '../matcher/matcher.env';
import { outboundEnv } from '../outbound/outbound.env';
import { referencesEnv } from '../references/references.env';
import { transportEnv } from '../transport/transport.env';
import { ConfigError, EnvValues, readEnv } from './env';
import { serverEnv } from './server.env';

/** Every variable the service reads, by concern; .env.example is checked against it. */
export const ENV_SCHEMAS = {
  server: serverEnv,
  flow: flowEnv,
  callbacks: callbacksEnv,
  references: referencesEnv,
  outbound: outboundEnv,
  matcher: matcherEnv,
  transport: transportEnv,
  face: faceEnv,
} as const;

type Schemas = typeof ENV_SCHEMAS;

/** The validated configuration; nothing else reads process.env. */
export type AppConfig = { [K in keyof Schemas]: EnvValues<Schemas[K]> };

/** Reads and validates all variables; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const config = Object.fromEntries(
    Object.entries(ENV_SCHEMAS).map(([concern, schema]) => [concern, readEnv(schema, env, problems)]),
  ) as AppConfig;
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The configuration of a process entry point: on a bad variable, prints every problem and exits with 2. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

/** Nest injection token of the AppConfig. */
export const APP_CONFIG = Symbol('AppConfig');
