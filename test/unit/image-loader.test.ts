import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { bytesOfDataUrl, decodeImage, ImageLoadError, sniffImageType } from '../../src/references/image-loader';
import { joinUrl } from '../../src/common/url';

describe('image loader', () => {
  it('should sniff JPEG, PNG and WebP by content, not by name', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
      .png()
      .toBuffer();
    const webp = await sharp(png).webp().toBuffer();
    const jpeg = await sharp(png).jpeg().toBuffer();
    assert.deepEqual([sniffImageType(jpeg), sniffImageType(png), sniffImageType(webp)], ['jpeg', 'png', 'webp']);
    assert.equal(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
    assert.equal(sniffImageType(Buffer.from('GIF89a')), undefined);
  });

  it('should apply EXIF orientation so the image is upright', async () => {
    // 40x20 pixels stored, orientation 6 (rotate 90°): upright it is 20x40.
    const rotated = await sharp({ create: { width: 40, height: 20, channels: 3, background: 'blue' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const image = await decodeImage(rotated);
    assert.deepEqual([image.width, image.height, image.channels], [20, 40, 3]);
  });

  it('should refuse truncated images and decompression bombs with decode_failed', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: 'red' } })
      .jpeg()
      .toBuffer();
    await assert.rejects(decodeImage(jpeg.subarray(0, 40)), (e: unknown) => e instanceof ImageLoadError && e.reason === 'decode_failed');
    const bomb = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: 'white' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    await assert.rejects(decodeImage(bomb), (e: unknown) => e instanceof ImageLoadError && e.reason === 'decode_failed');
  });

  it('should read data URLs within the size limit only', () => {
    assert.deepEqual([...bytesOfDataUrl('data:image/png;base64,AQID', 10)], [1, 2, 3]);
    assert.throws(
      () => bytesOfDataUrl('data:image/png;base64,AQIDBAUG', 3),
      (e: unknown) => e instanceof ImageLoadError && e.reason === 'too_large',
    );
    assert.throws(
      () => bytesOfDataUrl('data:text/plain,hello', 10),
      (e: unknown) => e instanceof ImageLoadError && e.reason === 'bad_item',
    );
  });

  it('should join URLs with one slash and encode segments', () => {
    assert.equal(joinUrl('http://c/base//', 'list', 'a b/c?'), 'http://c/base/list/a%20b%2Fc%3F');
  });
});
