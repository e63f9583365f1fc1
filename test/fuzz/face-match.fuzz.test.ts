import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DemoController } from '../../demo/demo-controller';
import { RunningApp, startApp } from '../support/app';
import { fixture } from '../support/fixtures';
import { FakeFace } from '../support/flow-fakes';
import { hostileImages } from '../support/hostile-images';
import { junk, seededRandom } from '../support/random';

const CASES = 300;
const OK_STATUSES = [200, 400, 413];

// POST /face_match on the service's real embedded matcher (the liveness engine is not involved here).
describe('fuzz POST /face_match', { timeout: 5 * 60_000 }, () => {
  let service: RunningApp;
  let controller: DemoController;
  let photo: Buffer;
  let urls: string[];

  before(async () => {
    photo = await readFile(fixture('faces', 'joe_biden', '2.jpg'));
    const files = await hostileImages(photo);
    controller = await DemoController.create({ log: () => undefined });
    for (const [name, content] of Object.entries(files)) controller.assets.set(name, Buffer.from(content));
    const dataUrl = (content: Buffer | string, type = 'image/jpeg') => `data:${type};base64,${Buffer.from(content).toString('base64')}`;
    urls = [
      ...Object.keys(files).map((name) => `${controller.baseUrl}/assets/${name}`),
      ...Object.values(files).map((content) => dataUrl(content)),
      dataUrl(files.svg, 'image/svg+xml'),
      'data:image/jpeg;base64,!!!not-base64!!!',
      'data:,',
      'file:///etc/passwd',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/photo.jpg',
      'http://user:pw@127.0.0.1/photo.jpg',
      `${controller.baseUrl}/assets/missing`,
      'ftp://127.0.0.1/photo.jpg',
      'not a url',
    ];
    service = await startApp({ MATCHER_WORKERS: '1', REFERENCE_TIMEOUT_S: '2' }, { face: new FakeFace() });
    await service.ready();
  });
  after(async () => {
    await service?.close();
    await controller?.close();
  });

  /** A body with each image URL a hostile one, junk, or missing, sometimes with extra fields. */
  function body(random: () => number): string {
    const pick = (): unknown => {
      const r = random();
      if (r < 0.6) return urls[Math.floor(random() * urls.length)];
      if (r < 0.9) return junk(random);
      return undefined;
    };
    const b: Record<string, unknown> = { image1_url: pick(), image2_url: pick() };
    if (random() < 0.1) b[String(junk(random))] = junk(random);
    if (random() < 0.05) return JSON.stringify(junk(random)) ?? 'null';
    if (random() < 0.03) return '{"image1_url": "data:image/jpeg;base64,' + 'A'.repeat(16 * 1024 * 1024) + '"}';
    if (random() < 0.03) return '{"image1_url": ';
    return JSON.stringify(b);
  }

  it(`should answer ${CASES} hostile bodies with 400 or 413 and an error (200 only for two decodable images), and stay up`, async () => {
    const random = seededRandom(5123);
    const statuses = new Map<number, number>();
    for (let i = 0; i < CASES; i++) {
      const raw = body(random);
      const res = await fetch(`${service.baseUrl}/face_match`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: raw,
      });
      const answer = (await res.json()) as { error?: unknown; match?: unknown };
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const what = `case ${i}: ${res.status} ${JSON.stringify(answer).slice(0, 200)} for ${raw.slice(0, 200)}`;
      assert.ok(OK_STATUSES.includes(res.status), what);
      if (res.status !== 200) assert.ok(typeof answer.error === 'string' && answer.error.length > 0, what);
      else assert.equal(typeof answer.match, 'boolean', what);
    }
    console.log(`face_match fuzz: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.ok((statuses.get(400) ?? 0) > CASES / 2);
    // Still serving, and still right.
    const genuine = `data:image/jpeg;base64,${photo.toString('base64')}`;
    const res = await fetch(`${service.baseUrl}/face_match`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image1_url: genuine, image2_url: genuine }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { match: boolean }).match, true);
  });
});
