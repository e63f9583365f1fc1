import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowBiometrics } from '../../src/flow/flow-biometrics';
import { frame, tinyImage } from '../support/flow-fakes';

describe(FlowBiometrics.name, () => {
  it('should keep copies of the best frames only, and forget them on clear', () => {
    const biometrics = new FlowBiometrics(2);
    const f = frame(1);
    biometrics.offer(f, 0.5);
    f.data[0] = 99;
    biometrics.offer(frame(2), 0.9);
    biometrics.offer(frame(3), 0.1);
    biometrics.offer(frame(4), 0.7);
    const kept: number[] = [];
    biometrics.liveImages((k) => {
      kept.push(k.timestampMs);
      assert.equal(k.data[0], 0, 'a copy, not the live buffer');
      return tinyImage();
    });
    assert.deepEqual(kept, [2, 4]);
    biometrics.clear();
    assert.equal(biometrics.evidenceCount, 0);
  });

  it('should forget the references with the live frames on clear', () => {
    const biometrics = new FlowBiometrics(2);
    biometrics.keepReferences([{ index: 0, kind: 'data_url', image: tinyImage() }]);
    biometrics.offer(frame(1), 0.5);
    assert.equal(biometrics.references.length, 1);
    biometrics.clear();
    assert.deepEqual([biometrics.references.length, biometrics.evidenceCount], [0, 0]);
  });
});
