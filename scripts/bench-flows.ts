/**
 * bench:flows — N whole verifications at once, measured: the service in this process with its real adapters
 * (ProtooTransport, Human face engine, embedded matcher, HTTP references and callbacks), the demo controller, and
 * in one child process the mediasoup room server with N cooperative responsive bots (two challenges each, blink
 * and open-close-mouth, genuine reference). Prints one JSON line.
 *
 * Usage: npm run bench:flows -- --flows N [--extra K] [--timeout S]
 *   --extra K   joins sent once the N flows run, with MAX_CONCURRENT_FLOWS = N: each should get 429 (rejected_429).
 * Env passed to the service when set: FACE_WORKERS, MATCHER_WORKERS, FACE_DETECTOR_SKIP_MS, INSTRUCTION_VIDEO_FPS.
 *
 * Where the numbers come from: analysed fps and frames from GET /flows/{id} (frames analysed per second of the
 * challenges), CPU and RSS of the service process from its /metrics (RSS sampled each second, peak kept;
 * per flow = (peak − idle RSS before the flows) / N), verdict = POST /join-call → terminal callback at the
 * controller, first instruction = POST /join-call → first frame of the service's video at the subject (every
 * frame of it carries an instruction screen). Re-executes itself inside `unshare -n` with only loopback up.
 */
import { fork, ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { configureLogger } from '../src/observability/logger';
import { DemoController } from '../demo/demo-controller';
import { BOT_CHALLENGES, finishedFlow } from '../test/e2e/verification';
import { clipStill, PERFORMERS, ResponsiveBot } from '../test/harness/responsive-bot';
import { RoomServer } from '../test/harness/room-server';
import { waitUntil } from '../test/harness/wait';
import { startApp } from '../test/support/app';
import { inLoopbackNetns } from './loopback-netns';
import { median } from '../test/support/video-frames';

const person = PERFORMERS.d18;
const epochMs = () => performance.timeOrigin + performance.now();
const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** Parent → world. */
type ToWorld =
  | { type: 'start'; flows: number; extra: number }
  | { type: 'follow'; serviceUrl: string; flows: { index: number; flowId: string }[] }
  | { type: 'stop' };
/** World → parent. */
type FromWorld =
  | { type: 'ready'; wsUrls: string[] }
  | { type: 'firstFrame'; index: number; at: number }
  | { type: 'stopped'; cpuSeconds: number; seconds: number };

/** The child: room server and bots. */
function runWorld(): void {
  const send = (m: FromWorld) => process.send?.(m);
  let server: RoomServer | undefined;
  const bots: ResponsiveBot[] = [];
  // Measured while the flows run.
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', (m: ToWorld) => {
    if (m.type === 'start') {
      void (async () => {
        server = await RoomServer.create();
        for (let i = 0; i < m.flows; i++) {
          const bot = await ResponsiveBot.join({ wsUrl: server.url(`bench-${i}`, 'subject'), performer: person });
          bot.bot.onFrame = () => {
            bot.bot.onFrame = undefined;
            send({ type: 'firstFrame', index: i, at: epochMs() });
          };
          bots.push(bot);
        }
        const wsUrls = Array.from({ length: m.flows + m.extra }, (_, i) => server!.url(`bench-${i}`, 'vision'));
        send({ type: 'ready', wsUrls });
      })().catch((error) => {
        console.error(error);
        process.exit(1);
      });
    } else if (m.type === 'follow') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      for (const f of m.flows) bots[f.index].follow(m.serviceUrl, f.flowId);
    } else {
      for (const bot of bots) bot.close();
      const cpu = process.cpuUsage(cpu0);
      send({ type: 'stopped', cpuSeconds: (cpu.user + cpu.system) / 1e6, seconds: (performance.now() - t0) / 1000 });
      void server?.close().finally(() => process.exit(0));
    }
  });
}

/** Value of an unlabelled sample in Prometheus text. */
function sample(text: string, name: string): number {
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} not in /metrics`);
  return Number(m[1]);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs a whole number`);
  return value;
}

async function runBench(): Promise<void> {
  configureLogger('error');
  const flows = Math.max(1, option('flows', 1));
  const extra = option('extra', 1);
  const timeoutS = option('timeout', 180);
  const passThrough = Object.fromEntries(
    ['FACE_WORKERS', 'MATCHER_WORKERS', 'FACE_DETECTOR_SKIP_MS', 'INSTRUCTION_VIDEO_FPS'].flatMap((k) =>
      process.env[k] ? [[k, process.env[k]!]] : [],
    ),
  );
  const controller = await DemoController.create({ log: () => undefined });
  controller.assets.set('genuine.jpg', await clipStill(person.clip, person.referenceAt));
  const service = await startApp({
    ...BOT_CHALLENGES,
    ...passThrough,
    MAX_CONCURRENT_FLOWS: String(flows),
    JOIN_RATE_LIMIT_PER_MIN: '100000',
  });
  const world: ChildProcess = fork(__filename, ['world'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let wsUrls: string[] = [];
  const firstFrameAt = new Map<number, number>();
  let worldCpu: { cpuSeconds: number; seconds: number } | undefined;
  world.on('message', (m: FromWorld) => {
    if (m.type === 'ready') wsUrls = m.wsUrls;
    else if (m.type === 'firstFrame') firstFrameAt.set(m.index, m.at);
    else worldCpu = m;
  });
  const metrics = async () => (await fetch(`${service.baseUrl}/metrics`)).text();
  let sampler: NodeJS.Timeout | undefined;
  try {
    await service.ready();
    world.send({ type: 'start', flows, extra } satisfies ToWorld);
    await waitUntil(() => wsUrls.length > 0, 120_000, 'the room server and the bots');
    const idle = await metrics();
    const idleRss = sample(idle, 'vision_process_resident_memory_bytes');
    let peakRss = idleRss;
    sampler = setInterval(() => {
      metrics().then(
        (text) => (peakRss = Math.max(peakRss, sample(text, 'vision_process_resident_memory_bytes'))),
        () => undefined,
      );
    }, 1000);
    const cpuStart = sample(idle, 'vision_process_cpu_seconds_total');
    const t0 = performance.now();
    const joins = await Promise.all(
      Array.from({ length: flows }, async (_, i) => {
        const token = `bench-${i}`;
        controller.lists.set(token, [`${controller.baseUrl}/assets/genuine.jpg`]);
        const at = epochMs();
        const res = await service.join({ ws_url: wsUrls[i], callback_base_url: controller.baseUrl, token, lang: 'en' });
        if (res.status !== 202) throw new Error(`join ${i} answered ${res.status}: ${JSON.stringify(res.body)}`);
        return { index: i, token, at, flowId: res.body.flow_id as string };
      }),
    );
    world.send({
      type: 'follow',
      serviceUrl: service.baseUrl,
      flows: joins.map((j) => ({ index: j.index, flowId: j.flowId })),
    } satisfies ToWorld);
    // Past the limit, while the N flows run.
    let rejected429 = 0;
    for (let i = flows; i < flows + extra; i++) {
      const res = await service.join({ ws_url: wsUrls[i], callback_base_url: controller.baseUrl, token: `bench-extra-${i}`, lang: 'en' });
      if (res.status === 429) rejected429++;
    }
    const views = await Promise.all(joins.map((j) => finishedFlow(service.baseUrl, j.flowId, timeoutS * 1000).catch(() => undefined)));
    const seconds = (performance.now() - t0) / 1000;
    const end = await metrics();
    clearInterval(sampler);
    const cpuSeconds = sample(end, 'vision_process_cpu_seconds_total') - cpuStart;
    world.send({ type: 'stop' } satisfies ToWorld);
    await waitUntil(() => worldCpu !== undefined, 10_000, 'the bots to stop');
    const done = views.filter((v) => v !== undefined);
    const fps = done.map((v) => v.frames.analysed_fps ?? 0);
    const verdicts = joins.flatMap((j) => {
      const callback = controller.callbacks.find((c) => c.token === j.token);
      return callback ? [(callback.receivedAt - j.at) / 1000] : [];
    });
    const firsts = joins.flatMap((j) => (firstFrameAt.has(j.index) ? [(firstFrameAt.get(j.index)! - j.at) / 1000] : []));
    const received = done.reduce((s, v) => s + v.frames.received, 0);
    const dropped = done.reduce((s, v) => s + v.frames.dropped, 0);
    const reasons = done.filter((v) => v.outcome === 'failure').map((v) => v.reason);
    console.log(
      JSON.stringify({
        flows,
        completed: done.length,
        success: done.filter((v) => v.outcome === 'success').length,
        analysed_fps_per_flow_min: round(Math.min(...fps)),
        analysed_fps_per_flow_median: round(median(fps)),
        verdict_s_p50: round(percentile(verdicts, 50), 2),
        verdict_s_p95: round(percentile(verdicts, 95), 2),
        first_instruction_s_p50: round(percentile(firsts, 50), 2),
        cpu_percent: round((cpuSeconds / seconds) * 100),
        rss_mb: Math.round(peakRss / 1e6),
        rss_mb_per_flow: round((peakRss - idleRss) / 1e6 / flows),
        dropped_frame_ratio: round(received ? dropped / received : 0, 3),
        rejected_429: rejected429,
        extra,
        idle_rss_mb: Math.round(idleRss / 1e6),
        bots_cpu_percent: round((worldCpu!.cpuSeconds / worldCpu!.seconds) * 100),
        failures: reasons,
        face_workers: Number(passThrough.FACE_WORKERS ?? 0) || 'cores',
        load_avg_1m_at_end: round(loadavg()[0], 2),
      }),
    );
  } finally {
    clearInterval(sampler);
    if (world.connected) world.send({ type: 'stop' } satisfies ToWorld);
    await service.close();
    await controller.close();
  }
}

function main(): void {
  if (process.argv[2] === 'world') return runWorld();
  if (!inLoopbackNetns()) return;
  runBench().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

main();
