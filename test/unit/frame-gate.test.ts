import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatestFrameGate } from '../../src/flow/frame-gate';
import { frame } from '../support/flow-fakes';

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
