import { GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import { join } from 'node:path';

/** The shipped font (DejaVu Sans Bold, see assets/fonts/DejaVu-LICENSE.txt); covers Latin accents and ñ. */
export const FONT_FILE = join(__dirname, '..', '..', '..', 'assets', 'fonts', 'DejaVuSans-Bold.ttf');
/** The family name the renderer draws with; registered once per process. */
export const FONT_FAMILY = 'VisionSans';

let registered = false;

/** Registers the shipped font with Skia; throws when the file is missing (a broken install, not a runtime case). */
export function registerFont(): void {
  if (registered) return;
  if (!GlobalFonts.registerFromPath(FONT_FILE, FONT_FAMILY)) throw new Error(`cannot load the font ${FONT_FILE}`);
  registered = true;
}

/** CSS font string of the renderer at `size` px. */
export function fontOf(size: number): string {
  return `${size}px ${FONT_FAMILY}`;
}

/** Where a text must fit. */
export interface TextBox {
  width: number;
  maxLines: number;
  maxSize: number;
  minSize: number;
}

/** A text broken into lines at one font size; `widths` are the measured line widths. */
export interface TextLayout {
  size: number;
  lines: string[];
  widths: number[];
  /** True when even the smallest size needed a word split across lines. */
  splitWord: boolean;
}

/** Greedy word wrap at the context's current font; words wider than the box are split by characters. */
function wrap(ctx: SKRSContext2D, text: string, width: number): { lines: string[]; splitWord: boolean } {
  const lines: string[] = [];
  let splitWord = false;
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (ctx.measureText(candidate).width <= width) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    line = word;
    while (ctx.measureText(line).width > width) {
      splitWord = true;
      let cut = line.length - 1;
      while (cut > 1 && ctx.measureText(line.slice(0, cut)).width > width) cut--;
      lines.push(line.slice(0, cut));
      line = line.slice(cut);
    }
  }
  if (line !== '') lines.push(line);
  return { lines, splitWord };
}

/**
 * The largest size (from maxSize down to minSize, step 2 px) at which `text` wraps into at most maxLines lines
 * without splitting a word; at minSize the text is wrapped anyway, and the caller's box grows by the extra lines.
 */
export function fitText(ctx: SKRSContext2D, text: string, box: TextBox): TextLayout {
  for (let size = box.maxSize; ; size -= 2) {
    const last = size - 2 < box.minSize;
    ctx.font = fontOf(size);
    const { lines, splitWord } = wrap(ctx, text, box.width);
    if (last || (lines.length <= box.maxLines && !splitWord)) {
      return { size, lines, widths: lines.map((l) => ctx.measureText(l).width), splitWord };
    }
  }
}
