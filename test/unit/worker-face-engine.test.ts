import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { I420Frame } from '../../src/common/image';
import { WorkerFaceEngine } from '../../src/face/worker-face-engine';
import type { CountingObservation } from '../support/track-test-worker';

// WorkerFaceEngine keeps each stream's track and sends it with the stream's next frame to the least busy worker;
// the test worker counts the frames a track has seen and says which thread answered.

function engine(workers: number): WorkerFaceEngine {
  return new WorkerFaceEngine({
    workers,
    workerFile: join(__dirname, '..', 'support', 'track-test-worker.js'),
    workerData: undefined,
    descriptorEvery: { ms: 1000, frames: 1 },
    signals: [],
  });
}

let clock = 0;
const frame = (): I420Frame => ({ width: 4, height: 2, timestampMs: (clock += 100), data: new Uint8Array(12) });

describe('WorkerFaceEngine tracks', () => {
  it("should give each stream's next frame the track its last frame answered, and no track to frames without a stream", async () => {
    const faces = engine(1);
    try {
      await faces.ready();
      const seen: number[] = [];
      for (const stream of ['a', 'a', 'b', 'a', 'b', undefined, 'a']) {
        seen.push(((await faces.analyze(frame(), stream)) as CountingObservation).framesBefore);
      }
      assert.deepEqual(seen, [0, 1, 0, 2, 1, 0, 3]);
    } finally {
      await faces.close();
    }
  });

  it('should send each frame to the least busy worker, so one stream moves between workers with its track', async () => {
    const faces = engine(2);
    try {
      await faces.ready();
      const threads = { a: new Set<number>(), b: new Set<number>() };
      for (let i = 0; i < 6; i++) {
        // Both streams in flight: the first asked takes the first idle worker, the other the second.
        const order: ('a' | 'b')[] = i % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
        const answers = (await Promise.all(order.map((s) => faces.analyze(frame(), s)))) as CountingObservation[];
        answers.forEach((o, k) => {
          assert.equal(o.framesBefore, i, `stream ${order[k]}, frame ${i}`);
          threads[order[k]].add(o.threadId);
        });
      }
      assert.equal(threads.a.size, 2, 'stream a was answered by both workers');
      assert.equal(threads.b.size, 2, 'stream b was answered by both workers');
    } finally {
      await faces.close();
    }
  });
});
