import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_THRESHOLDS } from '../../src/matcher/embedded/thresholds';
import { aggregateDistances } from '../../src/matcher/match-policy';
import { nextRequestId, toVisionMatcherScale } from '../../src/matcher/face-match/vision-matcher-scale';

describe("/face_match distances on vision-matcher's scale", () => {
  const thresholds = [...Object.values(DEFAULT_THRESHOLDS), 0.05, 0.6];

  it('should map the threshold in use to 0.4 and decide every pair as the raw threshold does', () => {
    for (const t of thresholds) {
      assert.ok(Math.abs(toVisionMatcherScale(t, t) - 0.4) < 1e-12, String(t));
      for (let d = 0; d <= 2; d += 0.001) assert.equal(toVisionMatcherScale(d, t) < 0.4, d < t, `d ${d} t ${t}`);
    }
  });

  it('should keep order and means, so 2060 mean < 0.4 over mapped pairs is mean < threshold over raw ones', () => {
    const t = DEFAULT_THRESHOLDS.faceapi;
    const pairs = [0.02, 0.05, 0.3, 0.071, 0.09];
    const mapped = pairs.map((d) => toVisionMatcherScale(d, t));
    for (let i = 1; i < pairs.length; i++) assert.equal(Math.sign(mapped[i] - mapped[i - 1]), Math.sign(pairs[i] - pairs[i - 1]));
    assert.ok(Math.abs(aggregateDistances(mapped, 'mean') - toVisionMatcherScale(aggregateDistances(pairs, 'mean'), t)) < 1e-12);
  });

  it('should number requests like Date.now(), unique', () => {
    const ids = Array.from({ length: 1000 }, nextRequestId);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(Math.abs(ids[0] - Date.now()) < 5_000);
  });
});
