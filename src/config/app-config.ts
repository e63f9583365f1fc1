import { callbacksEnv } from '../callbacks/callbacks.env';
import { faceEnv } from '../face/face.env';
import { flowEnv } from '../flow/flow.env';
import { matcherEnv } from '../matcher/matcher.env';
import { outboundEnv } from '../outbound/outbound.env';
import { padEnv } from '../pad/pad.env';
import { referencesEnv } from '../references/references.env';
import { transportEnv } from '../transport/transport.env';
import { ConfigError, EnvValues, readEnv } from './env';
import { serverEnv } from './server.env';
import { storeEnv, storeProblems } from '../store/store.env';
import { exposureNotes, readEnvFile, StartupNote, unsupported2060Notes, with2060Names } from './startup-notes';

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
  store: storeEnv,
  pad: padEnv,
} as const;

type Schemas = typeof ENV_SCHEMAS;

/** The validated configuration; nothing else reads process.env. */
export type AppConfig = { [K in keyof Schemas]: EnvValues<Schemas[K]> };

/** Every variable name the service reads. */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set(Object.values(ENV_SCHEMAS).flatMap((schema) => Object.keys(schema)));

/** Reads and validates all variables (2060 names with an equivalent applied); throws one ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const env = with2060Names(source);
  const problems: string[] = [];
  const config = Object.fromEntries(
    Object.entries(ENV_SCHEMAS).map(([concern, schema]) => [concern, readEnv(schema, env, problems)]),
  ) as AppConfig;
  if (problems.length === 0) problems.push(...storeProblems(config.store));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The configuration of a process entry point, from the environment over `.env` in the working directory, and the
 * notes to log about it. On a bad variable, prints every problem and exits with 2.
 */
export function loadConfigOrExit(dir: string = process.cwd()): { config: AppConfig; notes: StartupNote[] } {
  try {
    const file = readEnvFile(dir);
    const env = { ...file.values, ...process.env };
    const config = loadConfig(env);
    return { config, notes: [file.note, ...unsupported2060Notes(env, KNOWN_VARIABLES), ...exposureNotes(config)] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

/** Nest injection token of the AppConfig. */
export const APP_CONFIG = Symbol('AppConfig');
