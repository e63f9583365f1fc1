import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { HumanFaceEngine } from '../../src/face/human/human-face.engine';
import { frame } from '../support/flow-fakes';
import { RunningApp, startApp } from '../support/app';

// A face worker that dies (out of memory, a WASM abort) leaves an engine that refuses every frame. The service
// says so on /health, the liveness probe, so the orchestrator restarts it instead of failing every new flow.
describe('a dead face worker', { timeout: 3 * 60_000 }, () => {
  let engine: HumanFaceEngine;
  let service: RunningApp;

  before(async () => {
    engine = HumanFaceEngine.create({ workers: 1 });
    service = await startApp({ MATCHER_WORKERS: '1' }, { face: engine });
    await service.ready();
  });
  after(() => service?.close());

  it('should turn /health and /ready red with the reason, and refuse frames', async () => {
    assert.equal((await fetch(`${service.baseUrl}/health`)).status, 200);
    assert.equal(engine.brokenReason(), undefined);
    // The test reaches into the pool: nothing public kills a worker, which is the point.
    const [member] = (engine as unknown as { pool: { worker: Worker }[] }).pool;
    await member.worker.terminate();
    assert.match(engine.brokenReason() ?? '', /face worker exited/);
    await assert.rejects(engine.analyze(frame(0), 'flow'), /face/);
    const health = await fetch(`${service.baseUrl}/health`);
    assert.equal(health.status, 503);
    assert.deepEqual(await health.json(), { status: 'error', error: 'face_engine_broken', message: engine.brokenReason() });
    const ready = await (await fetch(`${service.baseUrl}/ready`)).json();
    assert.equal(ready.details.face_engine.status, 'down');
  });
});
