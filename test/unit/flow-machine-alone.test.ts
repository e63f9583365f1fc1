import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AnyStateNode, createActor, fromCallback, fromPromise, SimulatedClock, waitFor } from 'xstate';
import { VisionError } from '../../src/common/errors';
import { flowImplementations } from '../../src/flow/flow.actors';
import { FlowBiometrics } from '../../src/flow/flow-biometrics';
import { ANALYSIS_ERROR_BUDGET, flowMachine, outcomeOf } from '../../src/flow/flow.machine';
import type { FlowContext, FlowEvent, SendCallbackInput, WatchFaceInput } from '../../src/flow/flow.types';
import { PAD_WINDOW_MS, type PadPolicy } from '../../src/pad/pad-policy';
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

function alone(overrides: { fail?: () => void } = {}, padPolicy: PadPolicy = settings.pad.policy) {
  const clock = new SimulatedClock();
  clock.set(CLOCK_START);
  const shown: InstructionScreen[] = [];
  const callbacks: SendCallbackInput[] = [];
  const watchInputs: WatchFaceInput[] = [];
  const { actions } = flowImplementations({
    transport: new FakeTransport(),
    face: new FakeFace(),
    references: new FakeReferences(),
    matcher: new FakeMatcher(),
    callbacks: new FakeCallbacks(),
    plugins: new ChallengeRegistry(['first', 'second', 'extra'].map(fakeMouthChallenge)).plugins,
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
      watchFace: fromCallback(({ input }) => void watchInputs.push(input)),
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
      stepUpChallengeId: 'extra',
      settings: { ...settings, pad: { ...settings.pad, policy: padPolicy } },
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
    watchInputs,
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
    /**
     * `n` analysed frames, 100 ms apart on the frames' clock; the mouth open or not; with a PAD score or not; the
     * live evidence kept so far.
     */
    observe(n: number, mouthOpenness = 0.01, padScore?: number, evidenceCount = 1) {
      for (let i = 0; i < n; i++) {
        ts += 100;
        const observation = { timestampMs: ts, imageWidth: 640, imageHeight: 480, faceCount: 1, face: face({ mouthOpenness }), padScore };
        flow.send({ type: 'FACE_OBSERVED', observation, evidenceCount });
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

  describe('live evidence for matching', () => {
    const passBoth = (flow: ReturnType<typeof alone>, evidence: number) => {
      flow.enterChallenges();
      flow.observe(5, 0.01, undefined, evidence);
      for (let c = 0; c < 2; c++) {
        flow.observe(2, 0.8, undefined, evidence);
        flow.observe(1, 0.01, undefined, evidence);
      }
    };

    it('should ask the subject to look at the camera when the challenges passed without a frame to match, then go on', async () => {
      const flow = alone();
      passBoth(flow, 0);
      assert.deepEqual(flow.actor.getSnapshot().value, { verifying: { challenges: 'awaitingFrontalFace' } });
      assert.equal(flow.shown.at(-1)!.phase, 'look_at_camera');
      assert.equal(flow.shown.at(-1)!.text, locales.text('en', 'hint.look_at_camera'));
      flow.observe(1, 0.01, undefined, 1);
      await waitFor(flow.actor, (s) => s.matches({ finishing: { reporting: 'reported' } }), { timeout: 5000 });
      assert.deepEqual(
        flow.callbacks.map((c) => c.outcome.status),
        ['success'],
      );
    });

    it('should fail no_match at the challenge timeout when no frame to match ever comes', () => {
      const flow = alone();
      passBoth(flow, 0);
      flow.clock.increment(settings.challengeTimeoutMs - 1);
      flow.observe(3, 0.01, undefined, 0);
      assert.ok(flow.actor.getSnapshot().matches({ verifying: { challenges: 'awaitingFrontalFace' } }));
      flow.clock.increment(1);
      assert.ok(flow.actor.getSnapshot().matches('finishing'));
      assert.deepEqual(flow.context().failure, { reason: 'no_match', message: 'no frontal, sharp live frame was captured' });
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

  describe('presentation-attack policy (PAD)', () => {
    const low = 0.1;
    const high = 0.95;
    /** Frames of one 2-s window (100 ms apart), each with a PAD score; the mouth closed. */
    const windowOf = (flow: ReturnType<typeof alone>, score: number) => flow.observe(PAD_WINDOW_MS / 100, 0.01, score);
    /** Passes the running challenge (fakeMouthChallenge: two open frames), scoring every frame. */
    const pass = (flow: ReturnType<typeof alone>, score: number) => {
      flow.observe(2, 0.8, score);
      flow.observe(1, 0.01, score);
    };
    const reported = (flow: ReturnType<typeof alone>) =>
      waitFor(flow.actor, (s) => s.matches({ finishing: { reporting: 'reported' } }), { timeout: 5000 });

    it('stepup: two suspect windows add one challenge; still suspect at the verdict → presentation_attack', async () => {
      const flow = alone({}, 'stepup');
      flow.enterChallenges();
      assert.equal(flow.watchInputs[0].padFps, settings.pad.fps);
      assert.deepEqual(flow.watchInputs[0].challengeIds, ['first', 'second', 'extra'], 'the extra challenge is analysed for too');
      flow.observe(5, 0.01, low);
      windowOf(flow, low);
      assert.equal(flow.context().liveness.challenges.length, 2, 'one suspect window is not enough');
      windowOf(flow, low);
      assert.deepEqual(
        flow.context().liveness.challenges.map((c) => [c.id, c.status]),
        [
          ['first', 'running'],
          ['second', 'pending'],
          ['extra', 'pending'],
        ],
      );
      assert.equal(flow.context().pad.steppedUp, true);
      assert.equal(flow.challengeScreens().at(-1)!.challenge!.total, 3, 'the subject sees one more challenge');
      for (let c = 0; c < 3; c++) pass(flow, low);
      await reported(flow);
      const [callback] = flow.callbacks;
      assert.equal(callback.outcome.status, 'failure');
      assert.equal(callback.outcome.reason, 'presentation_attack');
      assert.deepEqual(
        callback.outcome.challenges.map((c) => c.passed),
        [true, true, true],
      );
      assert.equal(callback.outcome.pad?.suspect, true);
      assert.equal(callback.outcome.pad?.stepped_up, true);
      assert.equal(flow.context().liveness.challenges.length, 3, 'one extra challenge, not one per suspect window');
      const phases = flow.shown.map((s) => s.phase);
      assert.equal(phases.at(-1), 'not_verified', 'the subject is told "not verified", nothing else');
    });

    it('stepup: a subject whose windows recover during the extra challenge is verified', async () => {
      const flow = alone({}, 'stepup');
      flow.enterChallenges();
      flow.observe(5, 0.01, low);
      windowOf(flow, low);
      windowOf(flow, low);
      assert.equal(flow.context().pad.steppedUp, true);
      windowOf(flow, high);
      windowOf(flow, high);
      for (let c = 0; c < 3; c++) pass(flow, high);
      await reported(flow);
      assert.equal(flow.callbacks[0].outcome.status, 'success');
      assert.equal(flow.callbacks[0].outcome.pad?.suspect, true, 'the dip is recorded');
    });

    it('enforce: fails with presentation_attack at the second suspect window, during the challenge', async () => {
      const flow = alone({}, 'enforce');
      flow.enterChallenges();
      flow.observe(5, 0.01, low);
      windowOf(flow, low);
      assert.ok(flow.actor.getSnapshot().matches({ verifying: 'challenges' }));
      windowOf(flow, low);
      assert.ok(flow.actor.getSnapshot().matches('finishing'));
      await reported(flow);
      const { outcome } = flow.callbacks[0];
      assert.equal(outcome.reason, 'presentation_attack');
      assert.equal(flow.context().liveness.challenges.length, 2, 'no extra challenge under enforce');
      assert.equal(outcome.pad?.windows.length, 2, 'it failed on the frame that closed the second one');
      assert.ok(outcome.pad!.windows.every((w) => w.suspect && w.mean === low));
    });

    it('report: records the windows, decides nothing', async () => {
      const flow = alone({}, 'report');
      flow.enterChallenges();
      flow.observe(5, 0.01, low);
      windowOf(flow, low);
      windowOf(flow, low);
      windowOf(flow, low);
      for (let c = 0; c < 2; c++) pass(flow, low);
      await reported(flow);
      const { outcome } = flow.callbacks[0];
      assert.equal(outcome.status, 'success');
      assert.equal(flow.context().liveness.challenges.length, 2);
      assert.equal(outcome.pad?.policy, 'report');
      assert.equal(outcome.pad?.suspect, true);
      assert.equal(outcome.pad?.stepped_up, false);
      assert.ok(outcome.pad!.frames_scored >= 3 * (PAD_WINDOW_MS / 100));
      assert.equal(outcome.pad?.window_min, low);
    });

    it('stepup: challenges passed before two windows wait for the evidence, then the replay gets the extra challenge', async () => {
      const flow = alone({}, 'stepup');
      flow.enterChallenges();
      flow.observe(5, 0.01, low);
      for (let c = 0; c < 2; c++) pass(flow, low);
      assert.deepEqual(flow.actor.getSnapshot().value, { verifying: { challenges: 'awaitingPadEvidence' } }, 'no verdict without evidence');
      assert.equal(flow.shown.at(-1)!.phase, 'processing');
      windowOf(flow, low);
      windowOf(flow, low);
      assert.deepEqual(flow.actor.getSnapshot().value, { verifying: { challenges: 'running' } });
      assert.deepEqual(
        flow.context().liveness.challenges.map((c) => [c.id, c.status]),
        [
          ['first', 'passed'],
          ['second', 'passed'],
          ['extra', 'running'],
        ],
      );
      pass(flow, low);
      await reported(flow);
      assert.equal(flow.callbacks[0].outcome.reason, 'presentation_attack');
    });

    it('stepup: a live subject who passed fast waits for two clear windows and is verified', async () => {
      const flow = alone({}, 'stepup');
      flow.enterChallenges();
      flow.observe(5, 0.01, high);
      for (let c = 0; c < 2; c++) pass(flow, high);
      assert.ok(flow.actor.getSnapshot().matches({ verifying: { challenges: 'awaitingPadEvidence' } }));
      windowOf(flow, high);
      windowOf(flow, high);
      await reported(flow);
      assert.equal(flow.callbacks[0].outcome.status, 'success');
      assert.equal(flow.context().liveness.challenges.length, 2);
    });

    it('enforce: no verdict without two windows; too few scored frames end as analysis_too_slow', async () => {
      const flow = alone({}, 'enforce');
      flow.enterChallenges();
      flow.observe(5, 0.01, low);
      for (let c = 0; c < 2; c++) pass(flow, low);
      assert.ok(flow.actor.getSnapshot().matches({ verifying: { challenges: 'awaitingPadEvidence' } }));
      flow.clock.increment(settings.challengeTimeoutMs - 1);
      assert.ok(flow.actor.getSnapshot().matches({ verifying: { challenges: 'awaitingPadEvidence' } }));
      flow.clock.increment(1);
      await reported(flow);
      assert.deepEqual(flow.context().failure, {
        reason: 'analysis_too_slow',
        message: 'too few frames were scored for the presentation-attack check',
      });
    });

    it('off: nothing is scored or folded in, and the view has no pad part', async () => {
      const flow = alone({}, 'off');
      flow.enterChallenges();
      assert.equal(flow.watchInputs[0].padFps, 0, 'the engine is asked for no score');
      flow.observe(5, 0.01, low);
      windowOf(flow, low);
      windowOf(flow, low);
      for (let c = 0; c < 2; c++) pass(flow, low);
      await reported(flow);
      assert.equal(flow.callbacks[0].outcome.status, 'success');
      assert.equal(flow.callbacks[0].outcome.pad, undefined);
      assert.equal(flow.context().pad.frames, 0);
    });
  });
});
