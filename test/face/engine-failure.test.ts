import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WorkerPool } from '../../src/common/worker-pool';
import { MediaPipeFaceEngine } from '../../src/face/mediapipe/mediapipe-face.engine';
import { videoFrames } from '../support/video-frames';
import type { I420Frame } from '../../src/common/image';
import { RunningApp, startApp } from '../support/app';
import { fixture } from '../support/fixtures';

/** The engine's only worker, reached into: nothing public kills one, which is the point. */
const workerOf = (engine: MediaPipeFaceEngine) => (engine as unknown as { pool: WorkerPool<never, never> }).pool.members[0].worker;

// A face worker of the engine that dies (out of memory, a native abort) is
// replaced in process; past the respawn budget the engine is broken and /health, the liveness probe, says so, so
// the orchestrator restarts the service.
describe('a dead face worker', { timeout: 5 * 60_000 }, () => {
  let engine: MediaPipeFaceEngine;
  let service: RunningApp;
  let face: I420Frame;

  before(async () => {
    for await (const f of videoFrames(fixture('videos', 'blink_webcam_viet281101.h264.mp4'), { fps: 15, duration: 0.2 })) face = f;
    engine = MediaPipeFaceEngine.create({ workers: 1 });
    service = await startApp({ MATCHER_WORKERS: '1' }, { face: engine });
    await service.ready();
  });
  after(() => service?.close());

  const analyse = () => engine.analyze({ ...face, data: face.data.slice() }, 'flow');

  it('should be replaced: the next frame of the same flow is analysed by a new worker', async () => {
    assert.equal((await analyse()).faceCount, 1);
    const first = workerOf(engine);
    await first.terminate();
    assert.notEqual(workerOf(engine), first, 'a new worker took its place');
    assert.equal((await analyse()).faceCount, 1);
    assert.equal(engine.brokenReason(), undefined);
    assert.equal((await fetch(`${service.baseUrl}/health`)).status, 200);
  });

  it('should turn /health and /ready red with the reason once workers keep dying, and refuse frames', async () => {
    for (let deaths = 1; engine.brokenReason() === undefined && deaths <= 10; deaths++) {
      await analyse(); // waits for the replacement to load
      await workerOf(engine).terminate();
    }
    assert.match(engine.brokenReason() ?? '', /face worker exited/);
    await assert.rejects(analyse(), /face/);
    const health = await fetch(`${service.baseUrl}/health`);
    assert.equal(health.status, 503);
    assert.deepEqual(await health.json(), { status: 'error', error: 'face_engine_broken', message: engine.brokenReason() });
    const ready = await (await fetch(`${service.baseUrl}/ready`)).json();
    assert.equal(ready.details.face_engine.status, 'down');
  });
});
