import type { I420Frame } from '../../src/common/image';

/**
 * A frame number stamped into the luma plane as 16 large black/white blocks along the top-left edge, big
 * enough to survive VP8 at any bitrate; it lets the bench match a received frame to when it was sent.
 */
const BITS = 16;
const BLOCK = 16;

/** Stamps `n` (mod 2^16) into a copy of the frame's data. */
export function stampFrame(data: Uint8Array, width: number, n: number): Uint8Array {
  const out = data.slice();
  for (let bit = 0; bit < BITS; bit++) {
    const value = (n >> bit) & 1 ? 235 : 16;
    for (let y = 0; y < BLOCK; y++) out.fill(value, y * width + bit * BLOCK, y * width + (bit + 1) * BLOCK);
  }
  return out;
}

/** Reads the stamp of a received frame; `sentWidth` is the width it was stamped at (the receiver may scale). */
export function readStamp(frame: I420Frame, sentWidth: number): number {
  const scale = frame.width / sentWidth;
  let n = 0;
  for (let bit = 0; bit < BITS; bit++) {
    const cx = Math.round((bit * BLOCK + BLOCK / 2) * scale);
    const cy = Math.round((BLOCK / 2) * scale);
    let sum = 0;
    for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) sum += frame.data[(cy + dy) * frame.width + cx + dx];
    if (sum / 25 > 128) n |= 1 << bit;
  }
  return n;
}

/** Mean and standard deviation of the luma in a rectangle. */
export function lumaStats(frame: I420Frame, x0: number, y0: number, x1: number, y1: number): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const v = frame.data[y * frame.width + x];
      sum += v;
      sq += v * v;
      count++;
    }
  }
  const mean = sum / count;
  return { mean, std: Math.sqrt(Math.max(0, sq / count - mean * mean)) };
}
