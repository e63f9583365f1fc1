import { defaultsOf, type EnvValues, EnvVar, num, oneOf, optionalHttpUrl } from '../config/env';
import type { EmbeddedMatcherConfig } from './embedded/embedded-matcher';
import type { RemoteMatcherSettings } from './remote-matcher.adapter';
import { EMBEDDING_MODELS } from '../face-embedding/embedding-model';
import { MATCH_POLICIES, MatchPolicy } from './match-policy';

/** vision-matcher's threshold (VGG-Face, cosine), used with the external matcher when MATCH_THRESHOLD is unset. */
export const REMOTE_DEFAULT_THRESHOLD = 0.4;

/** A distance threshold, or undefined to use the default of the matcher in use (each model has its own scale). */
function optionalThreshold(doc: string): EnvVar<number | undefined> {
  const parser = num(0, doc, { min: 0, max: 2, float: true });
  return { example: '', doc, parse: (raw) => (raw === undefined || raw.trim() === '' ? undefined : parser.parse(raw)) };
}

/** A match policy, or undefined for the default of the matcher in use. */
function optionalPolicy(doc: string): EnvVar<MatchPolicy | undefined> {
  const parser = oneOf(MATCH_POLICIES, 'median', doc);
  return { example: '', doc: parser.doc, parse: (raw) => (raw === undefined || raw.trim() === '' ? undefined : parser.parse(raw)) };
}

export const matcherEnv = {
  VISION_MATCHER_BASE_URL: optionalHttpUrl('External io2060/vision-matcher; unset uses the embedded matcher'),
  MATCH_THRESHOLD: optionalThreshold(
    `Distance below which faces match; unset: the calibrated default of the embedded model (docs/matching.md), ${REMOTE_DEFAULT_THRESHOLD} for the external vision-matcher`,
  ),
  MATCH_POLICY: optionalPolicy(
    'Aggregate of all live x reference distances: median resists a bad frame, mean is 2060-compatible; unset: median embedded, mean external',
  ),
  MATCHER_TIMEOUT_S: num(30, 'Limit of one request to the external matcher', { min: 1, max: 300 }),
  MATCHER_MODEL: oneOf(EMBEDDING_MODELS, 'faceapi', 'Face embedding model of the embedded matcher (docs/matching.md)'),
  MATCHER_WORKERS: num(2, 'Worker threads of the embedded matcher, each with its own copy of the models', { min: 1, max: 64 }),
  MATCHER_START_TIMEOUT_S: num(60, 'Time for each matcher worker to load its models and warm up', { min: 5, max: 600 }),
  FACE_MATCH_BODY_LIMIT_MB: num(15, 'Largest POST /face_match body (two data URLs), MB', { min: 1, max: 100 }),
  FACE_MATCH_CONCURRENCY: num(2, 'POST /face_match requests read, decoded and matched at once', { min: 1, max: 64 }),
  FACE_MATCH_QUEUE: num(8, 'POST /face_match requests waiting (bodies unread); more get 429 with Retry-After', { min: 0, max: 1000 }),
  FACE_MATCH_RATE_LIMIT_PER_MIN: num(600, 'POST /face_match requests per minute from one client address', { min: 1, max: 100000 }),
  FACE_MATCH_PORT: num(5123, 'Port of the standalone matcher server (npm run start:matcher)', { min: 1, max: 65535 }),
};

/** The matcher in use, ms: the external vision-matcher when VISION_MATCHER_BASE_URL is set, else the embedded one. */
export interface MatcherSettings {
  remote?: RemoteMatcherSettings;
  embedded: Required<Omit<EmbeddedMatcherConfig, 'runtime' | 'threshold' | 'policy'>> & Pick<EmbeddedMatcherConfig, 'threshold' | 'policy'>;
}

export function matcherSettings(env: EnvValues<typeof matcherEnv>): MatcherSettings {
  const baseUrl = env.VISION_MATCHER_BASE_URL;
  return {
    remote: baseUrl
      ? {
          baseUrl,
          threshold: env.MATCH_THRESHOLD ?? REMOTE_DEFAULT_THRESHOLD,
          policy: env.MATCH_POLICY ?? 'mean',
          timeoutMs: env.MATCHER_TIMEOUT_S * 1000,
        }
      : undefined,
    embedded: {
      model: env.MATCHER_MODEL,
      workers: env.MATCHER_WORKERS,
      threshold: env.MATCH_THRESHOLD,
      policy: env.MATCH_POLICY,
      startTimeoutMs: env.MATCHER_START_TIMEOUT_S * 1000,
    },
  };
}

/** The settings with nothing set: the defaults of matchers built without a configuration (scripts, tests). */
export const matcherDefaults = matcherSettings(defaultsOf(matcherEnv));
