import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VisionError } from '../../src/common/errors';
import { OutboundGuard } from '../../src/outbound/outbound-guard';
import { HttpReferenceAdapter } from '../../src/references/http-reference.adapter';
import { DemoController } from '../../demo/demo-controller';
import { fixture } from '../support/fixtures';
import { hostileImages } from '../support/hostile-images';
import { junk, seededRandom } from '../support/random';
import { flowLog } from '../../src/observability/logger';

/** Where the adapters under test log (the flow's logger in the service). */
const testLog = flowLog('reference-fuzz');

describe('fuzz /list answers and reference images', { timeout: 180_000 }, () => {
  let dir: string;
  let controller: DemoController;
  const outbound = new OutboundGuard({ allowPrivate: false, allowlist: ['127.0.0.1'] });
  const adapter = new HttpReferenceAdapter({ maxCount: 10, maxBytes: 2 * 1024 * 1024, timeoutMs: 3000, maxRedirects: 2, outbound });
  let photo: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vision-fuzz-'));
    photo = await readFile(fixture('faces', 'joe_biden', '2.jpg'));
    const files = await hostileImages(photo);
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
  });

  after(async () => {
    await outbound.close();
    await controller.close();
    await rm(dir, { recursive: true, force: true });
  });

  const source = (token: string) => ({ flowId: 'fuzz', token, callbackBaseUrl: controller.baseUrl, datastoreBaseUrl: controller.baseUrl });
  const asset = (name: string) => `${controller.baseUrl}/assets/${name}`;

  it('should skip every hostile image with a reason and keep the one real photo', async () => {
    controller.lists.set('hostile', [
      asset('truncated'),
      asset('bomb'),
      asset('svg'),
      asset('html'),
      asset('empty'),
      asset('jpeg-magic-only'),
      'data:image/jpeg;base64,!!!not-base64!!!',
      `data:image/jpeg;base64,${photo.subarray(0, 100).toString('base64')}`,
      'svg',
      asset('photo'),
    ]);
    const set = await adapter.fetch(source('hostile'), AbortSignal.timeout(60_000), testLog);
    assert.deepEqual(
      set.usable.map((r) => r.index),
      [9],
    );
    assert.equal(set.skipped.length, 9);
    const reasons = Object.fromEntries(set.skipped.map((s) => [s.index, s.reason]));
    assert.deepEqual(reasons, {
      0: 'decode_failed',
      1: 'decode_failed',
      2: 'unsupported_type',
      3: 'unsupported_type',
      4: 'unsupported_type',
      5: 'decode_failed',
      6: 'bad_item',
      7: 'decode_failed',
      8: 'unsupported_type',
    });
  });

  it('should turn 200 junk list bodies into references or no_reference, never another error', async () => {
    const random = seededRandom(7);
    const counts = { usable: 0, skipped: 0, noReference: 0 };
    for (let i = 0; i < 200; i++) {
      const body = random() < 0.3 ? Array.from({ length: Math.floor(random() * 5) }, () => junk(random)) : junk(random);
      controller.lists.set(`junk-${i}`, body);
      try {
        const set = await adapter.fetch(source(`junk-${i}`), AbortSignal.timeout(30_000), testLog);
        counts.usable += set.usable.length;
        counts.skipped += set.skipped.length;
        assert.ok(
          set.skipped.every((s) => s.reason && s.message),
          JSON.stringify(set.skipped),
        );
      } catch (error) {
        assert.ok(
          error instanceof VisionError && error.reason === 'no_reference',
          `case ${i}: ${String(error)} for ${JSON.stringify(body)?.slice(0, 200)}`,
        );
        counts.noReference++;
      }
    }
    console.log(`list fuzz: ${JSON.stringify(counts)}`);
    assert.ok(counts.noReference > 0 && counts.skipped > 0);
  });
});
