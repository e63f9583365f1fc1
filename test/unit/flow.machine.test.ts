import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock } from 'xstate';
import { VisionError } from '../../src/common/errors';
import { ChallengeRegistry } from '../../src/liveness/challenge-registry';
import { face, FakeFace, FakeTransport, fakeMouthChallenge, final, frame, matchResult, retryable } from '../support/flow-fakes';
import { createFlowHarness, locales, SIMULATED_FLOW_SETTINGS } from '../support/flow-harness';

const settings = SIMULATED_FLOW_SETTINGS;

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A flow under test with fake ports and a simulated clock. */
function setup(challengeIds = ['first', 'second']) {
  const transport = new FakeTransport();
  const face_ = new FakeFace();
  const clock = new SimulatedClock();
  const { actor, biometrics, references, matcher, callbacks } = createFlowHarness({
    transport,
    face: face_,
    plugins: new ChallengeRegistry(challengeIds.map(fakeMouthChallenge)).plugins,
    challengeIds,
    settings,
    clock,
    flowId: 'f1',
    token: 't1',
    lang: 'es',
  });
  let ts = 0;
  const flow = {
    biometrics,
    transport,
    face: face_,
    references,
    matcher,
    callbacks,
    clock,
    actor,
    /** Joins, starts the subject video and lets the instruction pass. */
    async enterChallenges() {
      actor.start();
      await tick();
      transport.listener!.onSubjectVideoStarted();
      clock.increment(settings.instructionMs);
      await tick();
    },
    /** Sends `n` frames of what face_.next shows, 100 ms apart. */
    async frames(n: number) {
      for (let i = 0; i < n; i++) {
        ts += 100;
        transport.listener!.onSubjectFrame(frame(ts));
        await tick();
      }
    },
    /** Steady face, then both challenges performed. */
    async performChallenges() {
      await flow.frames(5);
      for (let c = 0; c < challengeIds.length; c++) {
        face_.next = { faceCount: 1, face: face({ mouthOpenness: 0.8 }) };
        await flow.frames(2);
        face_.next = { faceCount: 1, face: face() };
        await flow.frames(1);
      }
    },
    /** Lets the verdict display and leave pass, then waits for the end. */
    async finish() {
      for (let i = 0; i < 20 && actor.getSnapshot().status === 'active'; i++) {
        clock.increment(settings.resultDisplayMs);
        await tick();
      }
      assert.equal(actor.getSnapshot().status, 'done', `flow still in ${JSON.stringify(actor.getSnapshot().value)}`);
      return actor.getSnapshot().output!;
    },
    state: () => actor.getSnapshot().value,
  };
  return flow;
}

/** Exactly one accepted callback with this outcome, and the room was left. */
function assertReportedOnce(flow: ReturnType<typeof setup>, status: 'success' | 'failure', reason?: string) {
  const statuses = new Set(flow.callbacks.attempts.map((a) => a.outcome.status));
  assert.deepEqual([...statuses], [status], 'one outcome only, never both');
  const last = flow.callbacks.attempts.at(-1)!;
  assert.equal(last.outcome.reason, reason);
  assert.equal(last.target.token, 't1');
  assert.equal(flow.transport.closes, flow.transport.connections, 'every joined room was left');
  assert.equal(flow.actor.getSnapshot().context.reported, true);
}

describe('flow machine', () => {
  it('should report success once after the challenges pass and the faces match', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.performChallenges();
    await tick();
    const output = await flow.finish();
    assert.equal(output.status, 'success');
    assert.equal(flow.callbacks.attempts.length, 1);
    assertReportedOnce(flow, 'success', undefined);
    assert.deepEqual(output.challenges, [
      { id: 'first', passed: true },
      { id: 'second', passed: true },
    ]);
    assert.ok(flow.matcher.liveCounts[0] > 0, 'live frames were kept for matching');
  });

  it('should release live frames and references as soon as the verdict is known', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.performChallenges();
    await tick();
    assert.ok(flow.actor.getSnapshot().matches('finishing'));
    assert.equal(flow.biometrics.evidenceCount, 0);
    assert.deepEqual(flow.biometrics.references, []);
    await flow.finish();
  });

  it('should show the instruction in the subject language', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.frames(6);
    const last = flow.transport.shown.at(-1)!;
    assert.equal(last.phase, 'challenge');
    assert.equal(last.text, locales.text('es', 'challenge.open-close-mouth'));
    assert.deepEqual([last.challenge?.index, last.challenge?.total], [1, 2]);
  });

  it('should fail with challenge_timeout when the subject does nothing', async () => {
    const flow = setup();
    await flow.enterChallenges();
    // Enough analysed frames for the whole challenge (2 a second): the subject had a fair chance.
    await flow.frames(6 + (settings.challengeTimeoutMs / 1000) * 2);
    flow.clock.increment(settings.challengeTimeoutMs);
    await tick();
    const output = await flow.finish();
    assertReportedOnce(flow, 'failure', 'challenge_timeout');
    assert.deepEqual(
      output.challenges.map((c) => c.passed),
      [false, false],
    );
  });

  it('should fail with analysis_too_slow, not blame the subject, when too few frames were analysed in time', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.frames(6);
    flow.clock.increment(settings.challengeTimeoutMs);
    await tick();
    const output = await flow.finish();
    assertReportedOnce(flow, 'failure', 'analysis_too_slow');
    assert.equal(output.challenges[0].passed, false);
  });

  it('should restart the challenge timeout for each challenge', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.frames(5);
    flow.clock.increment(settings.challengeTimeoutMs - 1000);
    flow.face.next = { faceCount: 1, face: face({ mouthOpenness: 0.8 }) };
    await flow.frames(2);
    flow.face.next = { faceCount: 1, face: face() };
    await flow.frames(1);
    flow.clock.increment(settings.challengeTimeoutMs - 1000);
    await tick();
    assert.deepEqual(flow.state(), { verifying: { challenges: 'running' } });
  });

  it('should fail with subject_left when the subject leaves mid-flow', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.frames(3);
    flow.transport.listener!.onSubjectLeft();
    await tick();
    await flow.finish();
    assertReportedOnce(flow, 'failure', 'subject_left');
  });

  it('should go on to the verdict when the subject leaves after the last challenge', async () => {
    const flow = setup();
    let release!: () => void;
    flow.references.gate = new Promise((resolve) => (release = resolve));
    await flow.enterChallenges();
    await flow.performChallenges();
    await tick();
    assert.deepEqual(flow.state(), { verifying: 'fetchingReferences' });
    flow.transport.listener!.onSubjectLeft();
    await tick();
    assert.deepEqual(flow.state(), { verifying: 'fetchingReferences' }, 'leaving after liveness does not end the flow');
    release();
    await tick();
    await tick();
    const output = await flow.finish();
    assertReportedOnce(flow, 'success', undefined);
    assert.ok(output.match, 'the real match decided');
  });

  it('should fail with subject_left when the subject leaves before the last challenge passed', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.frames(5);
    flow.face.next = { faceCount: 1, face: face({ mouthOpenness: 0.8 }) };
    await flow.frames(2);
    flow.face.next = { faceCount: 1, face: face() };
    await flow.frames(1);
    assert.equal(flow.actor.getSnapshot().context.liveness.challenges[0].status, 'passed');
    flow.transport.listener!.onSubjectLeft();
    await tick();
    await flow.finish();
    assertReportedOnce(flow, 'failure', 'subject_left');
  });

  it('should fail with transport_failed when the room cannot be joined', async () => {
    const flow = setup();
    flow.transport.mode = 'reject';
    flow.actor.start();
    await tick();
    await flow.finish();
    assertReportedOnce(flow, 'failure', 'transport_failed');
  });

  for (const [name, mode] of [
    ['should fail with no_subject_video when no video arrives before the join timeout', 'join'],
    ['should stop a hanging join when the join timeout fails the flow', 'hang'],
  ] as const) {
    it(name, async () => {
      const flow = setup();
      flow.transport.mode = mode;
      flow.actor.start();
      await tick();
      flow.clock.increment(settings.joinTimeoutMs);
      await tick();
      await flow.finish();
      assertReportedOnce(flow, 'failure', 'no_subject_video');
    });
  }

  it('should fail with flow_timeout when a phase hangs', async () => {
    const flow = setup();
    flow.references.result = 'hang';
    await flow.enterChallenges();
    await flow.performChallenges();
    assert.deepEqual(flow.state(), { verifying: 'fetchingReferences' });
    flow.clock.increment(settings.flowTimeoutMs);
    await tick();
    await flow.finish();
    assertReportedOnce(flow, 'failure', 'flow_timeout');
  });

  it('should fail with multiple_faces when two people stay in frame', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.frames(5);
    flow.face.next = { faceCount: 2, face: face() };
    await flow.frames(25);
    await flow.finish();
    assertReportedOnce(flow, 'failure', 'multiple_faces');
  });

  it('should fail with face_lost when the face disappears for FACE_LOST_S', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.frames(5);
    flow.face.next = { faceCount: 0 };
    await flow.frames(55);
    await flow.finish();
    assertReportedOnce(flow, 'failure', 'face_lost');
  });

  it('should fail with internal_error when the face engine keeps failing', async () => {
    const flow = setup();
    await flow.enterChallenges();
    flow.face.failing = true;
    await flow.frames(12);
    await flow.finish();
    assertReportedOnce(flow, 'failure', 'internal_error');
  });

  for (const [name, result, reason] of [
    ['the list is empty', { usable: [] as never[], skipped: [] as never[] }, 'no_reference'],
    ['the list is unreachable', new VisionError('no_reference', 'list unavailable'), 'no_reference'],
  ] as const) {
    it(`should fail with ${reason} when ${name}`, async () => {
      const flow = setup();
      flow.references.result = result;
      await flow.enterChallenges();
      await flow.performChallenges();
      await flow.finish();
      assertReportedOnce(flow, 'failure', reason);
      assert.equal(flow.matcher.liveCounts.length, 0);
    });
  }

  it('should fail with no_match when the faces differ', async () => {
    const flow = setup();
    flow.matcher.answers = [matchResult(0.7)];
    await flow.enterChallenges();
    await flow.performChallenges();
    const output = await flow.finish();
    assertReportedOnce(flow, 'failure', 'no_match');
    assert.deepEqual(output.match, { distance: 0.7, threshold: 0.4 });
  });

  it('should retry an unreachable matcher once, then fail with matcher_unavailable', async () => {
    const flow = setup();
    flow.matcher.answers = [new VisionError('matcher_unavailable', '503')];
    await flow.enterChallenges();
    await flow.performChallenges();
    await flow.finish();
    assert.equal(flow.matcher.liveCounts.length, 2);
    assertReportedOnce(flow, 'failure', 'matcher_unavailable');
  });

  it('should succeed when the matcher answers on the retry', async () => {
    const flow = setup();
    flow.matcher.answers = [new VisionError('matcher_unavailable', '503'), matchResult(0.1)];
    await flow.enterChallenges();
    await flow.performChallenges();
    await flow.finish();
    assertReportedOnce(flow, 'success', undefined);
  });

  for (const [event, reason] of [
    ['CANCEL', 'cancelled'],
    ['SHUTDOWN', 'service_shutdown'],
  ] as const) {
    it(`should fail with ${reason} on ${event}`, async () => {
      const flow = setup();
      await flow.enterChallenges();
      flow.actor.send({ type: event });
      await tick();
      await flow.finish();
      assertReportedOnce(flow, 'failure', reason);
    });
  }

  it('should retry the callback with backoff on retryable errors until it is delivered', async () => {
    const flow = setup();
    flow.callbacks.failures = [retryable(), retryable()];
    flow.transport.mode = 'reject';
    flow.actor.start();
    await tick();
    for (const delay of [2000, 4000]) {
      flow.clock.increment(delay - 1);
      await tick();
      assert.ok(flow.callbacks.attempts.length < 3, 'not before the backoff delay');
      flow.clock.increment(1);
      await tick();
    }
    await flow.finish();
    assert.deepEqual(
      flow.callbacks.attempts.map((a) => a.attempt),
      [1, 2, 3],
    );
    assertReportedOnce(flow, 'failure', 'transport_failed');
  });

  it('should give up after CALLBACK_MAX_ATTEMPTS and still leave', async () => {
    const flow = setup();
    flow.callbacks.failures = Array.from({ length: 10 }, retryable);
    flow.transport.mode = 'reject';
    flow.actor.start();
    await tick();
    for (let i = 0; i < 10; i++) {
      flow.clock.increment(64_000);
      await tick();
    }
    await flow.finish();
    assert.equal(flow.callbacks.attempts.length, settings.callbackMaxAttempts);
    assert.equal(flow.actor.getSnapshot().context.reported, false);
  });

  it('should not retry a callback the controller refused with 4xx', async () => {
    const flow = setup();
    flow.callbacks.failures = [final()];
    flow.transport.mode = 'reject';
    flow.actor.start();
    await tick();
    await flow.finish();
    assert.equal(flow.callbacks.attempts.length, 1);
  });

  it('should ignore transport events after the verdict', async () => {
    const flow = setup();
    await flow.enterChallenges();
    await flow.performChallenges();
    flow.transport.listener!.onSubjectLeft();
    flow.transport.listener!.onFailed(new VisionError('transport_failed', 'late'));
    await tick();
    await flow.finish();
    assertReportedOnce(flow, 'success', undefined);
    assert.equal(flow.callbacks.attempts.length, 1);
  });
});
