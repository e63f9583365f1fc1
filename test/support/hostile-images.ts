import sharp from 'sharp';

/**
 * Files that pretend to be images, for fuzzing whatever loads them: a truncated photo, a decompression bomb (a
 * tiny PNG of 12000x12000 pixels), SVG with a script, HTML, nothing, and a JPEG header alone. With the real photo.
 */
export async function hostileImages(photo: Buffer): Promise<Record<string, Buffer | string>> {
  const bomb = await sharp({ create: { width: 12000, height: 12000, channels: 3, background: 'white' } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  return {
    photo,
    truncated: photo.subarray(0, Math.floor(photo.length / 3)),
    bomb,
    svg: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
    html: '<html><body>not an image</body></html>',
    empty: '',
    'jpeg-magic-only': Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0]),
  };
}
