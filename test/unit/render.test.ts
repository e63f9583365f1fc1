import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCanvas } from '@napi-rs/canvas';
import { Locales } from '../../src/common/locales';
import { InstructionRenderer, TEXT_BOXES } from '../../src/render/instruction-renderer';
import { VIDEO_SIZES, videoSize } from '../../src/render/instruction-screen';
import { fitText, registerFont } from '../../src/render/text-layout';
import { coverMap, drawMirrored, i420Size } from '../../src/render/i420-compose';
import { lumaStats } from '../support/frame-marker';
import type { I420Frame } from '../../src/common/image';

/** The renderer's default size, which the pixel positions below are written for (the layout's units). */
const VIDEO_WIDTH = 640;
const VIDEO_HEIGHT = 480;
const picture = (data: Uint8Array, width = VIDEO_WIDTH, height = VIDEO_HEIGHT): I420Frame => ({ width, height, data, timestampMs: 0 });

/** Left half dark, right half bright, of any size. */
function halves(width: number, height: number): I420Frame {
  const data = new Uint8Array(width * height * 1.5).fill(128);
  for (let y = 0; y < height; y++) {
    data.fill(60, y * width, y * width + width / 2);
    data.fill(200, y * width + width / 2, (y + 1) * width);
  }
  return { width, height, data, timestampMs: 0 };
}

describe('instruction text layout', () => {
  registerFont();
  const ctx = createCanvas(VIDEO_WIDTH, VIDEO_HEIGHT).getContext('2d');
  const locales = Locales.load();

  for (const lang of ['en', 'es']) {
    for (const [slot, box] of Object.entries(TEXT_BOXES)) {
      it(`should fit every ${lang} string in the ${slot} box without clipping`, () => {
        for (const [key, raw] of Object.entries(locales.table(lang))) {
          const text = raw.replace(/\{(\w+)\}/g, '10');
          const layout = fitText(ctx, text, box);
          const where = `${lang} ${key} in ${slot}`;
          assert.ok(!layout.splitWord, `${where}: a word had to be split`);
          assert.ok(layout.lines.length <= box.maxLines, `${where}: ${layout.lines.length} lines`);
          for (const width of layout.widths) assert.ok(width <= box.width, `${where}: a line is ${width.toFixed(0)} px wide`);
          assert.equal(layout.lines.join(' '), text.split(/\s+/).join(' '), `${where}: text lost`);
        }
      });
    }
  }

  it('should shrink and then wrap a text that is too long for one size', () => {
    const long = 'Gira la cabeza lentamente hacia tu izquierda y luego vuelve al centro, sin prisa, con calma y mirando siempre de frente';
    const layout = fitText(ctx, long, TEXT_BOXES.instruction);
    assert.ok(layout.size < TEXT_BOXES.instruction.maxSize);
    assert.ok(layout.lines.length > 1);
  });

  it('should split a word wider than the box rather than draw past the edge', () => {
    const layout = fitText(ctx, 'x'.repeat(200), TEXT_BOXES.warning);
    assert.ok(layout.splitWord);
    for (const width of layout.widths) assert.ok(width <= TEXT_BOXES.warning.width);
  });
});

describe(InstructionRenderer.name, () => {
  it('should show a waiting screen with its text before the first subject frame', () => {
    const renderer = new InstructionRenderer();
    renderer.setScreen({ phase: 'waiting', text: 'Esperando tu cámara…' });
    const out = picture(renderer.render());
    const corner = lumaStats(out, 0, 0, 60, 60);
    assert.ok(corner.std < 1, 'flat background');
    assert.ok(lumaStats(out, 100, 200, 540, 280).std > 30, 'text in the middle');
  });

  it('should mirror the subject and cover-fit any size into 640x480', () => {
    for (const [w, h] of [
      [640, 480],
      [1280, 720],
      [320, 240],
    ]) {
      const renderer = new InstructionRenderer();
      renderer.setScreen({
        phase: 'challenge',
        text: 'Blink',
        challenge: { index: 1, total: 2, endsAtMs: Date.now() + 5000, progress: 0.5 },
      });
      renderer.setSubjectFrame(halves(w, h));
      const out = picture(renderer.render());
      assert.ok(lumaStats(out, 10, 200, 150, 300).mean > 190, `${w}x${h}: bright half on the left`);
      assert.ok(lumaStats(out, 490, 200, 630, 300).mean < 70, `${w}x${h}: dark half on the right`);
    }
  });

  it('should mirror (and crop) an unscaled frame by reversing rows exactly as the lookup tables do', () => {
    for (const [w, h, outW, outH] of [
      [640, 480, 640, 480],
      [480, 480, 480, 360],
      [640, 640, 480, 360],
    ]) {
      const frame = { width: w, height: h, timestampMs: 0, data: new Uint8Array(i420Size(w, h)).map((_, i) => (i * 7919) % 251) };
      const map = coverMap(w, h, outW, outH);
      assert.equal(map.crop !== undefined, w === outW, `${w}x${h}: unscaled`);
      const fast = new Uint8Array(i420Size(outW, outH));
      const lookup = new Uint8Array(i420Size(outW, outH));
      drawMirrored(frame, map, fast);
      drawMirrored(frame, { ...map, crop: undefined }, lookup);
      assert.ok(Buffer.from(fast).equals(Buffer.from(lookup)), `${w}x${h} into ${outW}x${outH}`);
    }
  });

  it('should cover-fit with the lookup tables sample for sample (packed stores, repeated rows copied)', () => {
    for (const [w, h] of [
      [480, 480],
      [1280, 720],
      [320, 240],
    ]) {
      const frame = { width: w, height: h, timestampMs: 0, data: new Uint8Array(i420Size(w, h)).map((_, i) => (i * 7919) % 251) };
      const map = coverMap(w, h, VIDEO_WIDTH, VIDEO_HEIGHT);
      const out = new Uint8Array(i420Size(VIDEO_WIDTH, VIDEO_HEIGHT));
      drawMirrored(frame, map, out);
      // The plain reading of the tables: out(x, y) = plane(mapX[x], mapY[y]), plane by plane.
      const expected = new Uint8Array(out.length);
      const planes = [
        { src: 0, stride: w, dst: 0, mx: map.lumaX, my: map.lumaY },
        { src: w * h, stride: w >> 1, dst: VIDEO_WIDTH * VIDEO_HEIGHT, mx: map.chromaX, my: map.chromaY },
        { src: w * h * 1.25, stride: w >> 1, dst: VIDEO_WIDTH * VIDEO_HEIGHT * 1.25, mx: map.chromaX, my: map.chromaY },
      ];
      for (const { src, stride, dst, mx, my } of planes) {
        for (let y = 0; y < my.length; y++) {
          for (let x = 0; x < mx.length; x++) expected[dst + y * mx.length + x] = frame.data[src + my[y] * stride + mx[x]];
        }
      }
      assert.ok(Buffer.from(out).equals(Buffer.from(expected)), `${w}x${h}`);
    }
  });

  it('should draw the same picture after any sequence of screens as a fresh renderer does (layers redrawn when they change)', () => {
    const now = 1_000_000;
    const screen = (progress: number, warning?: string, text = 'Sonríe') => ({
      phase: 'challenge' as const,
      text,
      warning,
      challenge: { index: 1, total: 2, endsAtMs: now + 5000 + progress * 3000, progress },
    });
    const frames = [halves(640, 480), halves(480, 480)];
    const renderer = new InstructionRenderer(() => now);
    const steps = [
      { s: { phase: 'waiting' as const, text: 'Esperando' }, frame: undefined },
      { s: screen(0), frame: frames[0] },
      { s: screen(0.3, 'Acércate'), frame: frames[1] },
      { s: screen(0.5), frame: undefined },
      { s: screen(0.5, undefined, 'Parpadea'), frame: frames[0] },
      { s: { phase: 'verified' as const, text: 'Verificado' }, frame: undefined },
      { s: screen(0.9, 'Una sola cara'), frame: frames[1] },
    ];
    let last: I420Frame | undefined;
    for (const [i, { s, frame }] of steps.entries()) {
      if (frame) renderer.setSubjectFrame(frame);
      last = frame ?? last;
      renderer.setScreen(s);
      const fresh = new InstructionRenderer(() => now);
      if (last) fresh.setSubjectFrame(last);
      fresh.setScreen(s);
      assert.ok(Buffer.from(renderer.render()).equals(Buffer.from(fresh.render())), `step ${i}: ${JSON.stringify(s)}`);
    }
  });

  it('should keep showing the subject after the frame was handed on and its buffer detached', () => {
    const renderer = new InstructionRenderer();
    renderer.setScreen({ phase: 'challenge', text: 'Blink' });
    const frame = halves(640, 480);
    renderer.setSubjectFrame(frame);
    structuredClone(frame.data, { transfer: [frame.data.buffer] }); // what handing it to a face worker does
    assert.equal(frame.data.byteLength, 0);
    const out = picture(renderer.render());
    assert.ok(lumaStats(out, 10, 200, 150, 300).mean > 190);
    assert.ok(lumaStats(out, 490, 200, 630, 300).mean < 70);
  });

  it('should draw the instruction, the challenge bar with its progress and a warning, at every video size (scaled)', () => {
    for (const name of VIDEO_SIZES) {
      const size = videoSize(name);
      const renderer = new InstructionRenderer(Date.now, size);
      assert.equal(renderer.width, size.width);
      assert.equal(renderer.height, size.height);
      renderer.setSubjectFrame(halves(640, 480));
      renderer.setScreen({
        phase: 'challenge',
        text: 'Sonríe',
        warning: 'Acércate a la cámara',
        challenge: { index: 2, total: 3, endsAtMs: Date.now() + 7000, progress: 0.5 },
      });
      const data = renderer.render();
      assert.equal(data.length, i420Size(size.width, size.height), name);
      const out = picture(data, size.width, size.height);
      // Positions in the layout's units (640x480 pixels).
      const k = size.width / VIDEO_WIDTH;
      const px = (v: number) => Math.round(v * k);
      const at = (x0: number, y0: number, x1: number, y1: number) => lumaStats(out, px(x0), px(y0), px(x1), px(y1));
      assert.ok(at(10, 200, 150, 300).mean > 190, `${name}: bright half on the left`);
      assert.ok(at(490, 200, 630, 300).mean < 70, `${name}: dark half on the right`);
      assert.ok(at(200, 10, 440, 45).std > 30, `${name}: instruction text`);
      assert.ok(at(60, 360, 580, 400).mean > 120, `${name}: warning box`);
      // Progress 0.5: the bar's bottom edge is filled on the left half only (over the bright mirrored half).
      const filled = at(20, VIDEO_HEIGHT - 6, 300, VIDEO_HEIGHT - 2).mean;
      const empty = at(340, VIDEO_HEIGHT - 6, 620, VIDEO_HEIGHT - 2).mean;
      assert.ok(Math.abs(filled - empty) > 40, `${name}: progress drawn (${filled.toFixed(0)} vs ${empty.toFixed(0)})`);
    }
  });

  it('should count a challenge down from its deadline on every frame, with no new screen shown', () => {
    let now = 0;
    const challenge = (endsAtMs: number) => ({
      phase: 'challenge' as const,
      text: 'Blink',
      challenge: { index: 1, total: 2, endsAtMs, progress: 0 },
    });
    const renderer = new InstructionRenderer(() => now);
    renderer.setScreen(challenge(10_000));
    const at = (ms: number) => {
      now = ms;
      return Buffer.from(renderer.render()); // a copy: the next render reuses the buffer
    };
    const tenLeft = at(0);
    assert.ok(at(400).equals(tenLeft), '9.6 s left still shows 10');
    const sevenLeft = at(3000);
    assert.ok(!sevenLeft.equals(tenLeft), 'the countdown moved without a new screen');
    // The same picture as a screen whose deadline is 7 s away: it shows 7.
    const fresh = new InstructionRenderer(() => 0);
    fresh.setScreen(challenge(7000));
    assert.ok(Buffer.from(fresh.render()).equals(sevenLeft), 'shows 7 s left');
    assert.ok(!at(11_000).equals(sevenLeft), 'past the deadline it shows 0');
  });

  it('should draw the final statuses in different colours', () => {
    const chroma = (phase: 'verified' | 'not_verified') => {
      const renderer = new InstructionRenderer();
      renderer.setSubjectFrame(halves(640, 480));
      renderer.setScreen({ phase, text: phase });
      const data = renderer.render();
      // V sample at the panel's left edge (red is high V, green low).
      const luma = VIDEO_WIDTH * VIDEO_HEIGHT;
      const cw = VIDEO_WIDTH / 2;
      return data[luma + cw * (VIDEO_HEIGHT / 4) + 40 + luma / 4];
    };
    assert.ok(chroma('not_verified') > chroma('verified') + 40);
  });
});
