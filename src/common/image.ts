/** One decoded video frame in I420 (YUV 4:2:0 planar), as @roamhq/wrtc delivers and accepts it. */
export interface I420Frame {
  width: number;
  height: number;
  /** Y plane (width*height) then U and V planes ((width/2)*(height/2) each). */
  data: Uint8Array;
  /** Capture time on the service's monotonic clock, milliseconds. */
  timestampMs: number;
}

/** A decoded still image, interleaved 8-bit RGB (3) or RGBA (4). */
export interface RawImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/**
 * Bilinear sample at (x, y) (pixel centres on integers) of a plane starting at `offset`, with `step` bytes per
 * pixel (1 for an I420 plane, 3 or 4 for a channel of interleaved RGB) and `stride` pixels per row; edges clamped.
 */
export function bilinear(
  data: Uint8Array,
  offset: number,
  step: number,
  stride: number,
  w: number,
  h: number,
  x: number,
  y: number,
): number {
  const xc = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
  const yc = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
  const x0 = xc | 0;
  const y0 = yc | 0;
  const x1 = x0 + 1 < w ? x0 + 1 : x0;
  const y1 = y0 + 1 < h ? y0 + 1 : y0;
  const r0 = offset + y0 * stride * step;
  const r1 = offset + y1 * stride * step;
  const a = data[r0 + x0 * step];
  const b = data[r0 + x1 * step];
  const c = data[r1 + x0 * step];
  const d = data[r1 + x1 * step];
  return lerp2(a, b, c, d, xc - x0, yc - y0);
}

/** Bilinear mix of the neighbours a b (top row) and c d (bottom row) at fractional offsets tx, ty. */
export function lerp2(a: number, b: number, c: number, d: number, tx: number, ty: number): number {
  const top = a + (b - a) * tx;
  const bottom = c + (d - c) * tx;
  return top + (bottom - top) * ty;
}
