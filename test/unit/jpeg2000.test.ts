import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage, ImageLoadError, sniffImageType } from '../../src/references/image-loader';
import { jpeg2000Size, MAX_JPEG2000_PIXELS } from '../../src/references/jpeg2000';
import { fixture } from '../support/fixtures';
import { passportJpeg2000 } from '../support/jpeg2000';

const PHOTO = fixture('faces', 'barack_obama', '1.jpg');
const failsWith = (reason: string) => (e: unknown) => e instanceof ImageLoadError && e.reason === reason;

describe('JPEG 2000 references', () => {
  let jp2: Buffer;
  let j2kGrey: Buffer;
  let source: { data: Buffer; info: sharp.OutputInfo };

  before(async () => {
    jp2 = await passportJpeg2000(PHOTO, { format: 'jp2' });
    j2kGrey = await passportJpeg2000(PHOTO, { format: 'j2k', grey: true });
    source = await sharp(PHOTO).rotate().resize(480, 640, { fit: 'inside' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  });

  it('should be made passport-like: lossy 15-25 kB, at most 480x640', () => {
    for (const bytes of [jp2, j2kGrey]) {
      assert.ok(bytes.length >= 15_000 && bytes.length <= 25_000, `${bytes.length} bytes`);
      const size = jpeg2000Size(bytes)!;
      assert.ok(size.width <= 480 && size.height <= 640, JSON.stringify(size));
    }
    assert.equal(jpeg2000Size(jp2)!.components, 3);
    assert.equal(jpeg2000Size(j2kGrey)!.components, 1);
  });

  it('should sniff the JP2 box container and the raw J2K codestream from their bytes', () => {
    assert.equal(sniffImageType(jp2), 'jp2');
    assert.equal(sniffImageType(j2kGrey), 'j2k');
  });

  it('should decode JP2 colour to the photo it was made from', async () => {
    const image = await decodeImage(jp2);
    assert.deepEqual([image.width, image.height, image.channels], [source.info.width, source.info.height, 3]);
    let diff = 0;
    for (let i = 0; i < image.data.length; i++) diff += Math.abs(image.data[i] - source.data[i]);
    const mean = diff / image.data.length;
    assert.ok(mean < 8, `mean absolute difference ${mean.toFixed(2)} per sample`);
  });

  it('should decode grey J2K to RGB with equal channels', async () => {
    const image = await decodeImage(j2kGrey);
    assert.deepEqual([image.width, image.height, image.channels], [source.info.width, source.info.height, 3]);
    for (let i = 0; i < image.data.length; i += 997 * 3) {
      assert.equal(image.data[i], image.data[i + 1]);
      assert.equal(image.data[i + 1], image.data[i + 2]);
    }
  });

  it('should refuse from the header an image over the pixel limit, before decoding', async () => {
    const bomb = Buffer.from(j2kGrey);
    // SIZ: Xsiz at 8, Ysiz at 12 (the J2K codestream starts at 0).
    bomb.writeUInt32BE(40_000, 8);
    bomb.writeUInt32BE(40_000, 12);
    assert.ok(40_000 * 40_000 > MAX_JPEG2000_PIXELS);
    await assert.rejects(decodeImage(bomb), failsWith('too_large'));
  });

  it('should refuse truncated and corrupt JPEG 2000 with decode_failed, and a slow decode with timeout', async () => {
    await assert.rejects(decodeImage(jp2.subarray(0, 300)), failsWith('decode_failed'));
    await assert.rejects(decodeImage(j2kGrey.subarray(0, 20)), failsWith('decode_failed'));
    // OpenJPEG decodes what it can of a damaged codestream (as OpenCV does): an image or an ImageLoadError, no crash.
    const corrupt = Buffer.from(jp2);
    corrupt.fill(0x55, 400);
    await decodeImage(corrupt).then(
      (image) => assert.equal(image.channels, 3),
      (e: unknown) => assert.ok(e instanceof ImageLoadError, String(e)),
    );
    await assert.rejects(decodeImage(jp2, { timeoutMs: 1 }), failsWith('timeout'));
  });
});
