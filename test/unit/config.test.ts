import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { availableParallelism } from 'node:os';
import { KNOWN_VARIABLES, loadConfig } from '../../src/config/app-config';
import { exposureNotes, unsupported2060Notes } from '../../src/config/startup-notes';
import { ConfigError } from '../../src/config/env';
import { FLOWS_PER_CORE } from '../../src/config/server.env';
import { renderEnvExample } from '../../src/config/env-example';
import { ENV_EXAMPLE_PATH } from '../../scripts/env-example';
import { faceDefaults } from '../../src/face/face.env';
import { matcherDefaults } from '../../src/matcher/matcher.env';

describe('configuration', () => {
  it('should map the 2060 VERBOSE names to debug logs unless LOG_LEVEL is set', () => {
    assert.equal(loadConfig({ VERBOSE: 'true' }).server.LOG_LEVEL, 'debug');
    assert.equal(loadConfig({ VERVOSE_APP: '1' }).server.LOG_LEVEL, 'debug');
    assert.equal(loadConfig({ VERBOSE: 'false' }).server.LOG_LEVEL, 'info');
    assert.equal(loadConfig({ VERBOSE: 'true', LOG_LEVEL: 'warn' }).server.LOG_LEVEL, 'warn');
    assert.throws(() => loadConfig({ VERBOSE: 'loud' }), /VERBOSE: must be true or false/);
  });

  it('should warn about 2060-only settings, never about a variable it reads', () => {
    const notes = unsupported2060Notes(
      { GLASSES_DETECTOR_MODE: 'OFF', HOST: '0.0.0.0', NUMBER_OF_GESTURES_TO_REQUEST: '2' },
      KNOWN_VARIABLES,
    );
    assert.deepEqual(
      notes.map((n) => [n.level, n.message.split(' ')[0]]),
      [['warn', 'GLASSES_DETECTOR_MODE']],
    );
    assert.deepEqual(unsupported2060Notes({ ENABLE_DEBUG_ENDPOINTS: 'false' }, new Set(['ENABLE_DEBUG_ENDPOINTS'])), []);
  });

  it('should warn when bound to a non-loopback address without an API key', () => {
    const warned = (env: Record<string, string>) => exposureNotes(loadConfig(env)).length > 0;
    assert.equal(warned({}), true, 'the default HOST is 0.0.0.0');
    assert.equal(warned({ HOST: '10.0.0.5' }), true);
    assert.equal(warned({ HOST: '::' }), true);
    for (const HOST of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) assert.equal(warned({ HOST }), false, HOST);
    assert.equal(warned({ VISION_API_KEY: 'k' }), false);
  });

  it('should default to the 2060-compatible values', () => {
    const config = loadConfig({});
    assert.equal(config.server.PORT, 5000);
    assert.equal(config.flow.NUMBER_OF_GESTURES_TO_REQUEST, 2);
    assert.equal(config.flow.FLOW_TIMEOUT_S, 120);
    assert.equal(config.matcher.VISION_MATCHER_BASE_URL, undefined);
    assert.equal(config.callbacks.CALLBACK_INCLUDE_DETAILS, false);
  });

  it('should name every invalid variable in one error', () => {
    assert.throws(
      () =>
        loadConfig({
          PORT: 'abc',
          NUMBER_OF_GESTURES_TO_REQUEST: '0',
          VISION_MATCHER_BASE_URL: 'ftp://x',
          CALLBACK_INCLUDE_DETAILS: 'maybe',
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 4 &&
        ['PORT', 'NUMBER_OF_GESTURES_TO_REQUEST', 'VISION_MATCHER_BASE_URL', 'CALLBACK_INCLUDE_DETAILS'].every((name) =>
          error.message.includes(name),
        ),
    );
  });

  it('should refuse FACE_ENGINE=human (removed) at start-up rather than run another engine', () => {
    assert.throws(
      () => loadConfig({ FACE_ENGINE: 'human' }),
      (error: unknown) => error instanceof ConfigError && /FACE_ENGINE: must be one of mediapipe, got "human"/.test(error.message),
    );
  });
  it('should size MAX_CONCURRENT_FLOWS to the machine unless set', () => {
    assert.equal(loadConfig({}).server.MAX_CONCURRENT_FLOWS, FLOWS_PER_CORE * availableParallelism());
    assert.equal(loadConfig({ MAX_CONCURRENT_FLOWS: '3' }).server.MAX_CONCURRENT_FLOWS, 3);
    assert.throws(() => loadConfig({ MAX_CONCURRENT_FLOWS: '0' }), /MAX_CONCURRENT_FLOWS/);
  });

  it('should parse lists, floats and URLs', () => {
    const config = loadConfig({ CHALLENGES: 'blink, smile,,', MATCH_THRESHOLD: '0.35', VISION_MATCHER_BASE_URL: 'http://matcher:5123/' });
    assert.deepEqual(config.flow.CHALLENGES, ['blink', 'smile']);
    assert.equal(config.matcher.MATCH_THRESHOLD, 0.35);
    assert.equal(config.matcher.VISION_MATCHER_BASE_URL, 'http://matcher:5123');
  });

  it('should build the settings once, in milliseconds and adapter shape, from the validated variables', () => {
    const { settings } = loadConfig({
      JOIN_TIMEOUT_S: '7',
      INSTRUCTION_S: '1.5',
      CALLBACK_TIMEOUT_S: '4',
      HTTP_REQUEST_TIMEOUT_S: '20',
      HTTP_HEADERS_TIMEOUT_S: '60',
      FACE_START_TIMEOUT_S: '90',
      FACE_WORKERS: '3',
      VISION_MATCHER_BASE_URL: 'http://matcher:5123',
      MATCHER_TIMEOUT_S: '12',
    });
    assert.deepEqual(settings.flow, {
      flowTimeoutMs: 120_000,
      joinTimeoutMs: 7000,
      instructionMs: 1500,
      challengeTimeoutMs: 10_000,
      resultDisplayMs: 2000,
      leaveTimeoutMs: 5000,
      faceLostMs: 5000,
    });
    assert.equal(settings.callbacks.delivery.timeoutMs, 4000);
    assert.deepEqual(settings.server.http, { requestTimeoutMs: 20_000, headersTimeoutMs: 20_000, maxConnections: 1000 });
    assert.deepEqual(settings.face, { engine: 'mediapipe', workers: 3, detectorSkipMs: 500, startTimeoutMs: 90_000 });
    assert.deepEqual(settings.matcher.remote, { baseUrl: 'http://matcher:5123', threshold: 0.4, policy: 'mean', timeoutMs: 12_000 });
    assert.equal(settings.references.timeoutMs, 10_000);
    assert.equal(loadConfig({}).settings.matcher.remote, undefined, 'no base URL: the embedded matcher');
  });

  it('should give engines and matchers built without a configuration the variables’ own defaults', () => {
    const defaults = loadConfig({}).settings;
    assert.deepEqual(faceDefaults, { ...defaults.face, workers: availableParallelism() });
    assert.deepEqual(matcherDefaults, defaults.matcher);
  });

  it('should keep .env.example in sync with the schema (run `npm run env:example`)', () => {
    assert.equal(readFileSync(ENV_EXAMPLE_PATH, 'utf8'), renderEnvExample());
  });
});
