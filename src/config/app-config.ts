import { callbackPolicy, CallbackPolicy, callbacksEnv } from '../callbacks/callbacks.env';
import { faceEnv, FaceSettings, faceSettings } from '../face/face.env';
import { flowEnv, FlowTimes, flowTimes } from '../flow/flow.env';
import { matcherEnv, MatcherSettings, matcherSettings } from '../matcher/matcher.env';
import { outboundEnv } from '../outbound/outbound.env';
import { padEnv } from '../pad/pad.env';
import { ReferenceSettings, referenceSettings, referencesEnv } from '../references/references.env';
import { transportEnv, TransportSettings, transportSettings } from '../transport/transport.env';
import { ConfigError, EnvValues, readEnv } from './env';
import { serverEnv, ServerSettings, serverSettings } from './server.env';
import type { StoreTimes } from '../store/flow-store.port';
import { storeEnv, storeProblems, storeTimesOf } from '../store/store.env';
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

/** The validated variables by concern, as set. */
export type EnvConfig = { [K in keyof Schemas]: EnvValues<Schemas[K]> };

/** The variables in domain shape (milliseconds, adapter options), built once: consumers read these. */
export interface Settings {
  server: ServerSettings;
  flow: FlowTimes;
  callbacks: CallbackPolicy;
  references: ReferenceSettings;
  matcher: MatcherSettings;
  transport: TransportSettings;
  face: FaceSettings;
  store: StoreTimes;
}

/** The validated configuration; nothing else reads process.env. */
export type AppConfig = EnvConfig & { settings: Settings };

function settingsOf(env: EnvConfig): Settings {
  return {
    server: serverSettings(env.server),
    flow: flowTimes(env.flow),
    callbacks: callbackPolicy(env.callbacks),
    references: referenceSettings(env.references),
    matcher: matcherSettings(env.matcher),
    transport: transportSettings(env.transport),
    face: faceSettings(env.face),
    store: storeTimesOf(env.store),
  };
}

/** Every variable name the service reads. */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set(Object.values(ENV_SCHEMAS).flatMap((schema) => Object.keys(schema)));

/** Reads and validates all variables (2060 names with an equivalent applied); throws one ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const env = with2060Names(source);
  const problems: string[] = [];
  const values = Object.fromEntries(
    Object.entries(ENV_SCHEMAS).map(([concern, schema]) => [concern, readEnv(schema, env, problems)]),
  ) as EnvConfig;
  if (problems.length === 0) problems.push(...storeProblems(values.store));
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...values, settings: settingsOf(values) };
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
