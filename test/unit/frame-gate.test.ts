import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatestFrameGate } from '../../src/flow/frame-gate';
import { LiveEvidence } from '../../src/flow/live-evidence';
import { frame, tinyImage } from '../support/flow-fakes';

describe(LatestFrameGate.name, () => {
  it('should keep at most one waiting frame and hand the newest one over', async () => {
    const gate = new LatestFrameGate();
    const seen: number[] = [];
    let release!: () => void;
    gate.consume(async (f) => {
      seen.push(f.timestampMs);
      if (f.timestampMs === 1) await new Promise<void>((r) => (release = r));
    });
    for (let t = 1; t <= 5; t++) gate.publish(frame(t));
    assert.deepEqual(seen, [1]);
    release();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [1, 5]);
    assert.equal(gate.received, 5);
    assert.equal(gate.dropped, 3);
  });

  it('should drop frames while nobody consumes', () => {
    const gate = new LatestFrameGate();
    gate.publish(frame(1));
    gate.publish(frame(2));
    assert.equal(gate.dropped, 2);
  });
});

describe(LiveEvidence.name, () => {
  it('should keep copies of the best frames only, and forget them on clear', () => {
    const evidence = new LiveEvidence(2);
    const f = frame(1);
    evidence.offer(f, 0.5);
    f.data[0] = 99;
    evidence.offer(frame(2), 0.9);
    evidence.offer(frame(3), 0.1);
    evidence.offer(frame(4), 0.7);
    const kept: number[] = [];
    evidence.images((k) => {
      kept.push(k.timestampMs);
      assert.equal(k.data[0], 0, 'a copy, not the live buffer');
      return tinyImage();
    });
    assert.deepEqual(kept, [2, 4]);
    evidence.clear();
    assert.equal(evidence.size, 0);
  });
});
