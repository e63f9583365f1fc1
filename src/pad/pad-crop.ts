import { bilinear, type I420Frame, lerp2, type RawImage } from '../common/image';

/** A face box in frame pixels: top-left corner and size. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Side of the models' square input. */
export const PAD_INPUT_SIZE = 80;

/** A crop region in frame pixels, inclusive integer bounds (as Silent-Face slices it). */
export interface CropRegion {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Silent-Face's crop rule (CropImage._get_new_box): the box scaled by `scale` around its centre, the scale capped
 * so the crop fits in the frame, then shifted (not clipped) back inside it; bounds truncated to integers.
 */
export function cropRegion(frameWidth: number, frameHeight: number, box: FaceBox, scale: number): CropRegion {
  const s = Math.min((frameHeight - 1) / box.height, (frameWidth - 1) / box.width, scale);
  const w = box.width * s;
  const h = box.height * s;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  let x0 = cx - w / 2;
  let y0 = cy - h / 2;
  let x1 = cx + w / 2;
  let y1 = cy + h / 2;
  if (x0 < 0) [x1, x0] = [x1 - x0, 0];
  if (y0 < 0) [y1, y0] = [y1 - y0, 0];
  if (x1 > frameWidth - 1) [x0, x1] = [x0 - (x1 - frameWidth + 1), frameWidth - 1];
  if (y1 > frameHeight - 1) [y0, y1] = [y0 - (y1 - frameHeight + 1), frameHeight - 1];
  return { x0: Math.trunc(x0), y0: Math.trunc(y0), x1: Math.trunc(x1), y1: Math.trunc(y1) };
}

/** What the scorer reads: a call's I420 frame or a decoded RGB(A) image. */
export type PadSource = I420Frame | RawImage;

const isRaw = (source: PadSource): source is RawImage => 'channels' in source;

/**
 * Resizes `region` of `source` to 80x80 into `out` at `offset` as planar BGR float 0–255 (NCHW), bilinear with
 * pixel centres aligned like cv2.resize INTER_LINEAR, which the models were trained with. I420 is sampled per
 * output pixel (Y, U and V bilinear, BT.601 limited range as i420ToRgb): no full-frame RGB conversion. The same
 * values as pixelReader at each point; the grid's taps are computed once per row and column.
 */
export function sampleCrop(source: PadSource, region: CropRegion, out: Float32Array, offset = 0): void {
  const size = PAD_INPUT_SIZE;
  const plane = size * size;
  const sx = (region.x1 - region.x0 + 1) / size;
  const sy = (region.y1 - region.y0 + 1) / size;
  const { width, height, data } = source;
  const cols = axisTaps(region.x0, sx, width, false);
  const rows = axisTaps(region.y0, sy, height, false);
  const rgb: [number, number, number] = [0, 0, 0];
  const raw = isRaw(source);
  const channels = raw ? source.channels : 1;
  const cw = width >> 1;
  const uOffset = width * height;
  const vOffset = uOffset + cw * (height >> 1);
  const chromaCols = raw ? cols : axisTaps(region.x0, sx, cw, true);
  const chromaRows = raw ? rows : axisTaps(region.y0, sy, height >> 1, true);
  for (let row = 0; row < size; row++) {
    const r0 = rows.lo[row] * width * channels;
    const r1 = rows.hi[row] * width * channels;
    const ty = rows.t[row];
    const c0 = chromaRows.lo[row] * cw;
    const c1 = chromaRows.hi[row] * cw;
    const cty = chromaRows.t[row];
    for (let col = 0; col < size; col++) {
      const x0 = cols.lo[col] * channels;
      const x1 = cols.hi[col] * channels;
      const tx = cols.t[col];
      if (raw) {
        for (let c = 0; c < 3; c++) rgb[c] = lerp2(data[r0 + x0 + c], data[r0 + x1 + c], data[r1 + x0 + c], data[r1 + x1 + c], tx, ty);
      } else {
        const luma = lerp2(data[r0 + x0], data[r0 + x1], data[r1 + x0], data[r1 + x1], tx, ty);
        // The four chroma neighbours' offsets in a chroma plane.
        const a = c0 + chromaCols.lo[col];
        const b = c0 + chromaCols.hi[col];
        const c = c1 + chromaCols.lo[col];
        const d = c1 + chromaCols.hi[col];
        const ctx = chromaCols.t[col];
        const u = lerp2(data[uOffset + a], data[uOffset + b], data[uOffset + c], data[uOffset + d], ctx, cty);
        const v = lerp2(data[vOffset + a], data[vOffset + b], data[vOffset + c], data[vOffset + d], ctx, cty);
        yuvToRgb(luma, u, v, rgb);
      }
      const o = offset + row * size + col;
      out[o] = rgb[2];
      out[o + plane] = rgb[1];
      out[o + 2 * plane] = rgb[0];
    }
  }
}

/** Bilinear taps of the 80 grid points along one axis: indices lo/hi and the weight t of hi, clamped as bilinear(). */
interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  t: Float64Array;
}

/** `chroma`: the same luma positions on a half-resolution plane, whose samples sit at each 2x2 block's centre. */
function axisTaps(origin: number, step: number, length: number, chroma: boolean): Taps {
  const taps = { lo: new Int32Array(PAD_INPUT_SIZE), hi: new Int32Array(PAD_INPUT_SIZE), t: new Float64Array(PAD_INPUT_SIZE) };
  for (let i = 0; i < PAD_INPUT_SIZE; i++) {
    const p = origin + (i + 0.5) * step - 0.5;
    const q = chroma ? (p + 0.5) / 2 - 0.5 : p;
    const clamped = q < 0 ? 0 : q > length - 1 ? length - 1 : q;
    taps.lo[i] = clamped | 0;
    taps.hi[i] = taps.lo[i] + 1 < length ? taps.lo[i] + 1 : taps.lo[i];
    taps.t[i] = clamped - taps.lo[i];
  }
  return taps;
}

/** Reads RGB 0–255 at a point in pixel coordinates (pixel centres on integers), bilinear, edges clamped. */
export type PixelReader = (x: number, y: number, rgb: [number, number, number]) => void;

export function pixelReader(source: PadSource): PixelReader {
  return isRaw(source) ? rawReader(source) : i420Reader(source);
}

const clamp255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

function rawReader(image: RawImage): PixelReader {
  const { width, height, channels, data } = image;
  return (x, y, rgb) => {
    for (let c = 0; c < 3; c++) rgb[c] = bilinear(data, c, channels, width, width, height, x, y);
  };
}

function i420Reader(frame: I420Frame): PixelReader {
  const { width, height, data } = frame;
  const cw = width >> 1;
  const ch = height >> 1;
  const uOffset = width * height;
  const vOffset = uOffset + cw * ch;
  return (x, y, rgb) => {
    // Chroma samples sit at the centre of each 2x2 luma block.
    const cx = (x + 0.5) / 2 - 0.5;
    const cy = (y + 0.5) / 2 - 0.5;
    const u = bilinear(data, uOffset, 1, cw, cw, ch, cx, cy);
    const v = bilinear(data, vOffset, 1, cw, cw, ch, cx, cy);
    yuvToRgb(bilinear(data, 0, 1, width, width, height, x, y), u, v, rgb);
  };
}

/** BT.601 limited range, as i420ToRgb. */
function yuvToRgb(y: number, u: number, v: number, rgb: [number, number, number]): void {
  const luma = 1.164 * (y - 16);
  rgb[0] = clamp255(luma + 1.596 * (v - 128));
  rgb[1] = clamp255(luma - 0.392 * (u - 128) - 0.813 * (v - 128));
  rgb[2] = clamp255(luma + 2.017 * (u - 128));
}
