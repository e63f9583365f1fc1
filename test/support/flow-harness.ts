/** One flow machine under test: the machine and its actor built with the given ports, fakes for the rest. */
import { after, before } from 'node:test';
import { Actor, createActor, SimulatedClock, toPromise } from 'xstate';
import { ALL_CHALLENGES } from '../../challenges';
import { Locales } from '../../src/common/locales';
import type { FaceAnalysisPort } from '../../src/face/face-analysis.port';
import { createNamedFaceEngine } from '../../src/adapters';
import { FACE_ENGINES, type FaceEngineName } from '../../src/face/face.env';
import type { WorkerFaceEngine } from '../../src/face/worker-face-engine';
import { flowImplementations } from '../../src/flow/flow.actors';
import { flowMachine, FlowMachine } from '../../src/flow/flow.machine';
import type { FlowSettings } from '../../src/flow/flow.types';
import { LatestFrameGate } from '../../src/flow/frame-gate';
import { FlowBiometrics } from '../../src/flow/flow-biometrics';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import { DEFAULT_LIVENESS_SETTINGS, livenessSettingsFor, type ChallengePlugins } from '../../src/liveness/liveness';
import type { FlowLog } from '../../src/observability/logger';
import { EmbeddedMatcher } from '../../src/matcher/embedded/embedded-matcher';
import type { MatcherPort } from '../../src/matcher/matcher.port';
import type { ReferencePort } from '../../src/references/reference.port';
import type { TransportPort } from '../../src/transport/transport.port';
import { FakeCallbacks, FakeMatcher, FakeReferences } from './flow-fakes';

/** The shipped locales, loaded once. */
export const locales = Locales.load();

/** A flow log that prints nothing. */
export const QUIET_LOG: FlowLog = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  child: () => QUIET_LOG,
};

/** Settings for flows played in real time from clips: short instruction, no verdict display, one try each. */
export const CLIP_FLOW_SETTINGS: FlowSettings = {
  flowTimeoutMs: 60_000,
  joinTimeoutMs: 5_000,
  instructionMs: 300,
  challengeTimeoutMs: 6_000,
  resultDisplayMs: 0,
  leaveTimeoutMs: 1_000,
  callbackMaxAttempts: 1,
  callbackBackoffMs: 10,
  matcherAttempts: 1,
  liveness: { ...DEFAULT_LIVENESS_SETTINGS, faceLostMs: 5_000 },
  // Off unless a test is about PAD: the fakes' observations carry no score.
  pad: { policy: 'off', threshold: 0.5, fps: 5 },
};

/** Settings for flows on XState's simulated clock (machine unit tests): the service's defaults. */
export const SIMULATED_FLOW_SETTINGS: FlowSettings = {
  flowTimeoutMs: 120_000,
  joinTimeoutMs: 15_000,
  instructionMs: 2_000,
  challengeTimeoutMs: 10_000,
  resultDisplayMs: 2_000,
  leaveTimeoutMs: 5_000,
  callbackMaxAttempts: 6,
  callbackBackoffMs: 2_000,
  matcherAttempts: 2,
  liveness: { ...DEFAULT_LIVENESS_SETTINGS, faceLostMs: 5_000 },
  // Off unless a test is about PAD: the fakes' observations carry no score.
  pad: { policy: 'off', threshold: 0.5, fps: 5 },
};

/** Ports and input of the flow; what is left out is a fake (the references, matcher) or a default. */
export interface FlowHarnessOptions<R extends ReferencePort, M extends MatcherPort> {
  transport: TransportPort;
  face: FaceAnalysisPort;
  references?: R;
  matcher?: M;
  /** Default: every shipped challenge. */
  plugins?: ChallengePlugins;
  challengeIds: string[];
  /** The challenge a PAD step-up adds; default the first one again. */
  stepUpChallengeId?: string;
  settings?: FlowSettings;
  flowId?: string;
  token?: string;
  lang?: string;
  clock?: SimulatedClock;
}

/** A built, not yet started flow; `callbacks` collects every callback attempt. */
export interface FlowHarness<R extends ReferencePort, M extends MatcherPort> {
  actor: Actor<FlowMachine>;
  references: R;
  matcher: M;
  callbacks: FakeCallbacks;
  /** The flow's live frames and references. */
  biometrics: FlowBiometrics;
}

/** Builds the flow machine and its actor with these ports (callbacks are always collected by a FakeCallbacks). */
export function createFlowHarness<R extends ReferencePort = FakeReferences, M extends MatcherPort = FakeMatcher>(
  options: FlowHarnessOptions<R, M>,
): FlowHarness<R, M> {
  const references = options.references ?? (new FakeReferences() as unknown as R);
  const matcher = options.matcher ?? (new FakeMatcher() as unknown as M);
  const callbacks = new FakeCallbacks();
  const biometrics = new FlowBiometrics(5);
  const implementations = flowImplementations({
    transport: options.transport,
    face: options.face,
    references,
    matcher,
    callbacks,
    plugins: options.plugins ?? new ChallengeRegistry(ALL_CHALLENGES).plugins,
    locales,
    displayName: 'Vision Service',
    frames: new LatestFrameGate(),
    biometrics,
    log: QUIET_LOG,
    // The countdown deadline on the simulated clock too.
    ...(options.clock && { now: () => options.clock!.now() }),
  });
  const actor = createActor(flowMachine.provide(implementations), {
    // xstate takes an explicit `clock: undefined` as a clock: pass it only when given.
    ...(options.clock && { clock: options.clock }),
    input: {
      flowId: options.flowId ?? `flow-${options.challengeIds.join('-')}`,
      request: {
        wsUrl: 'ws://127.0.0.1:1/?roomId=r&peerId=p',
        callbackBaseUrl: 'http://127.0.0.1:2',
        token: options.token ?? 't',
        lang: options.lang ?? 'en',
      },
      challengeIds: options.challengeIds,
      stepUpChallengeId: options.stepUpChallengeId ?? options.challengeIds[0],
      settings: options.settings ?? { ...CLIP_FLOW_SETTINGS, liveness: livenessSettingsFor(options.face.descriptorModel, 5_000) },
    },
  });
  return { actor, references, matcher, callbacks, biometrics };
}

/** Runs a flow to its end in real time; the output and last context beside the harness. */
export async function runFlow<R extends ReferencePort = FakeReferences, M extends MatcherPort = FakeMatcher>(
  options: FlowHarnessOptions<R, M>,
) {
  const harness = createFlowHarness(options);
  harness.actor.start();
  const output = await toPromise(harness.actor);
  return { ...harness, output, context: harness.actor.getSnapshot().context };
}

/**
 * The real face engine, the default one unless `engine` says (and, with `matcher`, the embedded matcher), one
 * worker each, started before the suite's tests and closed after them.
 */
export function useRealEngines(options: { matcher?: boolean; engine?: FaceEngineName } = {}): {
  face(): WorkerFaceEngine;
  matcher(): EmbeddedMatcher;
} {
  let face: WorkerFaceEngine | undefined;
  let matcher: EmbeddedMatcher | undefined;
  before(async () => {
    face = createNamedFaceEngine(options.engine ?? FACE_ENGINES[0], { workers: 1 });
    matcher = options.matcher ? EmbeddedMatcher.create({ model: 'faceapi', workers: 1 }) : undefined;
    await Promise.all([face.ready(), matcher?.ready()]);
  });
  after(() => Promise.all([face?.close(), matcher?.close()]));
  return { face: () => face!, matcher: () => matcher! };
}
