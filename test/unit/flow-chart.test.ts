import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderFlowChart } from '../../src/flow/flow-chart';
import { CHART_PATH } from '../../scripts/chart';

describe('flow chart', () => {
  it('should match the committed docs/flow-machine.md (run `npm run chart` after changing the machine)', () => {
    assert.equal(readFileSync(CHART_PATH, 'utf8'), renderFlowChart());
  });

  it('should show every state and the timeouts of the flow', () => {
    const chart = renderFlowChart();
    for (const text of [
      'joining',
      'challenges (invokes watchFace)',
      'after flowTimeout',
      'after challengeTimeout',
      'SUBJECT_LEFT',
      '[callbackMayRetry]',
      // One join deadline, the analysis error budget and the explicit verdict are on the map.
      'verifying_joining --> finishing : after joinTimeout / failure: no_subject_video',
      'FACE_ANALYSIS_FAILED [analysisErrorBudgetSpent] / failure: internal_error',
      'verifying_judging --> finishing : always [facesMatch] / success',
    ]) {
      assert.ok(chart.includes(text), text);
    }
  });
});
