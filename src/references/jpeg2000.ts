import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { withTimeout } from '../common/deadline';
import { ImageLoadError } from './image-loader';

/** JPEG 2000 decoded pixels above this are refused from the header, before any decoding (ICAO 9303 faces are < 1 MP). */
export const MAX_JPEG2000_PIXELS = 12_000_000;

/** What the parent posts to jpeg2000.worker. */
export interface Jpeg2000Request {
  buffer: ArrayBuffer;
}

/** What jpeg2000.worker answers: interleaved 8-bit samples, 1 to 4 per pixel. */
export type Jpeg2000Reply =
  { type: 'result'; width: number; height: number; channels: number; buffer: ArrayBuffer } | { type: 'error'; message: string };

/** Decoded JPEG 2000 samples, interleaved, 8-bit: grey, grey + alpha, RGB or RGBA. */
export interface Jpeg2000Pixels {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
const WORKER_FILE = join(__dirname, 'jpeg2000.worker.js');

/** `jp2` (box container, as ICAO 9303 DG2) or `j2k` (raw codestream) from the first bytes. */
export function sniffJpeg2000(bytes: Uint8Array): 'jp2' | 'j2k' | undefined {
  if (bytes.length >= 12 && JP2_SIGNATURE.every((b, i) => bytes[i] === b)) return 'jp2';
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0x4f && bytes[2] === 0xff && bytes[3] === 0x51) return 'j2k';
  return undefined;
}

/** Where the codestream starts: 0 for J2K, the content of the `jp2c` box for JP2. */
function codestreamOffset(bytes: Uint8Array): number | undefined {
  if (sniffJpeg2000(bytes) === 'j2k') return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0, boxes = 0; offset + 8 <= bytes.length && boxes < 1000; boxes++) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const header = length === 1 ? 16 : 8;
    if (type === 'jp2c') return offset + header;
    if (length === 0) return undefined; // last box, and not the codestream
    const size = length === 1 && offset + 16 <= bytes.length ? Number(view.getBigUint64(offset + 8)) : length;
    if (size < header) return undefined;
    offset += size;
  }
  return undefined;
}

/** Image size from the codestream's SIZ marker, or undefined when there is none. */
export function jpeg2000Size(bytes: Uint8Array): { width: number; height: number; components: number } | undefined {
  const cs = codestreamOffset(bytes);
  if (cs === undefined || cs + 42 > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(cs) !== 0xff4f || view.getUint16(cs + 2) !== 0xff51) return undefined;
  const width = view.getUint32(cs + 8) - view.getUint32(cs + 16);
  const height = view.getUint32(cs + 12) - view.getUint32(cs + 20);
  return { width, height, components: view.getUint16(cs + 40) };
}

/**
 * Decodes a JP2 or J2K image in a worker of its own (OpenJPEG's WebAssembly decoder blocks while it runs),
 * within timeoutMs; refuses from the header an image over MAX_JPEG2000_PIXELS. Rejects with ImageLoadError.
 */
export async function decodeJpeg2000(bytes: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Jpeg2000Pixels> {
  const size = jpeg2000Size(bytes);
  if (!size || size.width <= 0 || size.height <= 0)
    throw new ImageLoadError('decode_failed', 'JPEG 2000 image without a valid size header');
  if (size.width * size.height > MAX_JPEG2000_PIXELS) {
    throw new ImageLoadError('too_large', `JPEG 2000 image of ${size.width}x${size.height} is over ${MAX_JPEG2000_PIXELS} pixels`);
  }
  signal?.throwIfAborted();
  const worker = new Worker(WORKER_FILE);
  try {
    const decoded = new Promise<Jpeg2000Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', (error) => reject(new ImageLoadError('decode_failed', `JPEG 2000 decoder failed: ${error.message}`)));
      worker.once('exit', (code) => reject(new ImageLoadError('decode_failed', `JPEG 2000 decoder exited with code ${code}`)));
      // A copy (Buffer#slice would share, and the transfer detach, the caller's memory).
      const buffer = new Uint8Array(bytes).buffer;
      worker.postMessage({ buffer } satisfies Jpeg2000Request, [buffer]);
    });
    const late = () => new ImageLoadError('timeout', `JPEG 2000 decoding took over ${timeoutMs} ms`);
    const reply = await withTimeout(decoded, timeoutMs, late, { signal });
    if (reply.type === 'error') throw new ImageLoadError('decode_failed', `JPEG 2000 image could not be decoded: ${reply.message}`);
    return {
      width: reply.width,
      height: reply.height,
      channels: reply.channels as Jpeg2000Pixels['channels'],
      data: new Uint8Array(reply.buffer),
    };
  } finally {
    await worker.terminate();
  }
}
