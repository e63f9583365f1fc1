import sharp from 'sharp';
import type { RawImage } from '../common/image';
import type { ReferenceSkipReason } from '../common/errors';
import { deadline } from '../common/deadline';
import { decodeJpeg2000, sniffJpeg2000 } from './jpeg2000';
import { fetchableUrl, GET_REDIRECTS, OutboundGuard, refusalOf } from '../outbound/outbound-guard';

/** Limits applied to every image fetched for the service (references, /face_match URLs). */
export interface ImageLimits {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  /** Largest side after decoding; bigger images are scaled down (faces stay far above model input sizes). */
  maxSide?: number;
  /** Checks every address the fetch connects to. */
  outbound: OutboundGuard;
}

/** Why an image could not be loaded. */
export class ImageLoadError extends Error {
  constructor(
    readonly reason: ReferenceSkipReason,
    message: string,
  ) {
    super(message);
    this.name = 'ImageLoadError';
  }
}

const DEFAULT_MAX_SIDE = 2048;
/** Time a JPEG 2000 decode may take when the caller sets none. */
const DEFAULT_DECODE_MS = 10_000;
/** Decoded pixel limit: refuses decompression bombs before they allocate. */
const MAX_INPUT_PIXELS = 40_000_000;

/** The image type from the first bytes; headers are not trusted. */
export function sniffImageType(bytes: Uint8Array): 'jpeg' | 'png' | 'webp' | 'jp2' | 'j2k' | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  const ascii = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString('latin1');
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return sniffJpeg2000(bytes);
}

/** Limits of decoding: the largest side kept, and the time a JPEG 2000 decode may take. */
export interface DecodeLimits {
  maxSide?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Decodes JPEG/PNG/WebP/JPEG 2000 bytes to upright sRGB (EXIF orientation applied). */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = {}): Promise<RawImage> {
  const type = sniffImageType(bytes);
  if (!type) throw new ImageLoadError('unsupported_type', 'not a JPEG, PNG, WebP or JPEG 2000 image');
  // sharp's libvips has no OpenJPEG: JPEG 2000 is decoded apart, then scaled like the rest.
  const pixels =
    type === 'jp2' || type === 'j2k' ? await decodeJpeg2000(bytes, limits.timeoutMs ?? DEFAULT_DECODE_MS, limits.signal) : undefined;
  const maxSide = limits.maxSide ?? DEFAULT_MAX_SIDE;
  try {
    const input = pixels
      ? sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
      : sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).rotate();
    const { data, info } = await input
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion to sRGB`);
    return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (error) {
    throw new ImageLoadError('decode_failed', `image could not be decoded: ${(error as Error).message}`);
  }
}

/** Bytes of a `data:image/...;base64,` URL. */
export function bytesOfDataUrl(url: string, maxBytes: number): Uint8Array {
  const match = /^data:image\/[a-z0-9.+-]+;base64,([A-Za-z0-9+/=\s]*)$/i.exec(url);
  if (!match) throw new ImageLoadError('bad_item', 'data URL must be data:image/<type>;base64,<data>');
  const base64 = match[1].replace(/\s+/g, '');
  if (Math.floor((base64.length * 3) / 4) > maxBytes) throw new ImageLoadError('too_large', `image over ${maxBytes} bytes`);
  return Buffer.from(base64, 'base64');
}

/** Reads a response body, refusing it as soon as it passes maxBytes. */
async function readLimited(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new ImageLoadError('too_large', `image of ${declared} bytes is over ${maxBytes}`);
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ImageLoadError('too_large', `image over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * GETs an http(s) URL with the limits: redirects followed by hand (each hop re-checked), overall timeout,
 * body size. Returns the body of the final 2xx answer.
 */
export async function fetchLimited(rawUrl: string, limits: ImageLimits, signal: AbortSignal, accept = '*/*'): Promise<Uint8Array> {
  const limit = deadline(signal, limits.timeoutMs);
  let url: URL | undefined;
  try {
    url = fetchableUrl(rawUrl);
  } catch (error) {
    limit.dispose();
    throw new ImageLoadError('bad_item', (error as Error).message);
  }
  try {
    const answer = await limits.outbound.fetch(
      url,
      { signal: limit.signal, headers: { accept } },
      { max: limits.maxRedirects, statuses: GET_REDIRECTS },
    );
    url = answer.url;
    const { response } = answer;
    if (GET_REDIRECTS.includes(response.status) && response.headers.has('location')) {
      throw new ImageLoadError('fetch_failed', `more than ${limits.maxRedirects} redirects`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ImageLoadError('http_status', `GET ${url.origin}${url.pathname} answered ${response.status}`);
    }
    return await readLimited(response, limits.maxBytes);
  } catch (error) {
    if (error instanceof ImageLoadError) throw error;
    const refused = refusalOf(error);
    if (refused) throw new ImageLoadError('blocked_address', refused.message);
    if (limit.timedOut()) throw new ImageLoadError('timeout', `no complete answer within ${limits.timeoutMs} ms`);
    throw new ImageLoadError('fetch_failed', `GET ${url.origin}${url.pathname} failed: ${(error as Error).message}`);
  } finally {
    limit.dispose();
  }
}

/** Loads an image from a data: or http(s): URL, within the limits, decoded and upright. */
export async function loadImage(url: string, limits: ImageLimits, signal: AbortSignal): Promise<RawImage> {
  const bytes = url.startsWith('data:') ? bytesOfDataUrl(url, limits.maxBytes) : await fetchLimited(url, limits, signal, 'image/*');
  return decodeImage(bytes, { maxSide: limits.maxSide, timeoutMs: limits.timeoutMs, signal });
}
