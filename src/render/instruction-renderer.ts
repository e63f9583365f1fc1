import { Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { I420Frame } from '../common/image';
import { blendOverlay, coverMap, CoverMap, drawMirrored, fillI420, i420Size, I420Overlay, overlayFromRgba } from './i420-compose';
import { type InstructionScreen, type VideoSize, videoSize } from './instruction-screen';
import { fitText, fontOf, registerFont, TextBox, TextLayout } from './text-layout';

/**
 * The layout's units: everything is drawn as on a 640x480 picture and scaled to the video's size, so text wraps
 * the same way at every size (the unit tests check every locale string fits its box in these units).
 */
const LAYOUT_WIDTH = 640;
const LAYOUT_HEIGHT = 480;

const MARGIN = 24;

/** Where each kind of text goes; the unit tests check every locale string fits its box. */
export const TEXT_BOXES = {
  /** The instruction band across the top. */
  instruction: { width: LAYOUT_WIDTH - 2 * MARGIN, maxLines: 3, maxSize: 30, minSize: 18 },
  /** The warning above the bottom bar. */
  warning: { width: LAYOUT_WIDTH - 4 * MARGIN, maxLines: 2, maxSize: 24, minSize: 16 },
  /** The centred status panel (waiting, please wait, verified, not verified). */
  status: { width: LAYOUT_WIDTH - 6 * MARGIN, maxLines: 4, maxSize: 34, minSize: 20 },
} satisfies Record<string, TextBox>;

/** Height of the bottom bar with challenge i/N, countdown and progress. */
const BAR_HEIGHT = 56;
/** Height of the progress strip along the bar's bottom edge. */
const PROGRESS_HEIGHT = 8;
const LINE_SPACING = 1.25;

const COLORS = {
  band: 'rgba(0, 0, 0, 0.55)',
  text: '#ffffff',
  outline: '#000000',
  warning: 'rgba(255, 176, 32, 0.92)',
  warningText: '#1a1a1a',
  guide: 'rgba(255, 255, 255, 0.85)',
  progress: '#3ddc84',
  processing: 'rgba(20, 30, 45, 0.8)',
  verified: 'rgba(26, 140, 70, 0.88)',
  notVerified: 'rgba(190, 40, 40, 0.88)',
} as const;

/** A challenge as drawn: its seconds left at the moment of drawing, progress in 2 % steps. */
interface DrawnChallenge {
  index: number;
  total: number;
  secondsLeft: number;
  progress: number;
}

/** Outlined text lines, centred on `centerX`, first baseline after `top`; returns the block's bottom. */
function drawLines(ctx: SKRSContext2D, layout: TextLayout, centerX: number, top: number, fill: string, outline?: string): number {
  ctx.font = fontOf(layout.size);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.lineJoin = 'round';
  const lineHeight = Math.round(layout.size * LINE_SPACING);
  layout.lines.forEach((line, i) => {
    const y = top + i * lineHeight;
    if (outline) {
      ctx.lineWidth = Math.max(3, layout.size / 6);
      ctx.strokeStyle = outline;
      ctx.strokeText(line, centerX, y);
    }
    ctx.fillStyle = fill;
    ctx.fillText(line, centerX, y);
  });
  return top + layout.lines.length * lineHeight;
}

function blockHeight(layout: TextLayout): number {
  return layout.lines.length * Math.round(layout.size * LINE_SPACING);
}

function roundedRect(ctx: SKRSContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
  ctx.fill();
}

/**
 * One layer of the overlay: a full-width band of the picture (`top`, `height` in pixels of the video), drawn on
 * its own canvas in layout units and converted for blending only when its key (what it shows) changes.
 */
class OverlayLayer {
  readonly ctx: SKRSContext2D;
  private key?: string;
  overlay?: I420Overlay;

  constructor(
    private readonly width: number,
    readonly top: number,
    readonly height: number,
  ) {
    this.ctx = new Canvas(width, height).getContext('2d');
    const scale = width / LAYOUT_WIDTH;
    this.ctx.scale(scale, scale);
  }

  /** Redraws with `draw` when `key` differs from the last one (undefined: the layer shows nothing); true if it did. */
  update(key: string | undefined, draw: (ctx: SKRSContext2D) => void): boolean {
    if (key === this.key) return false;
    this.key = key;
    if (key === undefined) {
      this.overlay = undefined;
      return true;
    }
    this.ctx.clearRect(0, 0, LAYOUT_WIDTH, LAYOUT_HEIGHT);
    draw(this.ctx);
    const { data } = this.ctx.getImageData(0, 0, this.width, this.height);
    this.overlay = overlayFromRgba(data, this.width, this.height, this.top, this.overlay);
    return true;
  }
}

/**
 * Draws the outgoing instruction video: the subject's latest frame mirrored (or a waiting screen before it),
 * with the instruction, challenge i/N, countdown, progress, warning, a face-position guide and final statuses,
 * at `size` (default 640x480). One per room connection; not thread-safe, not shared. The countdown comes from the screen's deadline and
 * `now` at every render, so it keeps running when nothing new is shown.
 *
 * Per picture it does only what changed: the background is mirrored again only when a new subject frame came,
 * and the overlay is three layers, each redrawn only when what it shows changes: the screen (guide, texts;
 * changes with the screen), the challenge bar (i/N, countdown; every second) and the progress strip under it
 * (every 2 % of progress, 8 layout rows). The bar is below everything else, so the layers never overlap.
 */
export class InstructionRenderer {
  readonly width: number;
  readonly height: number;
  private readonly screenLayer: OverlayLayer;
  private readonly barLayer: OverlayLayer;
  private readonly progressLayer: OverlayLayer;
  /** The background: the mirrored subject, or the waiting screen's colour. */
  private readonly background: Uint8Array;
  private readonly out: Uint8Array;
  private screen: InstructionScreen = { phase: 'waiting', text: '' };
  private subject?: I420Frame;
  private subjectCopy?: Uint8Array;
  /** A subject frame came since the background was drawn (or none was drawn yet). */
  private backgroundStale = true;
  private map?: CoverMap;

  constructor(
    private readonly now: () => number = Date.now,
    size: VideoSize = videoSize('640x480'),
  ) {
    registerFont();
    ({ width: this.width, height: this.height } = size);
    // Band heights in pixels, even: chroma rows cover two luma rows, so a layer must start on an even row.
    const rows = (layoutRows: number) => 2 * Math.round((layoutRows * this.width) / LAYOUT_WIDTH / 2);
    const bar = rows(BAR_HEIGHT);
    const progress = rows(PROGRESS_HEIGHT);
    this.screenLayer = new OverlayLayer(this.width, 0, this.height);
    this.barLayer = new OverlayLayer(this.width, this.height - bar, bar - progress);
    this.progressLayer = new OverlayLayer(this.width, this.height - progress, progress);
    this.background = new Uint8Array(i420Size(this.width, this.height));
    this.out = new Uint8Array(i420Size(this.width, this.height));
  }

  /** What to show from now on. Cheap to call often: the overlay is redrawn only when what it shows changes. */
  setScreen(screen: InstructionScreen): void {
    this.screen = screen;
  }

  /** The subject's newest frame, shown mirrored as the background. */
  setSubjectFrame(frame: I420Frame): void {
    // A copy: the same frame goes on to the face engine, which may transfer (detach) its buffer to a worker.
    if (this.subjectCopy?.length !== frame.data.length) this.subjectCopy = new Uint8Array(frame.data.length);
    this.subjectCopy.set(frame.data);
    this.subject = { ...frame, data: this.subjectCopy };
    this.backgroundStale = true;
  }

  /** One output picture (width x height I420). The buffer is reused by the next call. */
  render(): Uint8Array {
    const changed = [this.drawBackground(), this.updateLayers()].some(Boolean);
    if (changed) {
      this.out.set(this.background);
      for (const layer of [this.screenLayer, this.barLayer, this.progressLayer])
        if (layer.overlay) blendOverlay(this.out, this.height, layer.overlay);
    }
    return this.out;
  }

  /** Draws the background if a new subject frame came; true if it did. */
  private drawBackground(): boolean {
    if (!this.backgroundStale) return false;
    this.backgroundStale = false;
    const subject = this.subject;
    if (!subject) {
      fillI420(this.background, this.width, this.height, 40, 140, 120); // dark slate blue
      return true;
    }
    if (!this.map || this.map.srcWidth !== subject.width || this.map.srcHeight !== subject.height) {
      this.map = coverMap(subject.width, subject.height, this.width, this.height);
    }
    drawMirrored(subject, this.map, this.background);
    return true;
  }

  /** Brings both layers up to the screen and the clock; true if either was redrawn. */
  private updateLayers(): boolean {
    const s = this.screen;
    // Progress moves every frame; 2 % steps are smooth enough and keep redraws rare (seconds change once a second).
    const c = s.phase === 'instructing' || s.phase === 'challenge' ? s.challenge : undefined;
    const challenge: DrawnChallenge | undefined = c && {
      index: c.index,
      total: c.total,
      secondsLeft: Math.max(0, Math.ceil((c.endsAtMs - this.now()) / 1000)),
      progress: Math.round(Math.min(1, Math.max(0, c.progress)) * 50) / 50,
    };
    const screenKey = JSON.stringify([s.phase, s.text, s.warning, challenge !== undefined, this.subject === undefined]);
    const screenChanged = this.screenLayer.update(screenKey, (ctx) => this.drawScreen(ctx, s, challenge !== undefined));
    const barKey = challenge && `${challenge.index}/${challenge.total} ${challenge.secondsLeft}`;
    const barChanged = this.barLayer.update(barKey, (ctx) => drawChallengeBar(ctx, challenge!));
    const progressChanged = this.progressLayer.update(challenge && String(challenge.progress), (ctx) =>
      drawProgress(ctx, challenge!.progress),
    );
    return screenChanged || barChanged || progressChanged;
  }

  private drawScreen(ctx: SKRSContext2D, screen: InstructionScreen, withBar: boolean): void {
    switch (screen.phase) {
      case 'waiting':
        drawGuide(ctx);
        drawStatus(ctx, screen.text, this.subject ? COLORS.processing : undefined);
        break;
      case 'instructing':
      case 'challenge':
      case 'look_at_camera':
        drawGuide(ctx);
        drawInstruction(ctx, screen.text);
        if (screen.warning) drawWarning(ctx, screen.warning, withBar ? BAR_HEIGHT : 0);
        break;
      case 'processing':
        drawStatus(ctx, screen.text, COLORS.processing);
        break;
      case 'verified':
        drawStatus(ctx, screen.text, COLORS.verified);
        break;
      case 'not_verified':
        drawStatus(ctx, screen.text, COLORS.notVerified);
        break;
    }
  }
}

/** Dashed oval where the face should be. */
function drawGuide(ctx: SKRSContext2D): void {
  ctx.save();
  ctx.strokeStyle = COLORS.guide;
  ctx.lineWidth = 4;
  ctx.setLineDash([14, 10]);
  ctx.beginPath();
  ctx.ellipse(LAYOUT_WIDTH / 2, LAYOUT_HEIGHT / 2 + 20, 115, 150, 0, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}

function drawInstruction(ctx: SKRSContext2D, text: string): void {
  const layout = fitText(ctx, text, TEXT_BOXES.instruction);
  ctx.fillStyle = COLORS.band;
  ctx.fillRect(0, 0, LAYOUT_WIDTH, blockHeight(layout) + 24);
  drawLines(ctx, layout, LAYOUT_WIDTH / 2, 12, COLORS.text, COLORS.outline);
}

function drawWarning(ctx: SKRSContext2D, text: string, bottomInset: number): void {
  const layout = fitText(ctx, text, TEXT_BOXES.warning);
  const height = blockHeight(layout) + 16;
  const top = LAYOUT_HEIGHT - bottomInset - 12 - height;
  ctx.fillStyle = COLORS.warning;
  roundedRect(ctx, MARGIN, top, LAYOUT_WIDTH - 2 * MARGIN, height, 12);
  drawLines(ctx, layout, LAYOUT_WIDTH / 2, top + 8, COLORS.warningText);
}

/** The bottom bar above the progress strip, on its own layer (y = 0 at the bar's top). */
function drawChallengeBar(ctx: SKRSContext2D, challenge: DrawnChallenge): void {
  ctx.fillStyle = COLORS.band;
  ctx.fillRect(0, 0, LAYOUT_WIDTH, BAR_HEIGHT - PROGRESS_HEIGHT);
  ctx.font = fontOf(26);
  ctx.textBaseline = 'middle';
  ctx.fillStyle = COLORS.text;
  ctx.textAlign = 'left';
  ctx.fillText(`${challenge.index}/${challenge.total}`, MARGIN, BAR_HEIGHT / 2 - 4);
  // Countdown in a ring at the right.
  const cx = LAYOUT_WIDTH - MARGIN - 20;
  const cy = BAR_HEIGHT / 2 - 4;
  ctx.strokeStyle = COLORS.text;
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.arc(cx, cy, 20, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.textAlign = 'center';
  ctx.font = fontOf(20);
  ctx.fillText(String(challenge.secondsLeft), cx, cy);
}

/** The progress strip along the bar's bottom edge, on its own layer: the bar's band, filled from the left. */
function drawProgress(ctx: SKRSContext2D, progress: number): void {
  ctx.fillStyle = COLORS.band;
  ctx.fillRect(0, 0, LAYOUT_WIDTH, PROGRESS_HEIGHT);
  ctx.fillStyle = COLORS.progress;
  ctx.fillRect(0, 0, Math.round(LAYOUT_WIDTH * progress), PROGRESS_HEIGHT);
}

/** A centred panel with the status text; without `panel`, outlined text on the background. */
function drawStatus(ctx: SKRSContext2D, text: string, panel?: string): void {
  const layout = fitText(ctx, text, TEXT_BOXES.status);
  const height = blockHeight(layout) + 40;
  const top = Math.round((LAYOUT_HEIGHT - height) / 2);
  if (panel) {
    ctx.fillStyle = panel;
    roundedRect(ctx, 2 * MARGIN, top, LAYOUT_WIDTH - 4 * MARGIN, height, 18);
  }
  drawLines(ctx, layout, LAYOUT_WIDTH / 2, top + 20, COLORS.text, COLORS.outline);
}
