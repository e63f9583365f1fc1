import type { RawImage } from '../common/image';

/** A point in image pixels. */
export interface Point {
  x: number;
  y: number;
}

/** Where an embedding model wants the eye centres in its square input, as fractions of the side. */
export interface EyeTemplate {
  size: number;
  leftX: number;
  rightX: number;
  eyeY: number;
}

/**
 * Warps `image` so the eye centres land on the template: a similarity transform (rotation, scale, shift) sampled
 * bilinearly; outside the image is black. `left` is the eye on the image's left. Output is RGB, template-sized.
 */
export function alignByEyes(image: RawImage, left: Point, right: Point, template: EyeTemplate): RawImage {
  const { size } = template;
  const dstLeft = { x: template.leftX * size, y: template.eyeY * size };
  const dstDistance = (template.rightX - template.leftX) * size;
  const dx = right.x - left.x;
  const dy = right.y - left.y;
  // Source step per output pixel, along the output's x and y axes.
  const scale = Math.hypot(dx, dy) / dstDistance;
  const cos = (dx / Math.hypot(dx, dy)) * scale;
  const sin = (dy / Math.hypot(dx, dy)) * scale;
  const { width, height, channels, data } = image;
  const out = new Uint8Array(size * size * 3);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const ox = u + 0.5 - dstLeft.x;
      const oy = v + 0.5 - dstLeft.y;
      const sx = left.x + cos * ox - sin * oy - 0.5;
      const sy = left.y + sin * ox + cos * oy - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (v * size + u) * 3;
      for (let c = 0; c < 3; c++) {
        const at = (x: number, y: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : data[(y * width + x) * channels + c]);
        const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
        const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
        out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width: size, height: size, channels: 3, data: out };
}
