/** Decodes one JPEG 2000 image (JP2 or J2K) off the event loop, then exits: OpenJPEG built to WebAssembly. */
import { parentPort } from 'node:worker_threads';
import factory from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import type { Jpeg2000Reply, Jpeg2000Request } from './jpeg2000';

/** sYCC (full-range BT.601, as JP2 colr 18) to RGB, in place. */
function yccToRgb(data: Uint8Array): void {
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let i = 0; i + 2 < data.length; i += 3) {
    const y = data[i];
    const cb = data[i + 1] - 128;
    const cr = data[i + 2] - 128;
    data[i] = clamp(y + 1.402 * cr);
    data[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
    data[i + 2] = clamp(y + 1.772 * cb);
  }
}

async function decode(bytes: Uint8Array): Promise<Jpeg2000Reply> {
  // OpenJPEG prints progress lines; none of them belongs in the service's log.
  const openjpeg = await factory({ print: () => undefined, printErr: () => undefined });
  const decoder = new openjpeg.J2KDecoder();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const { width, height, bitsPerSample, componentCount, isSigned } = decoder.getFrameInfo();
    const colorSpace = decoder.getColorSpace();
    if (isSigned) return { type: 'error', message: 'signed samples are not supported' };
    if (componentCount < 1 || componentCount > 4) return { type: 'error', message: `${componentCount} components are not supported` };
    if (colorSpace === 4 || colorSpace === 5)
      return { type: 'error', message: `colour space ${colorSpace === 4 ? 'eYCC' : 'CMYK'} is not supported` };
    const decoded = decoder.getDecodedBuffer();
    const wide = bitsPerSample > 8;
    const samples = width * height * componentCount;
    if (decoded.length !== samples * (wide ? 2 : 1)) return { type: 'error', message: 'components of different sizes are not supported' };
    const data = new Uint8Array(samples);
    if (wide) {
      const sixteen = new Uint16Array(decoded.buffer, decoded.byteOffset, samples);
      for (let i = 0; i < samples; i++) data[i] = sixteen[i] >> (bitsPerSample - 8);
    } else if (bitsPerSample < 8) {
      for (let i = 0; i < samples; i++) data[i] = (decoded[i] * 255) / ((1 << bitsPerSample) - 1);
    } else {
      data.set(decoded);
    }
    if (colorSpace === 3 && componentCount === 3) yccToRgb(data);
    return { type: 'result', width, height, channels: componentCount, buffer: data.buffer };
  } finally {
    decoder.delete();
  }
}

parentPort?.once('message', (request: Jpeg2000Request) => {
  decode(new Uint8Array(request.buffer)).then(
    (reply) => parentPort?.postMessage(reply, reply.type === 'result' ? [reply.buffer] : []),
    (error: unknown) =>
      parentPort?.postMessage({ type: 'error', message: typeof error === 'number' ? `OpenJPEG error ${error}` : String(error) }),
  );
});
