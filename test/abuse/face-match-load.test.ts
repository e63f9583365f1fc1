import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import sharp from 'sharp';
import { EmbeddedMatcher } from '../../src/matcher/embedded/embedded-matcher';
import { createFaceMatchApp } from '../../src/matcher/face-match/face-match.app';
import { OutboundGuard } from '../../src/outbound/outbound-guard';
import { fixture } from '../support/fixtures';

const CONCURRENCY = 2;
const QUEUE = 4;
const CLIENTS = 30;

interface Answer {
  status: number;
  retryAfter?: string;
  body: string;
}

/** POSTs one shared body buffer (the client holds one copy for all requests). */
function post(url: string, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: text }));
    });
    // A 429 may close the socket before the whole body is written.
    req.on('error', (error) => reject(error));
    req.end(body);
  });
}

describe('/face_match under load: bounded work, queue and rate', { timeout: 5 * 60_000 }, () => {
  const outbound = new OutboundGuard({ allowPrivate: false, allowlist: [] });
  const limits = { maxBytes: 10 * 1024 * 1024, timeoutMs: 30_000, maxRedirects: 0, outbound };
  let matcher: EmbeddedMatcher;
  let app: INestApplication;
  let url: string;
  let big: Buffer;

  before(async () => {
    matcher = EmbeddedMatcher.create({ model: 'faceapi', workers: 1 });
    app = await createFaceMatchApp({ matcher, limits }, 15, { concurrency: CONCURRENCY, queue: QUEUE });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/face_match`;
    // A large photo (about 4 MB as JPEG), twice: a body of about 11 MB, as the outside test sent.
    const jpeg = await sharp(fixture('faces', 'barack_obama', '1.jpg'))
      .resize(3600, 3600, { fit: 'fill' })
      .jpeg({ quality: 98 })
      .toBuffer();
    const dataUrl = `data:image/jpeg;base64,${jpeg.toString('base64')}`;
    big = Buffer.from(JSON.stringify({ image1_url: dataUrl, image2_url: dataUrl }));
    await matcher.ready();
  });

  after(async () => {
    await app.close();
    await Promise.all([matcher.close(), outbound.close()]);
  });

  it(`should answer ${CLIENTS} concurrent large requests with 200 for the admitted and 429 + Retry-After past the queue`, async () => {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    let answers: Answer[];
    try {
      answers = await Promise.all(
        Array.from({ length: CLIENTS }, () => post(url, big).catch((e: Error) => ({ status: -1, body: e.message }))),
      );
    } finally {
      clearInterval(sampler);
    }
    const counts = new Map<number, number>();
    for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    const ok = counts.get(200) ?? 0;
    const limited = answers.filter((a) => a.status === 429);
    const growthMb = (rssPeak - rssBefore) / 1024 / 1024;
    console.log(
      JSON.stringify({
        statuses: Object.fromEntries(counts),
        body_mb: +(big.length / 1e6).toFixed(1),
        rss_growth_mb: Math.round(growthMb),
      }),
    );
    // Admitted: at most the running and waiting ones; every other one refused at once, none lost.
    assert.ok(ok >= CONCURRENCY && ok <= CONCURRENCY + QUEUE, JSON.stringify([...counts]));
    assert.ok(limited.length >= CLIENTS - CONCURRENCY - QUEUE, JSON.stringify([...counts]));
    assert.equal(ok + limited.length, CLIENTS, JSON.stringify([...counts]));
    for (const a of limited) {
      assert.equal(a.retryAfter, '5');
      assert.match(JSON.parse(a.body).error, /Too many requests/);
    }
    for (const a of answers.filter((x) => x.status === 200)) assert.equal(JSON.parse(a.body).match, true);
    // Measured +461 MB here (2 running, 3600x3600 images); unbounded, 30 such bodies at once took +1.7 GB.
    assert.ok(growthMb < 800, `RSS grew ${growthMb.toFixed(0)} MB`);
  });

  it('should limit requests per address (FACE_MATCH_RATE_LIMIT_PER_MIN) in vision-matcher shape', async () => {
    const limited = await createFaceMatchApp({ matcher, limits, rateLimitPerMin: 3 }, 15);
    await limited.listen(0, '127.0.0.1');
    const limitedUrl = `http://127.0.0.1:${(limited.getHttpServer().address() as AddressInfo).port}/face_match`;
    try {
      const statuses: number[] = [];
      let last: Answer | undefined;
      for (let i = 0; i < 5; i++) {
        last = await post(limitedUrl, Buffer.from('{}'));
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [400, 400, 400, 429, 429]);
      assert.match(JSON.parse(last!.body).error, /More than 3 requests in 60 s/);
      assert.ok(Number(last!.retryAfter) > 0);
    } finally {
      await limited.close();
    }
  });
});
