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
  /**
   * No scaling, only a centre crop (the source's top-left luma sample taken): each row is a reversed run of the
   * source, no lookups needed (a camera at the video's size; the bots' 480x480 clip into 480x360). Undefined when
   * scaled.
   */
  crop?: { x: number; y: number };
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
    crop: scale === 1 ? { x: Math.floor(offsetX), y: Math.floor(offsetY) } : undefined,
  };
}

/**
 * Nearest-neighbour lookups, four output samples packed into one 32-bit store (about 2x fewer writes); an output
 * row that samples the same source row as the one above it (an upscale) is a native copy of that row.
 * Plane widths here are multiples of 4 (640 and 320), so `out32` covers each row exactly.
 */
function remapPlane(
  src: Uint8Array,
  srcOffset: number,
  srcStride: number,
  out: Uint8Array,
  out32: Uint32Array,
  outOffset: number,
  mx: Int32Array,
  my: Int32Array,
): void {
  const w = mx.length;
  for (let y = 0; y < my.length; y++) {
    const o = outOffset + y * w;
    if (y > 0 && my[y] === my[y - 1]) {
      out.copyWithin(o, o - w, o);
      continue;
    }
    const row = srcOffset + my[y] * srcStride;
    for (let x = 0, i = o >> 2; x < w; x += 4, i++) {
      out32[i] = src[row + mx[x]] | (src[row + mx[x + 1]] << 8) | (src[row + mx[x + 2]] << 16) | (src[row + mx[x + 3]] << 24);
    }
  }
}

/**
 * Copies `height` rows of `width` samples, reversed, from the source plane (row stride `srcStride`), 4 samples per
 * 32-bit load and store, byte-swapped. Needs every offset, the stride and the width to be multiples of 4.
 */
function mirrorPlane(
  src32: Uint32Array,
  srcOffset: number,
  srcStride: number,
  width: number,
  height: number,
  out32: Uint32Array,
  outOffset: number,
): void {
  const words = width >> 2;
  for (let y = 0; y < height; y++) {
    const s = (srcOffset + y * srcStride) >> 2;
    const last = (outOffset >> 2) + y * words + words - 1;
    for (let k = 0; k < words; k++) {
      const v = src32[s + k];
      out32[last - k] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    }
  }
}

/** Writes `frame`, mirrored and cover-fitted, into the output picture `out` (outWidth x outHeight). */
export function drawMirrored(frame: I420Frame, map: CoverMap, out: Uint8Array): void {
  const { width, height, data } = frame;
  // Little-endian packing (x86, arm64): the first sample is the lowest byte. Plane offsets are multiples of 4.
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.byteLength >> 2);
  const outW = map.lumaX.length;
  const outH = map.lumaY.length;
  const cw = width >> 1;
  const ch = height >> 1;
  const ocw = outW >> 1;
  const och = outH >> 1;
  const crop = map.crop;
  // Word-aligned rows on both sides: the source's width, plane offsets and crop offset in multiples of 8 (chroma 4).
  if (crop && width % 8 === 0 && height % 2 === 0 && crop.x % 8 === 0 && crop.y % 2 === 0 && data.byteOffset % 4 === 0) {
    const src32 = new Uint32Array(data.buffer, data.byteOffset, data.byteLength >> 2);
    const u = width * height;
    const v = u + cw * ch;
    const chromaCrop = (crop.y >> 1) * cw + (crop.x >> 1);
    mirrorPlane(src32, crop.y * width + crop.x, width, outW, outH, out32, 0);
    mirrorPlane(src32, u + chromaCrop, cw, ocw, och, out32, outW * outH);
    mirrorPlane(src32, v + chromaCrop, cw, ocw, och, out32, outW * outH + ocw * och);
    return;
  }
  remapPlane(data, 0, width, out, out32, 0, map.lumaX, map.lumaY);
  remapPlane(data, width * height, cw, out, out32, outW * outH, map.chromaX, map.chromaY);
  remapPlane(data, width * height + cw * ch, cw, out, out32, outW * outH + ocw * och, map.chromaX, map.chromaY);
}

/** Fills the output with one flat colour (the waiting screen's background). */
export function fillI420(out: Uint8Array, width: number, height: number, y: number, u: number, v: number): void {
  const luma = width * height;
  const chroma = (width >> 1) * (height >> 1);
  out.fill(y, 0, luma);
  out.fill(u, luma, luma + chroma);
  out.fill(v, luma + chroma, luma + 2 * chroma);
}

/** [begin, end) plane offsets of the runs of non-transparent samples (the guide is a thin oval, text sparse). */
function alphaRuns(alpha: Uint16Array, width: number): Int32Array {
  const walk = (collect?: Int32Array) => {
    let n = 0;
    for (let row = 0; row < alpha.length; row += width) {
      for (let i = row, end = row + width; i < end; i++) {
        if (alpha[i] === 0) continue;
        const begin = i;
        while (i < end && alpha[i] !== 0) i++;
        if (collect) {
          collect[n] = begin;
          collect[n + 1] = i;
        }
        n += 2;
      }
    }
    return n;
  };
  const runs = new Int32Array(walk());
  walk(runs);
  return runs;
}

/**
 * An overlay ready to blend: a full-width band of the output from luma row `top` (even), its colour in I420 and
 * its opacity per luma and per chroma sample (0..256), and the runs where it is not transparent.
 */
export interface I420Overlay {
  width: number;
  height: number;
  top: number;
  yuv: Uint8Array;
  alphaLuma: Uint16Array;
  alphaChroma: Uint16Array;
  lumaRuns: Int32Array;
  chromaRuns: Int32Array;
}

/**
 * Converts an unpremultiplied RGBA overlay (as getImageData gives it) for blending at luma row `top`. Reuses the
 * buffers of `previous` when it has the same size (an overlay is redrawn whenever what it shows changes).
 */
export function overlayFromRgba(rgba: Uint8ClampedArray, width: number, height: number, top = 0, previous?: I420Overlay): I420Overlay {
  const reuse = previous?.width === width && previous.height === height;
  const yuv = reuse ? previous.yuv : new Uint8Array(i420Size(width, height));
  nonstandard.rgbaToI420({ width, height, data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length) }, { width, height, data: yuv });
  const alphaLuma = reuse ? previous.alphaLuma : new Uint16Array(width * height);
  for (let i = 0, p = 3; i < alphaLuma.length; i++, p += 4) {
    const a = rgba[p];
    alphaLuma[i] = a + (a >> 7); // 0..255 → 0..256, so 255 is fully opaque
  }
  const cw = width >> 1;
  const ch = height >> 1;
  const alphaChroma = reuse ? previous.alphaChroma : new Uint16Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const i = 2 * y * width + 2 * x;
      alphaChroma[y * cw + x] = (alphaLuma[i] + alphaLuma[i + 1] + alphaLuma[i + width] + alphaLuma[i + width + 1]) >> 2;
    }
  }
  return {
    width,
    height,
    top,
    yuv,
    alphaLuma,
    alphaChroma,
    lumaRuns: alphaRuns(alphaLuma, width),
    chromaRuns: alphaRuns(alphaChroma, cw),
  };
}

/** Blends `overlay[from..]` onto `out[at..]` along the runs: out = out·(1−a) + overlay·a. */
function blendRuns(out: Uint8Array, at: number, overlay: Uint8Array, from: number, alpha: Uint16Array, runs: Int32Array): void {
  for (let r = 0; r < runs.length; r += 2) {
    for (let i = runs[r], end = runs[r + 1]; i < end; i++) {
      const a = alpha[i];
      out[at + i] = (out[at + i] * (256 - a) + overlay[from + i] * a) >> 8;
    }
  }
}

/** Blends the overlay onto the output picture (the overlay's width, `outHeight` rows) in place. */
export function blendOverlay(out: Uint8Array, outHeight: number, overlay: I420Overlay): void {
  const { width, height, top, yuv, alphaLuma, alphaChroma, lumaRuns, chromaRuns } = overlay;
  const luma = width * height;
  const chroma = alphaChroma.length;
  const outLuma = width * outHeight;
  const outChroma = outLuma >> 2;
  const chromaTop = (top >> 1) * (width >> 1);
  blendRuns(out, top * width, yuv, 0, alphaLuma, lumaRuns);
  blendRuns(out, outLuma + chromaTop, yuv, luma, alphaChroma, chromaRuns);
  blendRuns(out, outLuma + outChroma + chromaTop, yuv, luma + chroma, alphaChroma, chromaRuns);
}
