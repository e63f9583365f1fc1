/**
 * Runs the face engine (mediapipe: ONNX in worker threads) and its reference (tasks-vision: MediaPipe's own
 * FaceLandmarker in headless Chromium) on the same labelled fixture clips in one run and
 * writes the comparison between the markers of docs/face-engines.md: for every labelled event, which engine's
 * challenge plugin detects it and when; then speed, CPU and memory on the same frames of one clip. Prints one
 * JSON line per engine (speed) and per event.
 * Usage: npm run compare:engines -- [--fps 10] [--no-write]
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_CHALLENGES } from '../challenges';
import type { I420Frame } from '../src/common/image';
import type { FaceAnalysisPort } from '../src/face/face-analysis.port';
import { createNamedFaceEngine } from '../src/adapters';
import { TasksVisionFaceEngine } from '../test/support/tasks-vision/tasks-vision-face.engine';
import { fixturesDir, REPO_ROOT } from '../test/support/fixtures';
import { replayChallenge } from '../test/traces/trace';
import { analyzeClip, median, videoFrames } from '../test/support/video-frames';

/** In run order: RSS is the process's, so the lighter in-process engine goes first. */
const ENGINES = ['mediapipe', 'tasks-vision'] as const;
type EngineName = (typeof ENGINES)[number];
type Engine = FaceAnalysisPort & { close(): Promise<void>; chromiumPid?: number };

/** A labelled event of ../shared/fixtures/videos/LABELS.md and the challenge that should (or must not) see it. */
interface LabelledEvent {
  clip: string;
  challenge: string;
  /** Window of the clip fed to the plugin, seconds. */
  from: number;
  to: number;
  label: string;
  /** false: the plugin must not pass here (a wink is no blink, talking is no smile). */
  expected: boolean;
}

const EVENTS: LabelledEvent[] = [
  {
    clip: 'blink_webcam_viet281101.h264.mp4',
    challenge: 'blink',
    from: 0,
    to: 10,
    label: 'blinks at 2.9–3.1, 3.4–3.5, 4.8–4.9 …',
    expected: true,
  },
  {
    clip: 'liveportrait_d18.mp4',
    challenge: 'open-close-mouth',
    from: 0,
    to: 7.2,
    label: 'mouth open 2.0–2.5, shout 4.0–4.5',
    expected: true,
  },
  { clip: 'liveportrait_d18.mp4', challenge: 'blink', from: 0, to: 7.2, label: 'eyes closed ≈3.0 and ≈6.0', expected: true },
  { clip: 'liveportrait_d18.mp4', challenge: 'smile', from: 0, to: 7.2, label: 'shouting with teeth 4.0–4.5 (no smile)', expected: false },
  { clip: 'liveportrait_d0.mp4', challenge: 'smile', from: 0, to: 3.1, label: 'big smile 1.0–2.0', expected: true },
  { clip: 'liveportrait_d19.mp4', challenge: 'smile', from: 4, to: 8.4, label: 'smiles ≈5.5, 6.5, 7.5–8.3', expected: true },
  { clip: 'liveportrait_d3.mp4', challenge: 'blink', from: 0, to: 1.5, label: 'one-eye wink 0–1.5 (no blink)', expected: false },
  { clip: 'liveportrait_d3.mp4', challenge: 'look-down', from: 1, to: 3.5, label: 'looking down 2–3', expected: true },
  {
    clip: 'liveportrait_d3.mp4',
    challenge: 'open-close-mouth',
    from: 9,
    to: 11.8,
    label: 'surprised, mouth wide open 10–11.5',
    expected: true,
  },
  { clip: 'liveportrait_d10.mp4', challenge: 'open-close-mouth', from: 1.5, to: 4.5, label: 'mouth wide open 2.5–3.5', expected: true },
  { clip: 'liveportrait_d6.mp4', challenge: 'open-close-mouth', from: 0, to: 6, label: 'mouth open ~1.5 and 4', expected: true },
  {
    clip: 'headturn_webcam_zubair_real.h264.mp4',
    challenge: 'turn-head-right',
    from: 6,
    to: 8.8,
    label: 'turn to own right 7–8.5',
    expected: true,
  },
  {
    clip: 'headturn_webcam_zubair_real.h264.mp4',
    challenge: 'turn-head-left',
    from: 6,
    to: 8.8,
    label: 'turn to own right 7–8.5 (not left)',
    expected: false,
  },
  {
    clip: 'headturn_webcam_zubair_real.h264.mp4',
    challenge: 'turn-head-left',
    from: 8.8,
    to: 12,
    label: 'turn to own left 9.5–11',
    expected: true,
  },
  {
    clip: 'headturn_webcam_zubair_real.h264.mp4',
    challenge: 'tilt-head-left',
    from: 4.5,
    to: 6,
    label: 'tilt to own left 5.1–5.9',
    expected: true,
  },
  {
    clip: 'headturn_webcam_zubair_real.h264.mp4',
    challenge: 'tilt-head-right',
    from: 6,
    to: 6.8,
    label: 'tilt to own right 6.2–6.7',
    expected: true,
  },
  {
    clip: 'headturn_webcam_zubair_real.h264.mp4',
    challenge: 'tilt-head-left',
    from: 6,
    to: 6.8,
    label: 'tilt to own right 6.2–6.7 (not left)',
    expected: false,
  },
  {
    clip: 'headturn_webcam_zubair_real.h264.mp4',
    challenge: 'look-eyes-right',
    from: 6.8,
    to: 12,
    label: 'head turns 7–11 (not the eyes alone)',
    expected: false,
  },
  {
    clip: 'liveportrait_d0.mp4',
    challenge: 'look-eyes-left',
    from: 0,
    to: 1.15,
    label: 'glance to own left 0.47–1.07, head still',
    expected: true,
  },
  {
    clip: 'liveportrait_d0.mp4',
    challenge: 'look-eyes-right',
    from: 0,
    to: 1.15,
    label: 'glance to own left 0.47–1.07 (not right)',
    expected: false,
  },
  { clip: 'liveportrait_d10.mp4', challenge: 'look-eyes-right', from: 7, to: 8.5, label: 'glance to own right 7.5–8.3', expected: true },
  { clip: 'liveportrait_d10.mp4', challenge: 'look-eyes-left', from: 7, to: 9.5, label: 'glance to own left 8.4–9.3', expected: true },
  { clip: 'tpsmm_driving.mp4', challenge: 'smile', from: 4.5, to: 6.8, label: 'smile 6–6.5', expected: true },
  ...['tilt-head-left', 'tilt-head-right'].map((challenge) => ({
    clip: 'tpsmm_driving.mp4',
    challenge,
    from: 0,
    to: 6.8,
    label: 'talking, head tilts ≈ 18° (no tilt asked)',
    expected: false,
  })),
  { clip: 'retalking_face_5.mp4', challenge: 'smile', from: 0, to: 4.9, label: 'talking, smile at the end', expected: true },
  ...['retalking_face_1.mp4', 'retalking_face_2.mp4', 'retalking_face_4.mp4'].flatMap((clip) => [
    { clip, challenge: 'smile', from: 0, to: 7, label: 'talking to camera (no smile asked)', expected: false },
    { clip, challenge: 'open-close-mouth', from: 0, to: 7, label: 'talking to camera (no open-close asked)', expected: false },
  ]),
];

function createEngine(name: EngineName): Engine {
  return name === 'tasks-vision'
    ? TasksVisionFaceEngine.create({ chromiumPath: '/usr/bin/chromium' })
    : createNamedFaceEngine(name, { workers: 1 });
}

/** A process and its descendants, from /proc: CPU seconds used and resident memory. */
function processTree(root: number): { cpuS: number; rssMb: number } {
  const tick = 100; // USER_HZ on Linux
  const stats = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        return [{ pid: Number(pid), ppid: Number(fields[1]), cpuS: (Number(fields[11]) + Number(fields[12])) / tick, rssKb }];
      } catch {
        return []; // exited meanwhile
      }
    });
  const inTree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const s of stats) if (!inTree.has(s.pid) && inTree.has(s.ppid)) grew = inTree.add(s.pid).size > 0;
  }
  const mine = stats.filter((s) => inTree.has(s.pid));
  return { cpuS: mine.reduce((a, s) => a + s.cpuS, 0), rssMb: mine.reduce((a, s) => a + s.rssKb, 0) / 1024 };
}

/** Round trip per frame, CPU per frame (service process plus Chromium) and RSS on 150 frames of the blink clip. */
async function speed(name: EngineName, frames: I420Frame[]): Promise<Record<string, unknown>> {
  const engine = createEngine(name);
  try {
    await engine.ready();
    for (const frame of frames.slice(0, 10)) await engine.analyze({ ...frame, data: frame.data.slice() }, 'speed');
    const cpu0 = process.cpuUsage();
    const chrome0 = engine.chromiumPid ? processTree(engine.chromiumPid).cpuS : 0;
    const ms: number[] = [];
    const started = performance.now();
    for (const frame of frames) {
      const t = performance.now();
      await engine.analyze({ ...frame, data: frame.data.slice() }, 'speed');
      ms.push(performance.now() - t);
    }
    const wallS = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const chrome = engine.chromiumPid ? processTree(engine.chromiumPid) : { cpuS: chrome0, rssMb: 0 };
    const cpuS = (cpu.user + cpu.system) / 1e6 + (chrome.cpuS - chrome0);
    const sorted = [...ms].sort((a, b) => a - b);
    return {
      engine: name,
      ms_per_frame_median: Number(median(ms).toFixed(1)),
      ms_per_frame_p95: Number(sorted[Math.floor(sorted.length * 0.95)].toFixed(1)),
      cpu_ms_per_frame: Number(((cpuS * 1000) / frames.length).toFixed(1)),
      cores_busy: Number((cpuS / wallS).toFixed(2)),
      rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20 + chrome.rssMb),
      frames: frames.length,
      size: `${frames[0].width}x${frames[0].height}`,
    };
  } finally {
    await engine.close();
  }
}

interface Outcome {
  passed: boolean;
  atS?: number;
}

async function detect(name: EngineName, fps: number): Promise<Map<LabelledEvent, Outcome>> {
  const engine = createEngine(name);
  const outcomes = new Map<LabelledEvent, Outcome>();
  try {
    await engine.ready();
    for (const clip of [...new Set(EVENTS.map((e) => e.clip))]) {
      const { observations } = await analyzeClip(engine, join(fixturesDir(), 'videos', clip), { fps });
      for (const event of EVENTS.filter((e) => e.clip === clip)) {
        const plugin = ALL_CHALLENGES.find((c) => c.id === event.challenge)!;
        outcomes.set(event, replayChallenge(plugin, observations, event.from, event.to));
      }
    }
  } finally {
    await engine.close();
  }
  return outcomes;
}

const cell = (o: Outcome, expected: boolean): string => {
  const text = o.passed ? `passes at ${o.atS!.toFixed(2)} s` : 'does not pass';
  return o.passed === expected ? text : `**${text}**`;
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { fps: { type: 'string', default: '10' }, 'no-write': { type: 'boolean', default: false } } });
  const fps = Number(values.fps);
  const engines = ENGINES;
  const frames: I420Frame[] = [];
  for await (const frame of videoFrames(join(fixturesDir(), 'videos', 'blink_webcam_viet281101.h264.mp4'), { fps: 30 })) {
    if (frames.push(frame) === 150) break;
  }
  const speeds = [];
  for (const name of engines) {
    const line = await speed(name, frames);
    console.log(JSON.stringify(line));
    speeds.push(line);
  }
  const results = new Map<EngineName, Map<LabelledEvent, Outcome>>();
  for (const name of engines) results.set(name, await detect(name, fps));
  const rows = EVENTS.map((e) => {
    const outcomes = engines.map((n) => results.get(n)!.get(e)!);
    console.log(
      JSON.stringify({
        clip: e.clip,
        challenge: e.challenge,
        window_s: [e.from, e.to],
        expected: e.expected,
        ...Object.fromEntries(engines.map((n, i) => [n, outcomes[i]])),
      }),
    );
    return `| ${e.clip.replace(/\.(h264\.)?mp4$/, '')} | ${e.label} | ${e.challenge} (${e.from}–${e.to} s) | ${e.expected ? 'pass' : 'no pass'} | ${outcomes.map((o) => cell(o, e.expected)).join(' | ')} |`;
  });
  const right = (n: EngineName) => EVENTS.filter((e) => results.get(n)!.get(e)!.passed === e.expected).length;
  const table = [
    `Produced by \`npm run compare:engines\` on ${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), `,
    `clips decoded at ${fps} fps, the challenge plugins of challenges/ unchanged. Bold = differs from the label.`,
    '',
    `| clip | labelled (LABELS.md) | challenge (window) | expected | ${engines.join(' | ')} |`,
    `|---|---|---|---|${engines.map(() => '---|').join('')}`,
    ...rows,
    `| | | | **right** | ${engines.map((n) => `**${right(n)}/${EVENTS.length}**`).join(' | ')} |`,
    '',
    'Speed on 150 frames of blink_webcam_viet281101 (640x480), one stream, one worker, frames one after another',
    '(round trip from I420 in to observation out). CPU and RSS include Chromium and all its processes for',
    'tasks-vision; RSS is the process after that engine ran (engines run in the order of the table, in one process).',
    '',
    '| engine | ms/frame median | p95 | CPU ms/frame | cores busy | RSS MB |',
    '|---|---|---|---|---|---|',
    ...speeds.map(
      (s) => `| ${s.engine} | ${s.ms_per_frame_median} | ${s.ms_per_frame_p95} | ${s.cpu_ms_per_frame} | ${s.cores_busy} | ${s.rss_mb} |`,
    ),
    '',
    '```',
    ...speeds.map((s) => JSON.stringify(s)),
    '```',
  ].join('\n');
  if (values['no-write']) return;
  const doc = join(REPO_ROOT, 'docs', 'face-engines.md');
  const text = readFileSync(doc, 'utf8');
  const begin = '<!-- compare-engines:begin -->';
  const end = '<!-- compare-engines:end -->';
  if (!text.includes(begin) || !text.includes(end)) throw new Error(`${doc} lacks the ${begin} / ${end} markers`);
  writeFileSync(doc, `${text.slice(0, text.indexOf(begin) + begin.length)}\n${table}\n${text.slice(text.indexOf(end))}`);
  console.error(`wrote ${doc}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
