import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { VisionError } from '../../src/common/errors';
import { NO_FACE_ERROR, RemoteMatcherAdapter } from '../../src/matcher/remote-matcher.adapter';
import type { ReferenceImage } from '../../src/references/reference.port';
import type { RawImage } from '../../src/common/image';
import { flowLog } from '../../src/observability/logger';

/** A solid image whose colour tells the fake matcher which distance to answer. */
function image(value: number): RawImage {
  return { width: 8, height: 8, channels: 3, data: new Uint8Array(8 * 8 * 3).fill(value) };
}

describe(RemoteMatcherAdapter.name, () => {
  let server: Server;
  let baseUrl: string;
  let status = 200;
  const bodies: { image1_url: string; image2_url: string }[] = [];

  before(async () => {
    // A tiny vision-matcher: distance from the request order, the "no face" error for a third reference.
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString());
      bodies.push(body);
      if (req.method !== 'POST' || req.url !== '/face_match') return void res.writeHead(404).end();
      if (status !== 200) return void res.writeHead(status).end('{"error":"busy"}');
      const n = bodies.length;
      const answer =
        body.image2_url === noFaceUrl
          ? { distance: 1, match: false, error: NO_FACE_ERROR }
          : { distance: n % 2 ? 0.2 : 0.3, match: true, requestId: String(n) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  let noFaceUrl = '';
  const ref = (index: number, value: number): ReferenceImage => ({ index, kind: 'http_url', image: image(value) });
  const adapter = () => new RemoteMatcherAdapter({ baseUrl, threshold: 0.4, policy: 'mean', timeoutMs: 2000 });

  it('should send data URLs and decide on the mean distance of every pair, skipping faceless references', async () => {
    bodies.length = 0;
    status = 200;
    // The faceless reference is recognised by its exact data URL, as the fake server sees it.
    const faceless = ref(2, 7);
    noFaceUrl = '';
    const result0 = await adapter().compare([image(10)], [faceless], AbortSignal.timeout(5000), flowLog('f'));
    noFaceUrl = bodies[0].image2_url;
    bodies.length = 0;
    assert.equal(result0.pairs.length, 1);
    const result = await adapter().compare(
      [image(10), image(20)],
      [ref(0, 30), ref(1, 40), faceless],
      AbortSignal.timeout(5000),
      flowLog('f'),
    );
    assert.equal(bodies.length, 6);
    assert.ok(
      bodies.every((b) => b.image1_url.startsWith('data:image/jpeg;base64,') && b.image2_url.startsWith('data:image/jpeg;base64,')),
    );
    assert.equal(result.pairs.length, 4);
    assert.deepEqual(result.referencesWithoutFace, [2]);
    assert.equal(result.policy, 'mean');
    assert.ok(Math.abs(result.distance - 0.25) < 1e-9);
    assert.equal(result.match, true);
  });

  it('should fail with matcher_unavailable on 5xx and when unreachable', async () => {
    status = 503;
    await assert.rejects(
      adapter().compare([image(1)], [ref(0, 2)], AbortSignal.timeout(5000), flowLog('f')),
      (e: unknown) => e instanceof VisionError && e.reason === 'matcher_unavailable',
    );
    const closed = new RemoteMatcherAdapter({ baseUrl: 'http://127.0.0.1:9', threshold: 0.4, policy: 'mean', timeoutMs: 2000 });
    await assert.rejects(
      closed.compare([image(1)], [ref(0, 2)], AbortSignal.timeout(5000), flowLog('f')),
      (e: unknown) => e instanceof VisionError && e.reason === 'matcher_unavailable',
    );
    status = 200;
  });
});
