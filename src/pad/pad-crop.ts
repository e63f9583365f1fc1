import { bilinear, type I420Frame, type RawImage } from '../common/image';

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
 * output pixel (Y, U and V bilinear, BT.601 limited range as i420ToRgb): no full-frame RGB conversion.
 */
export function sampleCrop(source: PadSource, region: CropRegion, out: Float32Array, offset = 0): void {
  const size = PAD_INPUT_SIZE;
  const plane = size * size;
  const sx = (region.x1 - region.x0 + 1) / size;
  const sy = (region.y1 - region.y0 + 1) / size;
  const rgb: [number, number, number] = [0, 0, 0];
  const read = pixelReader(source);
  for (let row = 0; row < size; row++) {
    const fy = region.y0 + (row + 0.5) * sy - 0.5;
    for (let col = 0; col < size; col++) {
      read(region.x0 + (col + 0.5) * sx - 0.5, fy, rgb);
      const o = offset + row * size + col;
      out[o] = rgb[2];
      out[o + plane] = rgb[1];
      out[o + 2 * plane] = rgb[0];
    }
  }
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
    const luma = 1.164 * (bilinear(data, 0, 1, width, width, height, x, y) - 16);
    // Chroma samples sit at the centre of each 2x2 luma block.
    const cx = (x + 0.5) / 2 - 0.5;
    const cy = (y + 0.5) / 2 - 0.5;
    const u = bilinear(data, uOffset, 1, cw, cw, ch, cx, cy) - 128;
    const v = bilinear(data, vOffset, 1, cw, cw, ch, cx, cy) - 128;
    rgb[0] = clamp255(luma + 1.596 * v);
    rgb[1] = clamp255(luma - 0.392 * u - 0.813 * v);
    rgb[2] = clamp255(luma + 2.017 * u);
  };
}
