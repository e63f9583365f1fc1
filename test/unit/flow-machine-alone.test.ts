import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AnyStateNode, createActor, fromCallback, fromPromise, SimulatedClock, waitFor } from 'xstate';
import { VisionError } from '../../src/common/errors';
import { flowImplementations } from '../../src/flow/flow.actors';
import { FlowBiometrics } from '../../src/flow/flow-biometrics';
import { ANALYSIS_ERROR_BUDGET, flowMachine, outcomeOf } from '../../src/flow/flow.machine';
import type { FlowContext, FlowEvent, SendCallbackInput } from '../../src/flow/flow.types';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import type { InstructionScreen } from '../../src/render/instruction-screen';
import {
  face,
  FakeCallbacks,
  FakeFace,
  FakeMatcher,
  FakeReferences,
  FakeTransport,
  fakeMouthChallenge,
  matchResult,
} from '../support/flow-fakes';
import { locales, QUIET_LOG, SIMULATED_FLOW_SETTINGS } from '../support/flow-harness';
import { LatestFrameGate } from '../../src/flow/frame-gate';

// The machine alone: its own actions, inert actors given with .provide(), events sent by the test, XState's
// simulated clock. No ports, no service.

const settings = SIMULATED_FLOW_SETTINGS;

/** Far from Date.now(): a deadline on it proves the countdown uses the injected clock. */
const CLOCK_START = 1_000_000;

function alone(overrides: { fail?: () => void } = {}) {
  const clock = new SimulatedClock();
  clock.set(CLOCK_START);
  const shown: InstructionScreen[] = [];
  const callbacks: SendCallbackInput[] = [];
  const { actions } = flowImplementations({
    transport: new FakeTransport(),
    face: new FakeFace(),
    references: new FakeReferences(),
    matcher: new FakeMatcher(),
    callbacks: new FakeCallbacks(),
    plugins: new ChallengeRegistry(['first', 'second'].map(fakeMouthChallenge)).plugins,
    locales,
    displayName: 'Vision Service',
    frames: new LatestFrameGate(),
    biometrics: new FlowBiometrics(5),
    log: QUIET_LOG,
    now: () => clock.now(),
  });
  const machine = flowMachine.provide({
    actions: { ...actions, ...overrides },
    actors: {
      room: fromCallback(({ receive, sendBack }) =>
        receive((command) => (command.type === 'SHOW' ? shown.push(command.screen) : sendBack({ type: 'LEFT' }))),
      ),
      watchFace: fromCallback(() => undefined),
      fetchReferences: fromPromise(async () => 1),
      matchFaces: fromPromise(async () => matchResult(0.2)),
      sendCallback: fromPromise(async ({ input }) => void callbacks.push(input)),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      flowId: 'f1',
      request: { wsUrl: 'ws://127.0.0.1:1/?roomId=r&peerId=p', callbackBaseUrl: 'http://127.0.0.1:2', token: 't1', lang: 'en' },
      challengeIds: ['first', 'second'],
      settings,
    },
  });
  // What the flow's owner sees of a crash (its crash net reports it).
  const errors: unknown[] = [];
  actor.subscribe({ error: (error) => errors.push(error) });
  let ts = 0;
  const flow = {
    errors,
    actor,
    clock,
    shown,
    callbacks,
    context: (): FlowContext => actor.getSnapshot().context,
    send: (event: FlowEvent) => actor.send(event),
    /** Joined, video started, instruction over. */
    enterChallenges() {
      actor.start();
      flow.send({ type: 'JOINED' });
      flow.send({ type: 'SUBJECT_VIDEO_STARTED' });
      clock.increment(settings.instructionMs);
      assert.deepEqual(actor.getSnapshot().value, { verifying: { challenges: 'waitingForFace' } });
    },
    /** `n` analysed frames, 100 ms apart on the frames' clock; the mouth open or not. */
    observe(n: number, mouthOpenness = 0.01) {
      for (let i = 0; i < n; i++) {
        ts += 100;
        const observation = { timestampMs: ts, imageWidth: 640, imageHeight: 480, faceCount: 1, face: face({ mouthOpenness }) };
        flow.send({ type: 'FACE_OBSERVED', observation, evidenceCount: 1 });
      }
    },
    challengeScreens: () => shown.filter((s) => s.phase === 'challenge'),
  };
  return flow;
}

/** Every transition of the machine whose target is `finishing` or inside it. */
function transitionsIntoFinishing() {
  const finishing = flowMachine.root.states.finishing as AnyStateNode;
  const found: { from: string; event: string; actions: unknown[] }[] = [];
  const visit = (node: AnyStateNode) => {
    for (const t of [...node.transitions.values()].flat().concat(node.always ?? [])) {
      const targets = (t.target ?? []) as AnyStateNode[];
      if (targets.some((target) => target === finishing || target.path[0] === 'finishing') && node.path[0] !== 'finishing') {
        found.push({ from: node.path.join('.'), event: t.eventType, actions: [...t.actions] });
      }
    }
    for (const child of Object.values(node.states) as AnyStateNode[]) visit(child);
  };
  visit(flowMachine.root);
  return found;
}

describe('flow machine alone (provided fakes, simulated clock)', () => {
  describe('join deadline', () => {
    it('should fail no_subject_video at joinTimeout when the room was not joined, and say so', () => {
      const flow = alone();
      flow.actor.start();
      flow.clock.increment(settings.joinTimeoutMs - 1);
      assert.deepEqual(flow.actor.getSnapshot().value, { verifying: 'joining' });
      flow.clock.increment(1);
      assert.ok(flow.actor.getSnapshot().matches('finishing'));
      assert.deepEqual(flow.context().failure, {
        reason: 'no_subject_video',
        message: 'the room was not joined before the join timeout',
      });
    });

    it('should count the deadline from the start, not from JOINED, and name the missing video', () => {
      const flow = alone();
      flow.actor.start();
      flow.clock.increment(settings.joinTimeoutMs - 1000);
      flow.send({ type: 'JOINED' });
      assert.equal(flow.context().roomJoined, true);
      flow.clock.increment(1000);
      assert.deepEqual(flow.context().failure, { reason: 'no_subject_video', message: 'no subject video before the join timeout' });
    });

    it('should end the deadline with the subject video', () => {
      const flow = alone();
      flow.actor.start();
      flow.send({ type: 'JOINED' });
      flow.send({ type: 'SUBJECT_VIDEO_STARTED' });
      flow.clock.increment(settings.instructionMs + settings.joinTimeoutMs);
      assert.deepEqual(flow.actor.getSnapshot().value, { verifying: { challenges: 'waitingForFace' } });
      assert.equal(flow.context().failure, undefined);
    });
  });

  describe('analysis error budget', () => {
    it(`should fail internal_error at the ${ANALYSIS_ERROR_BUDGET}th analysis error in a row, not before`, () => {
      const flow = alone();
      flow.enterChallenges();
      const fail = (n: number) => {
        for (let i = 0; i < n; i++) flow.send({ type: 'FACE_ANALYSIS_FAILED', message: 'engine crashed' });
      };
      fail(ANALYSIS_ERROR_BUDGET - 1);
      assert.equal(flow.context().analysisErrors, ANALYSIS_ERROR_BUDGET - 1);
      flow.observe(1);
      assert.equal(flow.context().analysisErrors, 0, 'one analysed frame resets the count');
      assert.equal(flow.context().framesAnalysed, 1, 'analysed frames are counted, failed ones are not');
      fail(ANALYSIS_ERROR_BUDGET - 1);
      assert.ok(flow.actor.getSnapshot().matches({ verifying: 'challenges' }));
      fail(1);
      assert.ok(flow.actor.getSnapshot().matches('finishing'));
      assert.deepEqual(flow.context().failure, { reason: 'internal_error', message: 'face engine failed: engine crashed' });
      assert.equal(flow.context().framesAnalysed, 1);
    });
  });

  describe('explicit verdict', () => {
    it('should set the verdict on every transition into finishing', () => {
      const into = transitionsIntoFinishing();
      assert.ok(into.length >= 15, `found ${into.length}`);
      const verdictActions = new Set(['succeed', 'fail', 'failWithError']);
      for (const t of into) {
        const types = t.actions.map((a) => (typeof a === 'string' ? a : (a as { type: string }).type));
        assert.ok(
          types.some((type) => verdictActions.has(type)),
          `${t.from} on ${t.event} enters finishing without a verdict: ${types}`,
        );
      }
    });

    it('should crash, never report, when a transition into finishing forgets its verdict', () => {
      const flow = alone({ fail: () => undefined });
      flow.enterChallenges();
      flow.send({ type: 'CANCEL' });
      const snapshot = flow.actor.getSnapshot();
      assert.equal(snapshot.status, 'error');
      assert.ok(snapshot.error instanceof VisionError && snapshot.error.reason === 'internal_error', String(snapshot.error));
      assert.deepEqual(flow.errors, [snapshot.error], 'the owner is told once');
      assert.deepEqual(flow.callbacks, [], 'no callback: the crash net reports internal_error');
      assert.equal(outcomeOf(snapshot.context).status, 'failure', 'no verdict is never a success');
    });

    it('should report success only with the verdict judging set', async () => {
      const flow = alone();
      flow.enterChallenges();
      flow.observe(5);
      for (let c = 0; c < 2; c++) {
        flow.observe(2, 0.8);
        flow.observe(1);
      }
      await waitFor(flow.actor, (s) => s.matches({ finishing: { reporting: 'reported' } }), { timeout: 5000 });
      assert.equal(flow.context().verdict, 'success');
      assert.deepEqual(
        flow.callbacks.map((c) => c.outcome.status),
        ['success'],
      );
    });
  });

  describe('countdown deadline', () => {
    it('should carry the challenge deadline on the flow clock, unchanged while analysis stalls, new per challenge', () => {
      const flow = alone();
      flow.enterChallenges();
      flow.clock.increment(300);
      const enteredAt = flow.clock.now();
      flow.observe(5);
      const first = flow.challengeScreens();
      assert.ok(first.length > 0, 'the challenge is shown once it runs');
      assert.deepEqual(first.at(-1)!.challenge, { index: 1, total: 2, endsAtMs: enteredAt + settings.challengeTimeoutMs, progress: 0 });
      // No observation for 4 s: nothing new is sent, the renderer counts down from the same deadline.
      const count = flow.shown.length;
      flow.clock.increment(4000);
      assert.equal(flow.shown.length, count);
      flow.observe(1);
      assert.equal(flow.challengeScreens().at(-1)!.challenge!.endsAtMs, enteredAt + settings.challengeTimeoutMs);
      flow.observe(2, 0.8);
      const next = flow.challengeScreens().at(-1)!.challenge!;
      assert.deepEqual([next.index, next.endsAtMs], [2, enteredAt + 4000 + settings.challengeTimeoutMs]);
      assert.ok(Math.abs(next.endsAtMs - Date.now()) > 1e9, 'on the injected clock, not Date.now()');
    });
  });
});
