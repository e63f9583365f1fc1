import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/** How a passport chip's face image (ICAO 9303 DG2) is made here: box container or raw codestream, colour or grey. */
export interface PassportImageOptions {
  format: 'jp2' | 'j2k';
  grey?: boolean;
  /** Aimed-at size in bytes (lossy); default 20 kB. */
  targetBytes?: number;
}

/**
 * A passport-like JPEG 2000 image made now from a fixture photo with Debian's opj_compress (libopenjp2-tools):
 * at most 480x640, lossy at about `targetBytes`. The pixels pass through a private temporary folder (in memory
 * where /dev/shm exists) that is removed before returning.
 */
export async function passportJpeg2000(photo: string, options: PassportImageOptions): Promise<Buffer> {
  let image = sharp(photo).rotate().resize(480, 640, { fit: 'inside', withoutEnlargement: true });
  if (options.grey) image = image.greyscale();
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const channels = options.grey ? 1 : 3;
  const pixels = channels === info.channels ? data : await sharp(data, { raw: info }).extractChannel(0).raw().toBuffer();
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'vision-jp2-'));
  try {
    const input = join(dir, channels === 1 ? 'in.pgm' : 'in.ppm');
    writeFileSync(input, Buffer.concat([Buffer.from(`P${channels === 1 ? 5 : 6}\n${info.width} ${info.height}\n255\n`), pixels]), {
      mode: 0o600,
    });
    const output = join(dir, `out.${options.format}`);
    const ratio = Math.max(1, pixels.length / (options.targetBytes ?? 20_000));
    execFileSync('opj_compress', ['-i', input, '-o', output, '-r', ratio.toFixed(2)], { stdio: 'ignore' });
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
