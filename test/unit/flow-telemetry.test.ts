import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StateValue } from 'xstate';
import { flowMachine } from '../../src/flow/flow.machine';
import type { FlowContext } from '../../src/flow/flow.types';
import { FlowTelemetry } from '../../src/observability/flow-telemetry';
import { Metrics } from '../../src/observability/metrics';
import { addScore, EMPTY_PAD_TRACE } from '../../src/pad/pad-policy';

const ended = {
  liveness: { challenges: [{ id: 'blink', status: 'passed', progress: 1 }] },
  framesAnalysed: 10,
  callbackAttempts: 1,
  verdict: 'success',
  reported: true,
  settings: { pad: { policy: 'off', threshold: 0.5, fps: 5 } },
  pad: EMPTY_PAD_TRACE,
} as unknown as FlowContext;

/** A snapshot of the real flow machine in this state: telemetry reads its tags. */
const at = (value: StateValue) => flowMachine.resolveState({ value, context: ended });

describe(FlowTelemetry.name, () => {
  it('should know the analysed frame rate of the challenges once the flow ended', async () => {
    const telemetry = new FlowTelemetry(new Metrics());
    telemetry.onState(at({ verifying: { challenges: 'running' } }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    telemetry.onState(at({ verifying: 'fetchingReferences' }));
    assert.equal(telemetry.analysedFps, undefined, 'not before the end');
    telemetry.onEnd(ended, { received: 30, dropped: 20 });
    assert.ok(telemetry.analysedFps! > 0, String(telemetry.analysedFps));
  });

  it('should have no analysed frame rate when the flow never reached the challenges', () => {
    const telemetry = new FlowTelemetry(new Metrics());
    telemetry.onState(at({ verifying: 'joining' }));
    telemetry.onEnd({ ...ended, framesAnalysed: 0 }, { received: 0, dropped: 0 });
    assert.equal(telemetry.analysedFps, undefined);
  });

  it('should time each phase by the tags of the machine states', () => {
    const tags = (value: StateValue) => [...at(value).tags];
    assert.deepEqual(tags({ verifying: 'joining' }), ['join']);
    assert.deepEqual(tags({ verifying: 'instructing' }), ['join']);
    assert.deepEqual(tags({ verifying: { challenges: 'waitingForFace' } }), ['liveness']);
    for (const state of ['fetchingReferences', 'checkingEvidence', 'matching', 'matcherFailed', 'judging'])
      assert.deepEqual(tags({ verifying: state }), ['matching'], state);
    assert.deepEqual(tags({ finishing: { reporting: 'sending', leaving: 'closing' } }), ['callback']);
    assert.deepEqual(tags('done'), []);
  });

  it('should record PAD window scores and the flow by PAD outcome, unless the policy is off', async () => {
    const metrics = new Metrics();
    let pad = EMPTY_PAD_TRACE;
    for (let t = 0; t <= 4000; t += 200) pad = addScore(pad, { timestampMs: t, score: 0.1 }, 0.5);
    assert.equal(pad.windows.length, 2);
    new FlowTelemetry(metrics).onEnd(
      { ...ended, pad, settings: { ...ended.settings, pad: { ...ended.settings.pad, policy: 'stepup' } } },
      {
        received: 0,
        dropped: 0,
      },
    );
    new FlowTelemetry(metrics).onEnd({ ...ended, pad }, { received: 0, dropped: 0 });
    const text = await metrics.registry.metrics();
    assert.match(text, /vision_pad_window_score_count 2\n/);
    assert.match(text, /vision_pad_window_score_bucket\{le="0.1"\} 2\n/);
    assert.match(text, /vision_flows_pad_total\{policy="stepup",outcome="suspect"\} 1\n/);
    assert.doesNotMatch(text, /policy="off"/);
  });
});
