import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VisionError } from '../../src/common/errors';
import { HttpReferenceAdapter } from '../../src/references/http-reference.adapter';
import { OutboundGuard } from '../../src/outbound/outbound-guard';
import { DemoController } from '../../demo/demo-controller';
import { fixture } from '../support/fixtures';
import { flowLog } from '../../src/observability/logger';

/** Where the adapters under test log (the flow's logger in the service). */
const testLog = flowLog('references-test');

const outbound = new OutboundGuard({ allowPrivate: false, allowlist: ['127.0.0.1'] });
const limits = { maxCount: 10, maxBytes: 2 * 1024 * 1024, timeoutMs: 1500, maxRedirects: 2, outbound };
const adapter = new HttpReferenceAdapter(limits);
const signal = () => AbortSignal.timeout(20_000);

describe(HttpReferenceAdapter.name, () => {
  let assets: string;
  let controller: DemoController;
  let slow: Server;
  let slowUrl: string;
  let photoDataUrl: string;

  before(async () => {
    assets = await mkdtemp(join(tmpdir(), 'vision-refs-'));
    await copyFile(fixture('faces', 'barack_obama', '1.jpg'), join(assets, 'obama'));
    await writeFile(join(assets, 'text'), 'this is not an image');
    await writeFile(join(assets, 'huge'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(3 * 1024 * 1024)]));
    photoDataUrl = `data:image/jpeg;base64,${(await readFile(join(assets, 'obama'))).toString('base64')}`;
    controller = await DemoController.create({ assetsDir: assets, log: () => undefined });
    slow = createServer((req, res) => {
      if (req.url === '/redirect-loop') return void res.writeHead(302, { location: '/redirect-loop' }).end();
      setTimeout(() => res.end('late'), 5000).unref();
    });
    slow.listen(0, '127.0.0.1');
    await new Promise((r) => slow.once('listening', r));
    slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  });

  after(async () => {
    await outbound.close();
    slow.closeAllConnections();
    slow.close();
    await controller.close();
    await rm(assets, { recursive: true, force: true });
  });

  const source = (token: string) => ({
    flowId: 'f',
    token,
    callbackBaseUrl: `${controller.baseUrl}/`,
    datastoreBaseUrl: controller.baseUrl,
  });

  it('should fetch the default list: one http URL to the asset named like the token', async () => {
    const set = await adapter.fetch(source('obama'), signal(), testLog);
    assert.equal(set.usable.length, 1);
    assert.equal(set.usable[0].kind, 'http_url');
    assert.ok(set.usable[0].image.width > 100 && set.usable[0].image.channels === 3);
    assert.ok(controller.requests.includes('GET /list/obama'), 'joined without a double slash');
  });

  it('should accept all three item kinds: data URL, http URL and Data Store id', async () => {
    controller.lists.set('kinds', [photoDataUrl, `${controller.baseUrl}/assets/obama`, 'obama']);
    const set = await adapter.fetch(source('kinds'), signal(), testLog);
    assert.deepEqual(
      set.usable.map((r) => r.kind),
      ['data_url', 'http_url', 'datastore_id'],
    );
    assert.ok(controller.requests.includes('GET /r/obama'));
    assert.deepEqual(set.skipped, []);
  });

  it('should skip bad references with a reason and keep the good ones', async () => {
    controller.lists.set('mixed', [
      `${controller.baseUrl}/assets/text`,
      `${controller.baseUrl}/assets/huge`,
      `${controller.baseUrl}/assets/missing`,
      `${slowUrl}/slow`,
      `${slowUrl}/redirect-loop`,
      'file:///etc/passwd',
      'data:text/html;base64,PGgxPg==',
      42,
      `${controller.baseUrl}/assets/obama`,
    ]);
    const set = await adapter.fetch(source('mixed'), signal(), testLog);
    assert.deepEqual(
      set.usable.map((r) => r.index),
      [8],
    );
    const reasons = Object.fromEntries(set.skipped.map((s) => [s.index, s.reason]));
    assert.deepEqual(reasons, {
      0: 'unsupported_type',
      1: 'too_large',
      2: 'http_status',
      3: 'timeout',
      4: 'fetch_failed',
      5: 'bad_item',
      6: 'bad_item',
      7: 'bad_item',
    });
  });

  it('should use at most REFERENCE_MAX_COUNT items', async () => {
    controller.lists.set(
      'many',
      Array.from({ length: 12 }, () => photoDataUrl),
    );
    const set = await new HttpReferenceAdapter({ ...limits, maxCount: 3 }).fetch(source('many'), signal(), testLog);
    assert.equal(set.usable.length, 3);
  });

  it('should fail with no_reference when the list is missing or not a JSON array', async () => {
    controller.lists.set('object', { not: 'a list' });
    for (const token of ['nobody', 'object']) {
      await assert.rejects(
        adapter.fetch(source(token), signal(), testLog),
        (e: unknown) => e instanceof VisionError && e.reason === 'no_reference',
      );
    }
    await assert.rejects(
      adapter.fetch({ ...source('obama'), callbackBaseUrl: 'http://127.0.0.1:9' }, signal(), testLog),
      (e: unknown) => e instanceof VisionError && e.reason === 'no_reference',
    );
  });

  it('should refuse SSRF targets with a clear reason while the allowlisted controller works', async () => {
    const strict = new OutboundGuard({ allowPrivate: false, allowlist: [] });
    try {
      controller.lists.set('ssrf', [
        'http://169.254.169.254/latest/meta-data/',
        `${slowUrl.replace('127.0.0.1', '127.0.0.2')}/x`,
        `${controller.baseUrl}/assets/obama`,
      ]);
      const set = await adapter.fetch(source('ssrf'), signal(), testLog);
      assert.deepEqual(
        set.usable.map((r) => r.index),
        [2],
      );
      assert.deepEqual(
        set.skipped.map((s) => s.reason),
        ['blocked_address', 'blocked_address'],
      );
      assert.match(set.skipped[0].message, /metadata/);
      await assert.rejects(
        new HttpReferenceAdapter({ ...limits, outbound: strict }).fetch(source('obama'), signal(), testLog),
        /private or loopback/,
      );
    } finally {
      await strict.close();
    }
  });

  it('should refuse a Data Store id without datastore_base_url', async () => {
    controller.lists.set('ds', ['obama']);
    const set = await adapter.fetch({ ...source('ds'), datastoreBaseUrl: undefined }, signal(), testLog);
    assert.deepEqual(
      set.skipped.map((s) => s.reason),
      ['bad_item'],
    );
  });

  it('should skip Data Store ids that would change the URL path (issue 14.6), fetching nothing for them', async () => {
    controller.lists.set('ds-dots', ['..', '.', ' ', 'a\u202eb']);
    const before = controller.requests.length;
    const set = await adapter.fetch(source('ds-dots'), signal(), testLog);
    assert.deepEqual(
      set.skipped.map((s) => s.reason),
      ['bad_item', 'bad_item', 'bad_item', 'bad_item'],
    );
    assert.match(set.skipped[0].message, /Data Store id must not be "\." or "\.\."/);
    // Only GET /list/ds-dots reached the controller: no `{ds}/r/..` request.
    assert.deepEqual(controller.requests.slice(before), ['GET /list/ds-dots']);
  });
});
