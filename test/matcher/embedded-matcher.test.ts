import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VisionError } from '../../src/common/errors';
import type { WorkerPool } from '../../src/common/worker-pool';
import { decodeImage } from '../../src/references/image-loader';
import { EmbeddedMatcher } from '../../src/matcher/embedded/embedded-matcher';
import { DEFAULT_THRESHOLDS } from '../../src/matcher/embedded/thresholds';
import { faceFile, faceless, facePhoto, references, twoFaces } from './matcher-fixtures';
import { flowLog } from '../../src/observability/logger';

// The default model on real photos of the shared fixtures, through the worker pool.
describe(EmbeddedMatcher.name, { timeout: 3 * 60_000 }, () => {
  let matcher: EmbeddedMatcher;
  const signal = new AbortController().signal;

  before(async () => {
    matcher = EmbeddedMatcher.create({ model: 'faceapi', workers: 2 });
    await matcher.ready();
  });
  after(() => matcher.close());

  it('should use the calibrated threshold of its model and the median by default', () => {
    assert.equal(matcher.threshold, DEFAULT_THRESHOLDS.faceapi);
    assert.equal(matcher.policy, 'median');
    assert.equal(matcher.isReady, true);
  });

  it('should match Obama live captures against another Obama photo', async () => {
    const live = await Promise.all([facePhoto('barack_obama', 2), facePhoto('barack_obama', 3), facePhoto('barack_obama', 4)]);
    const result = await matcher.compare(live, references(await facePhoto('barack_obama', 1)), signal, flowLog('genuine'));
    assert.equal(result.match, true, JSON.stringify(result));
    assert.equal(result.pairs.length, 3);
    assert.deepEqual(result.referencesWithoutFace, []);
    assert.ok(result.distance < result.threshold);
  });

  it('should not match Obama against Biden', async () => {
    const live = await Promise.all([facePhoto('barack_obama', 2), facePhoto('barack_obama', 4)]);
    const refs = references(await facePhoto('joe_biden', 1), await facePhoto('joe_biden', 2));
    const result = await matcher.compare(live, refs, signal, flowLog('impostor'));
    assert.equal(result.match, false, JSON.stringify(result));
    assert.equal(result.pairs.length, 4);
    assert.ok(result.pairs.every((p) => p.distance > matcher.threshold));
  });

  it('should list a faceless reference and decide on the others', async () => {
    const refs = references(await decodeImage(await faceless()), await facePhoto('barack_obama', 1));
    const result = await matcher.compare([await facePhoto('barack_obama', 2)], refs, signal, flowLog('one-faceless'));
    assert.deepEqual(result.referencesWithoutFace, [0]);
    assert.deepEqual(
      result.pairs.map((p) => p.reference),
      [1],
    );
    assert.equal(result.match, true);
  });

  it('should fail with no_reference when no reference shows a face', async () => {
    const refs = references(await decodeImage(await faceless()));
    await assert.rejects(
      matcher.compare([await facePhoto('barack_obama', 2)], refs, signal, flowLog('no-ref')),
      (e: unknown) => e instanceof VisionError && e.reason === 'no_reference',
    );
  });

  it('should fail with no_match when no live capture shows a face', async () => {
    const refs = references(await facePhoto('barack_obama', 1));
    await assert.rejects(
      matcher.compare([await decodeImage(await faceless())], refs, signal, flowLog('no-live')),
      (e: unknown) => e instanceof VisionError && e.reason === 'no_match',
    );
  });

  it('should use the largest of two faces in a reference', async () => {
    const obamaBig = references(await decodeImage(await twoFaces(faceFile('barack_obama', 1), faceFile('joe_biden', 2))));
    const bidenBig = references(await decodeImage(await twoFaces(faceFile('joe_biden', 2), faceFile('barack_obama', 1))));
    assert.equal((await matcher.embed(obamaBig[0].image)).faces, 2);
    const live = [await facePhoto('barack_obama', 2)];
    assert.equal((await matcher.compare(live, obamaBig, signal, flowLog('two-a'))).match, true);
    assert.equal((await matcher.compare(live, bidenBig, signal, flowLog('two-b'))).match, false);
  });

  it('should replace a dead worker and go on embedding (it used to shut the whole matcher down)', async () => {
    const single = EmbeddedMatcher.create({ model: 'faceapi', workers: 1 });
    // Reached into: nothing public kills a worker. Killed while idle: terminate() inside an ONNX run aborts the process.
    const workerOf = () => (single as unknown as { pool: { pool: WorkerPool<never, never> } }).pool.pool.members[0].worker;
    try {
      await single.ready();
      const photo = await facePhoto('barack_obama', 2);
      const before = await single.embed(photo);
      const first = workerOf();
      await first.terminate();
      const after = await single.embed(photo);
      assert.notEqual(workerOf(), first, 'a new worker took its place');
      assert.equal(after.faces, 1);
      assert.deepEqual(after.embedding, before.embedding);
    } finally {
      await single.close();
    }
  });

  it('should aggregate with the mean when asked (2060 policy)', async () => {
    const mean = EmbeddedMatcher.create({ model: 'faceapi', workers: 1, policy: 'mean', threshold: 0.5 });
    try {
      await mean.ready();
      const live = [await facePhoto('barack_obama', 2), await facePhoto('joe_biden', 1)];
      const result = await mean.compare(live, references(await facePhoto('barack_obama', 1)), signal, flowLog('mean'));
      const expected = (result.pairs[0].distance + result.pairs[1].distance) / 2;
      assert.equal(result.policy, 'mean');
      assert.ok(Math.abs(result.distance - expected) < 1e-12);
      assert.equal(result.threshold, 0.5);
    } finally {
      await mean.close();
      await mean.close();
    }
  });
});
