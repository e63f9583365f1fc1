/**
 * Accuracy of the passive PAD scorer on every attack and bona fide item of the shared fixtures: BlazeFace box →
 * scorer at PAD_FPS, frames without exactly one face skipped, 2-second windows as the flow builds them; per item
 * the score distribution, then APCER/BPCER per attack type / bona fide kind, per frame and per window, at
 * PAD_THRESHOLD; the clips again after VP8 at 300 kbit/s (temp file, deleted). Writes the tables into docs/pad.md
 * between the eval markers and prints one JSON line per item. `--model <file>`: that model alone (not the fused
 * pair the service runs), tables printed instead of written.
 * Usage: npm run eval:pad [-- --model 2.7_80x80_MiniFASNetV2.onnx]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/app-config';
import { addScore, closeOpenWindow, EMPTY_PAD_TRACE, type ScoredFrame } from '../src/pad/pad-policy';
import { PAD_MODELS, PAD_MODELS_DIR, PadScorer } from '../src/pad/pad-scorer';
import { BlazeFace } from '../test/support/blazeface';
import { scoreMedia } from '../test/support/pad-media';
import { median } from '../test/support/video-frames';
import { fixturesDir } from '../test/support/fixtures';

/** Attack types (APCER is per type) and bona fide kinds (BPCER per kind). */
type Label =
  | { attack: 'print' | 'tablet replay' | 'phone replay' | 'screen replay' | 'screen replay, tight crop' }
  | { bonafide: 'live capture' | 'web video' | 'photo' | 'live capture, tight crop' };

interface Item {
  file: string;
  label: Label;
  /** Seconds of the clip that show the attack (LABELS.md); frames outside are not counted. */
  segment?: [number, number];
}

function items(): Item[] {
  const f = fixturesDir();
  const a = (n: string) => join(f, 'attacks', n);
  const dir = (d: string) => readdirSync(d).map((n) => join(d, n));
  const liveClips = ['blink_webcam_viet281101.webm', 'headturn_webcam_zubair_real.webm'];
  return [
    { file: a('images/silentface_image_F1_print_attack.jpg'), label: { attack: 'print' } },
    { file: a('images/silentface_image_F2_tablet_replay.jpg'), label: { attack: 'tablet replay' } },
    { file: a('images/frame_zubair_fake_t4.0s_phone_replay.jpg'), label: { attack: 'phone replay' } },
    // 0–1.5 s is the live man beside the phone, 9–10.5 s a dark screen.
    { file: a('videos/replay_phone_zubair_fake.webm'), label: { attack: 'phone replay' }, segment: [1.5, 8.5] },
    { file: a('images/frame_manikantha_fake_t5.5s_screen_replay.jpg'), label: { attack: 'screen replay' } },
    { file: a('videos/replay_screen_manikantha_fake.mp4'), label: { attack: 'screen replay' } },
    // Tight face crops leave no context for the 2.7x/4x crops: outside what a call delivers, reported apart.
    ...dir(a('images/manikantha_crops/fake')).map((file): Item => ({ file, label: { attack: 'screen replay, tight crop' } })),
    { file: a('images/silentface_image_T1_real.jpg'), label: { bonafide: 'live capture' } },
    { file: a('images/frame_zubair_real_t1.0s_bonafide.jpg'), label: { bonafide: 'live capture' } },
    ...dir(a('images/manikantha_crops/real')).map((file): Item => ({ file, label: { bonafide: 'live capture, tight crop' } })),
    ...liveClips.map((n): Item => ({ file: join(f, 'videos', n), label: { bonafide: 'live capture' } })),
    ...dir(join(f, 'videos'))
      .filter((p) => !/\.(md)$/.test(p) && !p.endsWith('.h264.mp4') && !liveClips.includes(basename(p)))
      .map((file): Item => ({ file, label: { bonafide: 'web video' } })),
    ...readdirSync(join(f, 'faces'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => dir(join(f, 'faces', d.name)).map((file): Item => ({ file, label: { bonafide: 'photo' } }))),
  ];
}

const isVideo = (file: string) => /\.(webm|mp4|avi)$/.test(file);

/** The clip as the call would deliver it: VP8 at 300 kbit/s in real-time mode (as WebRTC encodes), at most 640 px wide. */
function vp8(file: string, dir: string): string {
  const out = join(dir, `${basename(file)}.vp8.webm`);
  const args = ['-v', 'error', '-y', '-i', file, '-an', '-vf', "scale='min(640,iw)':-2", '-c:v', 'libvpx', '-b:v', '300k'];
  execFileSync('ffmpeg', [...args, '-deadline', 'realtime', '-cpu-used', '8', out]);
  return out;
}

interface Result {
  item: Item;
  variant: 'original' | 'vp8_300k';
  frames: number[];
  windows: number[];
}

const q = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.floor(p * (v.length - 1))];
const f3 = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(3));
const pct = (num: number, den: number) => (den === 0 ? '–' : `${((100 * num) / den).toFixed(1)} % (${num}/${den})`);

function windowsOf(scored: ScoredFrame[], threshold: number): number[] {
  const trace = closeOpenWindow(
    scored.reduce((t, s) => addScore(t, s, threshold), EMPTY_PAD_TRACE),
    threshold,
    Infinity,
  );
  return trace.windows.map((w) => w.mean);
}

async function main(): Promise<void> {
  const { PAD_THRESHOLD: threshold, PAD_FPS: fps } = loadConfig().pad;
  const { values } = parseArgs({ options: { model: { type: 'string' } } });
  const models = values.model === undefined ? PAD_MODELS : PAD_MODELS.filter((m) => m.file === values.model);
  if (models.length === 0) throw new Error(`--model: one of ${PAD_MODELS.map((m) => m.file).join(', ')}`);
  const detector = await BlazeFace.load();
  const scorer = await PadScorer.load(PAD_MODELS_DIR, models);
  const tmp = mkdtempSync(join(tmpdir(), 'eval-pad-'));
  const results: Result[] = [];
  try {
    for (const item of items()) {
      const variants: [Result['variant'], string][] = [['original', item.file]];
      if (isVideo(item.file)) variants.push(['vp8_300k', vp8(item.file, tmp)]);
      for (const [variant, file] of variants) {
        const [from, to] = (item.segment ?? [0, Infinity]).map((s) => s * 1000);
        const scored = (await scoreMedia(file, fps, detector, scorer)).filter((s) => s.timestampMs >= from && s.timestampMs < to);
        if (variant === 'vp8_300k') rmSync(file);
        const frames = scored.map((s) => s.score);
        const result: Result = { item, variant, frames, windows: windowsOf(scored, threshold) };
        results.push(result);
        console.log(
          JSON.stringify({
            file: relative(fixturesDir(), item.file),
            variant,
            ...item.label,
            frames_scored: frames.length,
            score_median: frames.length ? Number(median(frames).toFixed(4)) : null,
            window_min: result.windows.length ? Number(Math.min(...result.windows).toFixed(4)) : null,
          }),
        );
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await Promise.all([detector.close(), scorer.close()]);
  }
  const tables = evalTables(results, threshold, fps);
  if (values.model === undefined) writeDoc(tables);
  else console.log(`${values.model} alone:\n${tables}`);
}

function evalTables(results: Result[], threshold: number, fps: number): string {
  const lines: string[] = [];
  lines.push(
    `Threshold ${threshold} (PAD_THRESHOLD), ${fps} scored frames/s, 2-s windows of ≥ 3 scored frames. Generated by \`npm run eval:pad\`.`,
    '',
  );
  lines.push(
    '### Per item',
    '',
    '| item | kind | variant | frames scored | min | p10 | median | p90 | max | windows | window min | window max |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const grouped = new Map<string, Result[]>();
  for (const r of results) {
    // Sets of single-frame images (the 30 + 31 crops, the face photos) are one row each: their spread is the distribution.
    const crops = /manikantha_crops\/(fake|real)\//.exec(r.item.file);
    const photo = 'bonafide' in r.item.label && r.item.label.bonafide === 'photo';
    const key = crops
      ? `attacks/images/manikantha_crops/${crops[1]}/*.png`
      : photo
        ? 'faces/*/*.jpg'
        : relative(fixturesDir(), r.item.file);
    grouped.set(`${key}|${r.variant}`, [...(grouped.get(`${key}|${r.variant}`) ?? []), r]);
  }
  for (const [key, rs] of grouped) {
    const [name, variant] = key.split('|');
    const frames = rs.flatMap((r) => r.frames);
    const windows = rs.flatMap((r) => r.windows);
    const kind = 'attack' in rs[0].item.label ? rs[0].item.label.attack : rs[0].item.label.bonafide;
    const stat = (p: number) => (frames.length ? f3(q(frames, p)) : '–');
    lines.push(
      `| ${name} | ${kind} | ${variant} | ${frames.length} | ${stat(0)} | ${stat(0.1)} | ${stat(0.5)} | ${stat(0.9)} | ${stat(1)} | ${windows.length} | ${windows.length ? f3(Math.min(...windows)) : '–'} | ${windows.length ? f3(Math.max(...windows)) : '–'} |`,
    );
  }
  lines.push('', `### Error rates at threshold ${threshold}`, '');
  lines.push('APCER: attack frames/windows scored ≥ threshold (passed as live). BPCER: bona fide frames/windows scored < threshold.', '');
  lines.push('| class | variant | per frame | per 2-s window |', '|---|---|---|---|');
  const kinds = new Map<string, Result[]>();
  for (const r of results) {
    const k = 'attack' in r.item.label ? `APCER ${r.item.label.attack}` : `BPCER ${r.item.label.bonafide}`;
    kinds.set(`${k}|${r.variant}`, [...(kinds.get(`${k}|${r.variant}`) ?? []), r]);
  }
  for (const [key, rs] of [...kinds].sort(([a], [b]) => a.localeCompare(b))) {
    const [name, variant] = key.split('|');
    const attack = name.startsWith('APCER');
    const wrong = (v: number) => (attack ? v >= threshold : v < threshold);
    const frames = rs.flatMap((r) => r.frames);
    const windows = rs.flatMap((r) => r.windows);
    lines.push(
      `| ${name} | ${variant} | ${pct(frames.filter(wrong).length, frames.length)} | ${pct(windows.filter(wrong).length, windows.length)} |`,
    );
  }
  return lines.join('\n');
}

function writeDoc(tables: string): void {
  const doc = join(__dirname, '..', '..', 'docs', 'pad.md');
  const text = readFileSync(doc, 'utf8');
  const begin = '<!-- eval:pad -->';
  const end = '<!-- /eval:pad -->';
  const [head, rest] = text.split(begin);
  if (rest === undefined || !rest.includes(end)) throw new Error(`${doc} lacks the ${begin} … ${end} markers`);
  writeFileSync(doc, `${head}${begin}\n${tables}\n${end}${rest.split(end)[1]}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
