import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowContext } from '../../src/flow/flow.types';
import { FlowTelemetry } from '../../src/observability/flow-telemetry';
import { Metrics } from '../../src/observability/metrics';

const ended = {
  liveness: { challenges: [{ id: 'blink', status: 'passed', progress: 1 }] },
  callbackAttempts: 1,
  reported: true,
} as unknown as FlowContext;

describe(FlowTelemetry.name, () => {
  it('should know the analysed frame rate of the challenges once the flow ended', async () => {
    const telemetry = new FlowTelemetry(new Metrics());
    telemetry.onState('verifying.challenges.running');
    await new Promise((resolve) => setTimeout(resolve, 5));
    telemetry.onState('verifying.fetchingReferences');
    assert.equal(telemetry.analysedFps, undefined, 'not before the end');
    telemetry.onEnd(ended, { received: 30, dropped: 20, delivered: 10 });
    assert.ok(telemetry.analysedFps! > 0, String(telemetry.analysedFps));
  });

  it('should have no analysed frame rate when the flow never reached the challenges', () => {
    const telemetry = new FlowTelemetry(new Metrics());
    telemetry.onState('verifying.joining');
    telemetry.onEnd(ended, { received: 0, dropped: 0, delivered: 0 });
    assert.equal(telemetry.analysedFps, undefined);
  });
});
