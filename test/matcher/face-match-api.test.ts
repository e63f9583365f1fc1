import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import type { RawImage } from '../../src/common/image';
import { EmbeddedMatcher } from '../../src/matcher/embedded/embedded-matcher';
import { createFaceMatchApp } from '../../src/matcher/face-match/face-match.app';
import type { FaceMatcher } from '../../src/matcher/face-match/face-match.service';
import { aggregateDistances } from '../../src/matcher/match-policy';
import { NO_FACE_ERROR, RemoteMatcherAdapter } from '../../src/matcher/remote-matcher.adapter';
import { OutboundGuard } from '../../src/outbound/outbound-guard';
import { startApp } from '../support/app';
import { dataUrl, faceFile, faceless, facePhoto, references, twoFaces } from './matcher-fixtures';
import { flowLog } from '../../src/observability/logger';

const BODY_LIMIT_MB = 15;

async function serve(matcher: FaceMatcher, outbound: OutboundGuard): Promise<{ app: INestApplication; url: string }> {
  const limits = { maxBytes: 10 * 1024 * 1024, timeoutMs: 5_000, maxRedirects: 2, outbound };
  const app = await createFaceMatchApp({ matcher, limits }, BODY_LIMIT_MB);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}/face_match` };
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

// POST /face_match as io2060/vision-matcher answers it, on the real default model and real photos.
describe('POST /face_match', { timeout: 3 * 60_000 }, () => {
  let matcher: EmbeddedMatcher;
  let outbound: OutboundGuard;
  let app: INestApplication;
  let url: string;
  let images: Server;
  let imagesUrl: string;
  const obama1 = dataUrl(faceFile('barack_obama', 1));
  const obama2 = dataUrl(faceFile('barack_obama', 2));
  const biden = dataUrl(faceFile('joe_biden', 2));

  before(async () => {
    matcher = EmbeddedMatcher.create({ model: 'faceapi', workers: 2 });
    // Loopback is private: the test's image server is allowed explicitly, as an operator would.
    outbound = new OutboundGuard({ allowPrivate: false, allowlist: ['127.0.0.1'] });
    ({ app, url } = await serve(matcher, outbound));
    images = createServer((req, res) => {
      res.setHeader('content-type', 'image/jpeg');
      res.end(readFileSync(faceFile('barack_obama', 2)));
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/obama.jpg`;
    await matcher.ready();
  });
  after(async () => {
    images.close();
    await app.close();
    await Promise.all([matcher.close(), outbound.close()]);
  });

  it('should answer 503 while the models load', async () => {
    const loading: FaceMatcher = { isReady: false, threshold: 0.074, matchPair: () => Promise.reject(new Error('not loaded')) };
    const served = await serve(loading, outbound);
    try {
      const { status, json } = await post(served.url, { image1_url: obama1, image2_url: obama2 });
      assert.equal(status, 503);
      assert.deepEqual(json, { error: 'Service not ready' });
      assert.equal((await fetch(served.url.replace('/face_match', '/health'))).status, 503);
    } finally {
      await served.app.close();
    }
  });

  it('should answer GET /health once the model is loaded', async () => {
    const res = await fetch(url.replace('/face_match', '/health'));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('should match a genuine Obama pair', async () => {
    const { status, json } = await post(url, { image1_url: obama1, image2_url: obama2 });
    assert.equal(status, 200);
    assert.equal(json.match, true);
    // On vision-matcher's scale: the embedded threshold maps to 0.4, the raw distance rides along.
    assert.ok((json.distance as number) < 0.4, String(json.distance));
    assert.equal(json.raw_threshold, matcher.threshold);
    assert.ok(Math.abs((json.distance as number) - ((json.raw_distance as number) * 0.4) / matcher.threshold) < 1e-12);
    assert.equal(typeof json.requestId, 'number');
    assert.ok(Math.abs((json.requestId as number) - Date.now()) < 60_000, 'Date.now()-like');
    assert.equal(json.error, undefined);
  });

  it('should not match Obama and Biden', async () => {
    const { status, json } = await post(url, { image1_url: obama1, image2_url: biden });
    assert.equal(status, 200);
    assert.equal(json.match, false);
    assert.ok((json.distance as number) >= 0.4, `2060's mean < 0.4 rule rejects it: ${json.distance}`);
    assert.ok((json.raw_distance as number) >= matcher.threshold);
  });

  it('should agree with the embedded MatcherPort on the same pair', async () => {
    const { json } = await post(url, { image1_url: obama2, image2_url: obama1 });
    const port = await matcher.compare(
      [await facePhoto('barack_obama', 2)],
      references(await facePhoto('barack_obama', 1)),
      new AbortController().signal,
      flowLog('agree'),
    );
    assert.ok(Math.abs((json.raw_distance as number) - port.distance) < 1e-6, `${json.raw_distance} vs ${port.distance}`);
    assert.equal(json.match, port.match);
  });

  it("should let the remote-matcher client decide on vision-matcher's scale (threshold 0.4, mean) as the embedded matcher does", async () => {
    const remote = new RemoteMatcherAdapter({ baseUrl: url.replace('/face_match', ''), threshold: 0.4, policy: 'mean', timeoutMs: 60_000 });
    const live = [await facePhoto('barack_obama', 2), await facePhoto('barack_obama', 3)];
    for (const [person, n, expected] of [
      ['barack_obama', 1, true],
      ['joe_biden', 2, false],
    ] as const) {
      const refs = references(await facePhoto(person, n));
      const viaApi = await remote.compare(live, refs, AbortSignal.timeout(60_000), flowLog('remote'));
      const embedded = await matcher.compare(live, refs, AbortSignal.timeout(60_000), flowLog('embedded'));
      const embeddedMean = aggregateDistances(
        embedded.pairs.map((p) => p.distance),
        'mean',
      );
      assert.equal(viaApi.match, expected, `${person}: ${viaApi.distance}`);
      assert.equal(embeddedMean < matcher.threshold, expected, `${person}: ${embeddedMean}`);
      // Linear mapping: the mean of mapped pair distances is the mapped mean (up to the client re-encoding images as JPEG).
      assert.ok(Math.abs(viaApi.distance - (embeddedMean * 0.4) / matcher.threshold) < 0.02, `${viaApi.distance} vs ${embeddedMean}`);
    }
  });

  it('should answer the original error shape when an image has no face', async () => {
    const noFace = `data:image/jpeg;base64,${(await faceless()).toString('base64')}`;
    const { status, json } = await post(url, { image1_url: obama1, image2_url: noFace });
    assert.equal(status, 200);
    assert.equal(json.distance, 1);
    assert.equal(json.match, false);
    assert.equal(json.error, NO_FACE_ERROR);
  });

  it('should compare the largest face of a two-person photo', async () => {
    const two = `data:image/jpeg;base64,${(await twoFaces(faceFile('barack_obama', 1), faceFile('joe_biden', 2))).toString('base64')}`;
    const { status, json } = await post(url, { image1_url: two, image2_url: obama2 });
    assert.equal(status, 200);
    assert.equal(json.match, true, JSON.stringify(json));
  });

  it('should fetch an http image within the outbound rules', async () => {
    const { status, json } = await post(url, { image1_url: obama1, image2_url: imagesUrl });
    assert.equal(status, 200);
    assert.equal(json.match, true);
  });

  it('should refuse file: URLs and missing URLs', async () => {
    const file = await post(url, { image1_url: 'file:///etc/passwd', image2_url: obama1 });
    assert.equal(file.status, 400);
    assert.match(String(file.json.error), /bad_item/);
    for (const body of [{}, { image1_url: obama1 }, { image1_url: obama1, image2_url: '' }, { image1_url: 1, image2_url: obama1 }, '[]']) {
      const { status, json } = await post(url, body);
      assert.equal(status, 400, JSON.stringify(body));
      assert.deepEqual(json, { error: 'Both image URLs are required' });
    }
  });

  it('should refuse a 20 MB body with 413', async () => {
    const big = 'A'.repeat(20 * 1024 * 1024);
    const { status } = await post(url, { image1_url: `data:image/jpeg;base64,${big}`, image2_url: obama1 });
    assert.equal(status, 413);
  });

  it('should serve parallel requests, all answered', async () => {
    const pairs = [
      [obama1, obama2, true],
      [obama1, biden, false],
      [obama2, biden, false],
      [obama2, obama1, true],
    ] as const;
    const answers = await Promise.all(pairs.map(([a, b]) => post(url, { image1_url: a, image2_url: b })));
    assert.deepEqual(
      answers.map((a) => [a.status, a.json.match]),
      pairs.map(([, , match]) => [200, match]),
    );
  });

  it('should be served by Vision Service itself on its embedded matcher, behind the API key', async () => {
    // A wrapper, so the service's shutdown does not close the suite's matcher.
    const own = {
      isReady: true,
      threshold: matcher.threshold,
      ready: () => matcher.ready(),
      matchPair: (a: RawImage, b: RawImage) => matcher.matchPair(a, b),
    };
    const service = await startApp({ VISION_API_KEY: 'k'.repeat(32) }, { matcher: own });
    try {
      const body = JSON.stringify({ image1_url: obama1, image2_url: obama2 });
      assert.ok(body.length > 64 * 1024, 'the pair is larger than the API body limit, so its own parser is used');
      const call = (headers: Record<string, string>) =>
        fetch(`${service.baseUrl}/face_match`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      assert.equal((await call({})).status, 401);
      const answer = await call({ 'x-api-key': 'k'.repeat(32) });
      assert.equal(answer.status, 200);
      assert.equal(((await answer.json()) as { match: boolean }).match, true);
    } finally {
      await service.close();
    }
  });

  it('should not be served by Vision Service when it uses an external vision-matcher', async () => {
    const service = await startApp({ VISION_MATCHER_BASE_URL: 'http://127.0.0.1:9' });
    try {
      const res = await fetch(`${service.baseUrl}/face_match`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 404);
    } finally {
      await service.close();
    }
  });
});
