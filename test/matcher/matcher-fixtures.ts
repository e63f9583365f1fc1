import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { RawImage } from '../../src/common/image';
import { decodeImage } from '../../src/references/image-loader';
import type { ReferenceImage } from '../../src/references/reference.port';
import { fixture } from '../support/fixtures';

/** A face photo of the shared fixtures, e.g. face('barack_obama', 1). */
export function faceFile(person: string, n: number): string {
  return fixture('faces', person, `${n}.jpg`);
}

/** A fixture photo decoded as the service decodes references. */
export function facePhoto(person: string, n: number): Promise<RawImage> {
  return decodeImage(readFileSync(faceFile(person, n)));
}

/** A photo as a data URL, as controllers send references. */
export function dataUrl(file: string): string {
  return `data:image/jpeg;base64,${readFileSync(file).toString('base64')}`;
}

/** A JPEG with no face in it: a smooth colour gradient. */
export async function faceless(): Promise<Buffer> {
  const width = 320;
  const height = 240;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = (i % width) * 0.8;
    data[i * 3 + 1] = Math.floor(i / width);
    data[i * 3 + 2] = 90;
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg()
    .toBuffer();
}

/** Two people side by side: `big` at 400 px high on the left, `small` at 200 px on the right. */
export async function twoFaces(big: string, small: string): Promise<Buffer> {
  const left = await sharp(big).rotate().resize({ height: 400 }).jpeg().toBuffer();
  const right = await sharp(small).rotate().resize({ height: 200 }).jpeg().toBuffer();
  const leftWidth = (await sharp(left).metadata()).width!;
  const rightWidth = (await sharp(right).metadata()).width!;
  return sharp({ create: { width: leftWidth + rightWidth + 40, height: 420, channels: 3, background: '#808080' } })
    .composite([
      { input: left, left: 0, top: 10 },
      { input: right, left: leftWidth + 40, top: 110 },
    ])
    .jpeg()
    .toBuffer();
}

/** References as the reference adapter hands them over. */
export function references(...images: RawImage[]): ReferenceImage[] {
  return images.map((image, index) => ({ index, kind: 'data_url', image }));
}
