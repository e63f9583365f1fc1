import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { EmbeddedMatcher } from '../../src/matcher/embedded/embedded-matcher';
import { createFaceMatchApp } from '../../src/matcher/face-match/face-match.app';
import { OutboundGuard } from '../../src/outbound/outbound-guard';
import { HttpReferenceAdapter } from '../../src/references/http-reference.adapter';
import { decodeImage } from '../../src/references/image-loader';
import { DemoController } from '../../demo/demo-controller';
import { fixture } from '../support/fixtures';
import { passportJpeg2000 } from '../support/jpeg2000';
import { readFileSync } from 'node:fs';
import { flowLog } from '../../src/observability/logger';

const photo = (person: string, n: number) => fixture('faces', person, `${n}.jpg`);
const jp2Url = (bytes: Buffer) => `data:image/jp2;base64,${bytes.toString('base64')}`;

// An NFC passport's face image (ICAO 9303 DG2) is JPEG 2000: listed by the gov-id controller as a data URL.
describe('JPEG 2000 passport photos as references and in /face_match', { timeout: 3 * 60_000 }, () => {
  const outbound = new OutboundGuard({ allowPrivate: false, allowlist: ['127.0.0.1'] });
  const limits = { maxCount: 10, maxBytes: 2 * 1024 * 1024, timeoutMs: 20_000, maxRedirects: 2, outbound };
  let controller: DemoController;
  let matcher: EmbeddedMatcher;
  let app: INestApplication;
  let faceMatchUrl: string;
  let passport: { jp2: Buffer; j2k: Buffer; jp2Grey: Buffer };

  before(async () => {
    matcher = EmbeddedMatcher.create({ model: 'faceapi', workers: 1 });
    controller = await DemoController.create({ log: () => undefined });
    const chip = photo('barack_obama', 1);
    passport = {
      jp2: await passportJpeg2000(chip, { format: 'jp2' }),
      j2k: await passportJpeg2000(chip, { format: 'j2k' }),
      jp2Grey: await passportJpeg2000(chip, { format: 'jp2', grey: true }),
    };
    controller.assets.set('chip.j2k', passport.j2k);
    controller.lists.set('nfc', [jp2Url(passport.jp2), `${controller.baseUrl}/assets/chip.j2k`, jp2Url(passport.jp2Grey)]);
    app = await createFaceMatchApp({ matcher, limits }, 15);
    await app.listen(0, '127.0.0.1');
    faceMatchUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/face_match`;
    await matcher.ready();
  });

  after(async () => {
    await app.close();
    await controller.close();
    await Promise.all([matcher.close(), outbound.close()]);
  });

  it('should use JP2 and J2K references from /list (data URLs and http), colour and grey, and match the genuine subject', async () => {
    const set = await new HttpReferenceAdapter(limits).fetch(
      { flowId: 'f', token: 'nfc', callbackBaseUrl: controller.baseUrl },
      AbortSignal.timeout(60_000),
      flowLog('nfc'),
    );
    assert.deepEqual(set.skipped, []);
    assert.deepEqual(
      set.usable.map((r) => r.kind),
      ['data_url', 'http_url', 'data_url'],
    );
    const live = [await decodeImage(readFileSync(photo('barack_obama', 2)))];
    const genuine = await matcher.compare(live, set.usable, AbortSignal.timeout(60_000), flowLog('genuine'));
    assert.equal(genuine.match, true, `distance ${genuine.distance} threshold ${genuine.threshold}`);
    assert.deepEqual(genuine.referencesWithoutFace, []);
    const impostor = await matcher.compare(
      [await decodeImage(readFileSync(photo('joe_biden', 2)))],
      set.usable,
      AbortSignal.timeout(60_000),
      flowLog('impostor'),
    );
    assert.equal(impostor.match, false, `distance ${impostor.distance} threshold ${impostor.threshold}`);
  });

  it('should accept JP2 and J2K images in /face_match', async () => {
    const live = `data:image/jpeg;base64,${readFileSync(photo('barack_obama', 2)).toString('base64')}`;
    for (const chip of [passport.jp2, passport.j2k, passport.jp2Grey]) {
      const response = await fetch(faceMatchUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ image1_url: live, image2_url: jp2Url(chip) }),
      });
      const body = (await response.json()) as { match?: boolean; error?: string };
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(body.error, undefined);
      assert.equal(body.match, true, JSON.stringify(body));
    }
  });
});
