import type { I420Frame, RawImage } from '../common/image';

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** Converts an I420 frame to interleaved RGB (BT.601 limited range, what WebRTC cameras send). */
export function i420ToRgb(frame: I420Frame): RawImage {
  const { width, height, data } = frame;
  const rgb = new Uint8Array(width * height * 3);
  const chromaWidth = width >> 1;
  const uOffset = width * height;
  const vOffset = uOffset + chromaWidth * (height >> 1);
  for (let y = 0; y < height; y++) {
    const chromaRow = (y >> 1) * chromaWidth;
    for (let x = 0; x < width; x++) {
      const c = 1.164 * (data[y * width + x] - 16);
      const u = data[uOffset + chromaRow + (x >> 1)] - 128;
      const v = data[vOffset + chromaRow + (x >> 1)] - 128;
      const o = (y * width + x) * 3;
      rgb[o] = clamp(c + 1.596 * v);
      rgb[o + 1] = clamp(c - 0.392 * u - 0.813 * v);
      rgb[o + 2] = clamp(c + 2.017 * u);
    }
  }
  return { width, height, channels: 3, data: rgb };
}

/** Converts interleaved RGB(A) to I420 (BT.601 limited range); width and height must be even. */
export function rgbToI420(image: RawImage, timestampMs = 0): I420Frame {
  const { width, height, channels, data } = image;
  if (width % 2 || height % 2) throw new Error(`I420 needs even dimensions, got ${width}x${height}`);
  const out = new Uint8Array((width * height * 3) / 2);
  const chromaWidth = width / 2;
  const uOffset = width * height;
  const vOffset = uOffset + chromaWidth * (height / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const r = data[i];
      const g = data[i + 1];
      const b = data[i + 2];
      out[y * width + x] = clamp(16 + 0.257 * r + 0.504 * g + 0.098 * b);
      if ((x & 1) === 0 && (y & 1) === 0) {
        const c = (y / 2) * chromaWidth + x / 2;
        out[uOffset + c] = clamp(128 - 0.148 * r - 0.291 * g + 0.439 * b);
        out[vOffset + c] = clamp(128 + 0.439 * r - 0.368 * g - 0.071 * b);
      }
    }
  }
  return { width, height, data: out, timestampMs };
}

/** Checks that a frame's buffer holds exactly one I420 picture of its size. */
export function assertI420(frame: I420Frame): void {
  const expected = frame.width * frame.height + 2 * (frame.width >> 1) * (frame.height >> 1);
  if (frame.width % 2 || frame.height % 2 || frame.data.length !== expected) {
    throw new Error(`bad I420 frame ${frame.width}x${frame.height} with ${frame.data.length} bytes (expected ${expected})`);
  }
}

/** A checked I420 frame as RGB, for keeping as live evidence (FaceAnalysisPort.toRgb of the engines). */
export function frameToRgb(frame: I420Frame): RawImage {
  assertI420(frame);
  return i420ToRgb(frame);
}
