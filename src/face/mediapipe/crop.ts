import type { I420Frame } from '../../common/image';
import type { Roi } from './roi';

/** The value range a model wants RGB 0..255 mapped to. */
export interface ValueRange {
  min: number;
  max: number;
}

/**
 * Samples the rotated crop `roi` of an I420 frame into `out` as a size×size NHWC RGB float tensor: each output pixel's
 * centre is mapped into the frame, Y and the half-resolution U/V planes are sampled bilinearly there and converted
 * to RGB (BT.601 limited range, as i420ToRgb). Outside the frame reads black (MediaPipe's zero border). No full-frame
 * RGB conversion: a 256×256 crop reads 64 k points whatever the frame size.
 */
export function cropI420(frame: I420Frame, roi: Roi, size: number, format: ValueRange, out: Float32Array): Float32Array {
  const { width, height, data } = frame;
  const cw = width >> 1;
  const ch = height >> 1;
  const uOffset = width * height;
  const vOffset = uOffset + cw * ch;
  const scale = (format.max - format.min) / 255;
  const black = format.min;
  const cos = Math.cos(roi.angle);
  const sin = Math.sin(roi.angle);
  // Frame position of output pixel (col, row): centre + R · ((col + 0.5)/size − 0.5, (row + 0.5)/size − 0.5) ⊙ size.
  const sx = roi.width / size;
  const sy = roi.height / size;
  for (let row = 0; row < size; row++) {
    const v = (row + 0.5) * sy - roi.height / 2;
    for (let col = 0; col < size; col++) {
      const u = (col + 0.5) * sx - roi.width / 2;
      const fx = roi.cx + cos * u - sin * v;
      const fy = roi.cy + sin * u + cos * v;
      const o = (row * size + col) * 3;
      if (fx < 0 || fy < 0 || fx > width || fy > height) {
        out[o] = black;
        out[o + 1] = black;
        out[o + 2] = black;
        continue;
      }
      const luma = 1.164 * (bilinear(data, 0, width, height, fx - 0.5, fy - 0.5) - 16);
      const cu = bilinear(data, uOffset, cw, ch, fx / 2 - 0.5, fy / 2 - 0.5) - 128;
      const cv = bilinear(data, vOffset, cw, ch, fx / 2 - 0.5, fy / 2 - 0.5) - 128;
      out[o] = format.min + clamp255(luma + 1.596 * cv) * scale;
      out[o + 1] = format.min + clamp255(luma - 0.392 * cu - 0.813 * cv) * scale;
      out[o + 2] = format.min + clamp255(luma + 2.017 * cu) * scale;
    }
  }
  return out;
}

const clamp255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** Bilinear sample of a plane at (x, y) in sample coordinates (sample centres on integers), edges clamped. */
function bilinear(data: Uint8Array, offset: number, w: number, h: number, x: number, y: number): number {
  const xc = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
  const yc = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = x0 + 1 < w ? x0 + 1 : x0;
  const y1 = y0 + 1 < h ? y0 + 1 : y0;
  const ax = xc - x0;
  const ay = yc - y0;
  const r0 = offset + y0 * w;
  const r1 = offset + y1 * w;
  const top = data[r0 + x0] + (data[r0 + x1] - data[r0 + x0]) * ax;
  const bottom = data[r1 + x0] + (data[r1 + x1] - data[r1 + x0]) * ax;
  return top + (bottom - top) * ay;
}
