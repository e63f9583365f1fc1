import { nonstandard } from '@roamhq/wrtc';
import type { I420Frame } from '../common/image';

/**
 * The instruction video is composed in I420: the subject's frame is mirrored and scaled straight into the
 * output planes, and the overlay (text, guide), rasterized only when it changes, is alpha-blended on top.
 * That keeps the per-frame cost to a few typed-array passes instead of a canvas draw and read-back.
 */

/** Size of one I420 picture. */
export function i420Size(width: number, height: number): number {
  return width * height + 2 * (width >> 1) * (height >> 1);
}

/** Column/row lookup tables that mirror and cover-fit a source picture into the output, per plane. */
export interface CoverMap {
  srcWidth: number;
  srcHeight: number;
  lumaX: Int32Array;
  lumaY: Int32Array;
  chromaX: Int32Array;
  chromaY: Int32Array;
  /** Same size in and out: each row is just reversed (the usual 640x480 camera), no lookups needed. */
  mirrorOnly: boolean;
}

/** Builds the lookup tables: centre crop to the output's aspect, nearest-neighbour scale, mirrored horizontally. */
export function coverMap(srcWidth: number, srcHeight: number, outWidth: number, outHeight: number): CoverMap {
  const scale = Math.max(outWidth / srcWidth, outHeight / srcHeight);
  const offsetX = (srcWidth - outWidth / scale) / 2;
  const offsetY = (srcHeight - outHeight / scale) / 2;
  const axis = (n: number, offset: number, max: number, step: number, mirror: boolean) => {
    const map = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const src = Math.floor(offset + (i + 0.5) * step);
      const clamped = Math.min(max - 1, Math.max(0, src));
      map[mirror ? n - 1 - i : i] = clamped;
    }
    return map;
  };
  const chromaW = srcWidth >> 1;
  const chromaH = srcHeight >> 1;
  return {
    srcWidth,
    srcHeight,
    lumaX: axis(outWidth, offsetX, srcWidth, 1 / scale, true),
    lumaY: axis(outHeight, offsetY, srcHeight, 1 / scale, false),
    chromaX: axis(outWidth >> 1, offsetX / 2, chromaW, 1 / scale, true),
    chromaY: axis(outHeight >> 1, offsetY / 2, chromaH, 1 / scale, false),
    mirrorOnly: srcWidth === outWidth && srcHeight === outHeight,
  };
}

function remapPlane(
  src: Uint8Array,
  srcOffset: number,
  srcStride: number,
  out: Uint8Array,
  outOffset: number,
  mx: Int32Array,
  my: Int32Array,
): void {
  const w = mx.length;
  for (let y = 0; y < my.length; y++) {
    const row = srcOffset + my[y] * srcStride;
    const o = outOffset + y * w;
    for (let x = 0; x < w; x++) out[o + x] = src[row + mx[x]];
  }
}

/** Copies a plane's rows reversed (native copy and reverse: about 4x faster than the lookups). */
function mirrorPlane(src: Uint8Array, srcOffset: number, width: number, height: number, out: Uint8Array, outOffset: number): void {
  for (let y = 0; y < height; y++) {
    const row = out.subarray(outOffset + y * width, outOffset + (y + 1) * width);
    row.set(src.subarray(srcOffset + y * width, srcOffset + (y + 1) * width));
    row.reverse();
  }
}

/** Writes `frame`, mirrored and cover-fitted, into the output picture `out` (outWidth x outHeight). */
export function drawMirrored(frame: I420Frame, map: CoverMap, out: Uint8Array): void {
  const { width, height, data } = frame;
  if (map.mirrorOnly) {
    const cw = width >> 1;
    const ch = height >> 1;
    mirrorPlane(data, 0, width, height, out, 0);
    mirrorPlane(data, width * height, cw, ch, out, width * height);
    mirrorPlane(data, width * height + cw * ch, cw, ch, out, width * height + cw * ch);
    return;
  }
  const outW = map.lumaX.length;
  const outH = map.lumaY.length;
  const cw = width >> 1;
  const ch = height >> 1;
  const ocw = outW >> 1;
  const och = outH >> 1;
  remapPlane(data, 0, width, out, 0, map.lumaX, map.lumaY);
  remapPlane(data, width * height, cw, out, outW * outH, map.chromaX, map.chromaY);
  remapPlane(data, width * height + cw * ch, cw, out, outW * outH + ocw * och, map.chromaX, map.chromaY);
}

/** Fills the output with one flat colour (the waiting screen's background). */
export function fillI420(out: Uint8Array, width: number, height: number, y: number, u: number, v: number): void {
  const luma = width * height;
  const chroma = (width >> 1) * (height >> 1);
  out.fill(y, 0, luma);
  out.fill(u, luma, luma + chroma);
  out.fill(v, luma + chroma, luma + 2 * chroma);
}

/** An overlay ready to blend: its colour in I420 and its opacity per luma and per chroma sample (0..256). */
export interface I420Overlay {
  width: number;
  height: number;
  yuv: Uint8Array;
  alphaLuma: Uint16Array;
  alphaChroma: Uint16Array;
  /** Luma rows that have any opaque pixel, so blending skips the rest. */
  rows: Uint8Array;
}

/** Converts an unpremultiplied RGBA overlay (as getImageData gives it) for blending. */
export function overlayFromRgba(rgba: Uint8ClampedArray, width: number, height: number): I420Overlay {
  const yuv = new Uint8Array(i420Size(width, height));
  nonstandard.rgbaToI420({ width, height, data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length) }, { width, height, data: yuv });
  const alphaLuma = new Uint16Array(width * height);
  const rows = new Uint8Array(height);
  for (let i = 0, p = 3; i < alphaLuma.length; i++, p += 4) {
    const a = rgba[p];
    alphaLuma[i] = a + (a >> 7); // 0..255 → 0..256, so 255 is fully opaque
    if (a !== 0) rows[(i / width) | 0] = 1;
  }
  const cw = width >> 1;
  const alphaChroma = new Uint16Array(cw * (height >> 1));
  for (let y = 0; y < height >> 1; y++) {
    for (let x = 0; x < cw; x++) {
      const i = 2 * y * width + 2 * x;
      alphaChroma[y * cw + x] = (alphaLuma[i] + alphaLuma[i + 1] + alphaLuma[i + width] + alphaLuma[i + width + 1]) >> 2;
    }
  }
  return { width, height, yuv, alphaLuma, alphaChroma, rows };
}

/** Blends the overlay onto the output picture in place. */
export function blendOverlay(out: Uint8Array, overlay: I420Overlay): void {
  const { width, height, yuv, alphaLuma, alphaChroma, rows } = overlay;
  for (let y = 0; y < height; y++) {
    if (rows[y] === 0) continue;
    for (let i = y * width, end = i + width; i < end; i++) {
      const a = alphaLuma[i];
      if (a !== 0) out[i] = (out[i] * (256 - a) + yuv[i] * a) >> 8;
    }
  }
  const luma = width * height;
  const chroma = alphaChroma.length;
  const cw = width >> 1;
  for (let y = 0; y < height >> 1; y++) {
    if (rows[2 * y] === 0 && rows[2 * y + 1] === 0) continue;
    for (let i = y * cw, end = i + cw; i < end; i++) {
      const a = alphaChroma[i];
      if (a === 0) continue;
      const u = luma + i;
      const v = luma + chroma + i;
      out[u] = (out[u] * (256 - a) + yuv[u] * a) >> 8;
      out[v] = (out[v] * (256 - a) + yuv[v] * a) >> 8;
    }
  }
}
