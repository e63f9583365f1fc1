/**
 * bench:flows — N whole verifications at once, measured: the service in this process with its real adapters
 * (ProtooTransport, default face engine with PAD, embedded matcher, HTTP references and callbacks), the demo
 * controller, and in one child process the mediasoup room server with N cooperative responsive subjects (every
 * challenge their performer can do, genuine reference). Prints one JSON line.
 *
 * Subjects: real subjects encode their video on their own devices, so by default (`--bots encoded`) the subjects'
 * cameras cost the machine almost nothing: each performer's clip stretches are encoded to VP8 once (libvpx
 * realtime, ≈ 400 kbit/s, a key frame every second) and sent as RTP into a DirectTransport of the room server
 * (test/support/encoded-subject.ts); the service still receives real VP8 RTP through the real SFU and decodes it
 * with wrtc. `--bots wrtc` runs the former subjects instead: mediasoup-client on wrtc, one live VP8 encoder each
 * (about one of the two cores for 8 of them).
 *
 * Performer (`--performer`, PERFORMERS in test/support/responsive-bot.ts): zubair by default, a live webcam capture
 * that reads as bona fide (`npm run pad:score`: median 0.977, window min 0.837; 0.914 after VP8 at 300 kbit/s,
 * docs/pad.md) and the one bona fide webcam clip with two challenges (turn-head-right, turn-head-left), so the
 * default run measures PAD_POLICY=stepup (issue 16) with two challenges per flow as before. viet (webcam, median
 * 0.962, window min 0.939) blinks only: one challenge per flow. d18 (a LivePortrait studio clip, blink and
 * open-close-mouth) reads as an attack (median 0.348, window min 0.307, suspect): run it with PAD_POLICY=report.
 * The service gets CHALLENGES = the performer's challenges, NUMBER_OF_GESTURES_TO_REQUEST = min(2, their count).
 *
 * Usage: npm run bench:flows -- --flows N [--bots encoded|wrtc] [--performer zubair|viet|d18] [--extra K] [--timeout S]
 *                                [--bots-nice P] [--bots-together] [--store redis] [--warm-up R]
 *   --warm-up R      rounds of the same N flows run first and not measured (default 1; 0 measures a cold service),
 *                    as a service that has run for a while: the first flows after start also pay V8's optimizing
 *                    compiler; each round has its own room server and subjects. `warm_up` says how they went.
 *   --extra K        joins sent once the N flows run, with MAX_CONCURRENT_FLOWS = N: each should get 429 (rejected_429).
 *   --bots-nice P    runs the room server and the bots under `nice -n P` (default 0; in their own session, the
 *                    session's scheduler group gets that nice value).
 *   --bots-together  keeps the room server and the bots in the service's session. By default they get a session of
 *                    their own, so Linux's scheduler (autogroup) shares the cores between the service and them as
 *                    between two jobs, as if they ran elsewhere; together, their many WebRTC threads compete with
 *                    the service's thread by thread.
 * Env passed to the service when set: FACE_WORKERS, MATCHER_WORKERS, FACE_DETECTOR_SKIP_MS, INSTRUCTION_VIDEO_FPS,
 * PAD_POLICY (default the service's: stepup).
 *
 * Where the numbers come from: analysed fps and frames from GET /flows/{id} (frames analysed per second of the
 * challenges), CPU and RSS of the service process from its /metrics (RSS sampled each second, peak kept;
 * per flow = (peak − idle RSS before the flows) / N; per flow warm = (peak − RSS when the measured round starts,
 * after the warm-up rounds) / N, what one more flow costs a service that has run), verdict = POST /join-call → terminal callback at the
 * controller, first instruction = POST /join-call → first frame of the service's video at the subject (every
 * frame of it carries an instruction screen). Re-executes itself inside `unshare -n` with only loopback up.
 *
 * Where the time goes, while the flows run: CPU per thread name of the service process and of the bots' process
 * (/proc, read every second so that a flow's decoder and encoder count after they end; "main" is the event loop,
 * "node" Node's worker threads and V8's) and of the mediasoup worker, the time
 * those threads waited for a core while runnable (starved by other work), the service's event-loop delay and utilisation,
 * the face pool's latency per frame (analyze() call to answer) next to the workers' own median run time (the rest
 * is queueing and thread hops) and frames in flight, per flow the frames at the gate and the instruction video's
 * frame rate at the subject, and how busy the whole machine was (other jobs included).
 */
import { fork, ChildProcess } from 'node:child_process';
import type { Producer } from 'mediasoup/node/lib/types';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance as nodePerformance } from 'node:perf_hooks';
import { FACE_ANALYSIS_PORT } from '../src/face/face-analysis.port';
import type { WorkerFaceEngine } from '../src/face/worker-face-engine';
import { configureLogger } from '../src/observability/logger';
import { DemoController } from '../demo/demo-controller';
import { finishedFlow } from '../test/e2e/verification';
import { clipStill, PERFORMERS, ResponsiveBot } from '../test/support/responsive-bot';
import { EncodedPeer, joinEncodedSubject } from '../test/support/encoded-subject';
import type { SubjectBot } from '../test/support/subject-bot';
import { RoomServer } from '../test/support/room-server';
import { loadMediasoup } from '../test/support/sfu-worker';
import { waitUntil } from '../test/support/wait';
import { startApp } from '../test/support/app';
import { RedisServer } from '../test/support/redis-server';
import { inLoopbackNetns } from './loopback-netns';
import { childCpu, cpuPercentDelta, machineCpu, ThreadTimes } from './proc-cpu';
import { median } from '../test/support/video-frames';

type BotsKind = 'encoded' | 'wrtc';
type PerformerName = keyof typeof PERFORMERS;
const epochMs = () => performance.timeOrigin + performance.now();
const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** Parent → world. */
type ToWorld =
  | { type: 'start'; flows: number; extra: number; bots: BotsKind; performer: PerformerName }
  | { type: 'follow'; serviceUrl: string; flows: { index: number; flowId: string }[] }
  | { type: 'stop' };
/** World → parent. */
type FromWorld =
  | { type: 'ready'; wsUrls: string[] }
  | { type: 'firstFrame'; index: number; at: number }
  | {
      type: 'stopped';
      cpuSeconds: number;
      seconds: number;
      threads: Record<string, number>;
      waits: Record<string, number>;
      sfu: Record<string, number>;
      bots: BotRates[];
      /** Key frame requests (PLI/FIR) the SFU sent the encoded subjects' cameras. */
      keyFrameRequests: number | null;
      rtp: { camera: RtpTotals; instructions: RtpTotals };
    };

/** What the SFU received of one kind of video stream while the flows ran, summed over the streams. */
interface RtpTotals {
  streams: number;
  packets: number;
  lost_percent: number;
  nacks: number;
  /** Key frames the SFU asked the sender for (after losses the receiver cannot decode until one arrives). */
  plis: number;
}

type ProducerStats = Awaited<ReturnType<Producer['getStats']>>;

/**
 * The RTP statistics of every producer the room server's workers create (mediasoup's observer API): the subjects'
 * cameras and the service's instruction videos, the last reading of each kept (a producer closes with its flow).
 */
function watchProducers(): { sample(): Promise<void>; totals(): { camera: RtpTotals; instructions: RtpTotals } } {
  const last = new Map<Producer, ProducerStats>();
  loadMediasoup().observer.on('newworker', (worker) =>
    worker.observer.on('newrouter', (router) =>
      router.observer.on('newtransport', (transport) => transport.observer.on('newproducer', (producer) => last.set(producer, []))),
    ),
  );
  const totals = (instructions: boolean): RtpTotals => {
    const producers = [...last.keys()].filter((p) => (p.appData.source === 'vision-instructions') === instructions);
    const stats = producers.flatMap((p) => last.get(p)!);
    const sum = (key: 'packetCount' | 'packetsLost' | 'nackCount' | 'pliCount') => stats.reduce((s, x) => s + x[key], 0);
    const packets = sum('packetCount');
    return {
      streams: producers.length,
      packets,
      lost_percent: round(packets ? (sum('packetsLost') / (packets + sum('packetsLost'))) * 100 : 0, 2),
      nacks: sum('nackCount'),
      plis: sum('pliCount'),
    };
  };
  return {
    async sample() {
      await Promise.all(
        [...last.keys()].filter((p) => !p.closed).map(async (p) => last.set(p, await p.getStats().catch(() => last.get(p)!))),
      );
    },
    totals: () => ({ camera: totals(false), instructions: totals(true) }),
  };
}

/** Frame rates one bot saw while the flows ran: its camera, and the service's instruction video. */
interface BotRates {
  camera_fps: number;
  instruction_fps: number;
}

/** The child: room server and bots. */
function runWorld(): void {
  const send = (m: FromWorld) => process.send?.(m);
  process.on('disconnect', () => process.exit(1)); // the bench died: do not outlive it
  let server: RoomServer | undefined;
  const bots: ResponsiveBot<SubjectBot | EncodedPeer>[] = [];
  const producers = watchProducers();
  let rtpSampler: NodeJS.Timeout | undefined;
  let stopping = false;
  // Measured while the flows run.
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  let threadTimes = new ThreadTimes();
  let threads0 = threadTimes.totals();
  let children0 = childCpu();
  let counts0: { sent: number; received: number }[] = [];
  const counts = () => bots.map((b) => ({ sent: b.bot.framesSent, received: b.bot.received.count }));
  process.on('message', (m: ToWorld) => {
    if (m.type === 'start') {
      void (async () => {
        server = await RoomServer.create();
        const performer = PERFORMERS[m.performer];
        for (let i = 0; i < m.flows; i++) {
          const roomId = `bench-${i}`;
          const bot =
            m.bots === 'encoded'
              ? await joinEncodedSubject({ server, roomId, performer })
              : await ResponsiveBot.join({ wsUrl: server.url(roomId, 'subject'), performer });
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
      threadTimes = new ThreadTimes();
      threads0 = threadTimes.totals();
      children0 = childCpu();
      counts0 = counts();
      rtpSampler = setInterval(() => {
        void producers.sample();
        threadTimes.sample();
      }, 1000);
      for (const f of m.flows) bots[f.index].follow(m.serviceUrl, f.flowId);
    } else if (!stopping) {
      stopping = true;
      clearInterval(rtpSampler);
      const cpu = process.cpuUsage(cpu0);
      const seconds = (performance.now() - t0) / 1000;
      const rates = counts().map((c, i) => ({
        camera_fps: round((c.sent - counts0[i].sent) / seconds),
        instruction_fps: round((c.received - counts0[i].received) / seconds),
      }));
      const threads1 = threadTimes.totals();
      const threads = cpuPercentDelta(threads0.cpu, threads1.cpu, seconds);
      const waits = cpuPercentDelta(threads0.wait, threads1.wait, seconds);
      const sfu = cpuPercentDelta(children0, childCpu(), seconds);
      void (async () => {
        // Totals over each stream's life (the bots' cameras start shortly before the flows).
        await producers.sample();
        for (const bot of bots) bot.close();
        send({
          type: 'stopped',
          cpuSeconds: (cpu.user + cpu.system) / 1e6,
          seconds,
          threads,
          waits,
          sfu,
          bots: rates,
          keyFrameRequests: bots.every((b) => b.bot instanceof EncodedPeer)
            ? bots.reduce((sum, b) => sum + (b.bot as EncodedPeer).keyFrameRequests, 0)
            : null,
          rtp: producers.totals(),
        });
        await server?.close();
      })().finally(() => process.exit(0));
    }
  });
}

/** The service's /metrics, as Prometheus text. */
async function metricsText(baseUrl: string): Promise<string> {
  return (await fetch(`${baseUrl}/metrics`)).text();
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

/**
 * Wraps the face engine's analyze() to time each frame from call to answer and count frames in flight (the queue
 * in front of the workers: each flow keeps at most one frame there).
 */
function watchFacePool(face: WorkerFaceEngine) {
  const analyze = face.analyze.bind(face);
  let latencies: number[] = [];
  let inFlight = 0;
  let inFlightSum = 0;
  let inFlightMax = 0;
  face.analyze = async (...args) => {
    const t = performance.now();
    inFlight++;
    inFlightMax = Math.max(inFlightMax, inFlight);
    inFlightSum += inFlight;
    try {
      return await analyze(...args);
    } finally {
      inFlight--;
      latencies.push(performance.now() - t);
    }
  };
  return {
    reset() {
      latencies = [];
      inFlightSum = inFlightMax = 0;
    },
    stats: () => ({
      frames: latencies.length,
      latency_ms_p50: round(percentile(latencies, 50)),
      latency_ms_p95: round(percentile(latencies, 95)),
      in_flight_mean_at_call: round(latencies.length ? inFlightSum / latencies.length : 0),
      in_flight_max: inFlightMax,
    }),
  };
}

function choice<T extends string>(name: string, choices: readonly T[]): T {
  const i = process.argv.indexOf(`--${name}`);
  const value = (i >= 0 ? process.argv[i + 1] : choices[0]) as T;
  if (!choices.includes(value)) throw new Error(`--${name} is ${choices.join(' or ')}`);
  return value;
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
  const botsNice = option('bots-nice', 0);
  const botsTogether = process.argv.includes('--bots-together');
  const warmUp = option('warm-up', 1);
  const storeKind = choice('store', ['memory', 'redis']);
  const botsKind = choice<BotsKind>('bots', ['encoded', 'wrtc']);
  const performerName = choice<PerformerName>('performer', ['zubair', 'viet', 'd18']);
  const person = PERFORMERS[performerName];
  const challengeIds = Object.keys(person.challenges);
  // A real redis-server on loopback, as the replicas use it (issue 15): the same flows, every state change recorded.
  const redis = storeKind === 'redis' ? await RedisServer.start() : undefined;
  const passThrough = Object.fromEntries(
    ['FACE_WORKERS', 'MATCHER_WORKERS', 'FACE_DETECTOR_SKIP_MS', 'INSTRUCTION_VIDEO_FPS', 'PAD_POLICY'].flatMap((k) =>
      process.env[k] ? [[k, process.env[k]!]] : [],
    ),
  );
  const controller = await DemoController.create({ log: () => undefined });
  controller.assets.set('genuine.jpg', await clipStill(person.clip, person.referenceAt));
  const service = await startApp({
    CHALLENGES: challengeIds.join(','),
    NUMBER_OF_GESTURES_TO_REQUEST: String(Math.min(2, challengeIds.length)),
    PAD_POLICY: 'stepup',
    ...passThrough,
    MAX_CONCURRENT_FLOWS: String(flows),
    JOIN_RATE_LIMIT_PER_MIN: '100000',
    ...(redis && { FLOW_STORE: redis.url }),
  });
  const face = service.app.get<symbol, WorkerFaceEngine>(FACE_ANALYSIS_PORT);
  const pool = watchFacePool(face);
  await service.ready();
  const idleRss = sample(await metricsText(service.baseUrl), 'vision_process_resident_memory_bytes');
  const options = { flows, extra, timeoutS, botsNice, botsTogether, botsKind, performerName, idleRss };
  try {
    // A service runs for days: its first flows also pay V8's optimizing compiler and code it has not optimised yet.
    const warmUps = [];
    for (let r = 0; r < warmUp; r++) {
      const w = await runRound(service, controller, face, pool, options, `warm-up-${r}`);
      warmUps.push({
        success: w.success,
        analysed_fps_per_flow_min: w.analysed_fps_per_flow_min,
        first_instruction_s_p50: w.first_instruction_s_p50,
      });
    }
    const result = await runRound(service, controller, face, pool, options, 'bench');
    console.log(
      JSON.stringify({
        flows,
        bots: botsKind,
        performer: performerName,
        pad_policy: passThrough.PAD_POLICY ?? 'stepup',
        challenges: challengeIds,
        store: storeKind,
        warm_up_rounds: warmUp,
        ...result,
        idle_rss_mb: Math.round(idleRss / 1e6),
        bots_nice: botsNice,
        bots_own_session: !botsTogether,
        warm_up: warmUps,
      }),
    );
  } finally {
    await service.close();
    await controller.close();
    await redis?.close();
  }
}

interface RoundOptions {
  flows: number;
  extra: number;
  timeoutS: number;
  botsNice: number;
  botsTogether: boolean;
  botsKind: BotsKind;
  performerName: PerformerName;
  /** The service's RSS once ready, before any round: each round's MB per flow counts from it. */
  idleRss: number;
}

/** One round: a room server and N subjects in a child process, N flows joined at once, measured until they end. */
async function runRound(
  service: Awaited<ReturnType<typeof startApp>>,
  controller: DemoController,
  face: WorkerFaceEngine,
  pool: ReturnType<typeof watchFacePool>,
  { flows, extra, timeoutS, botsNice, botsTogether, botsKind, performerName, idleRss }: RoundOptions,
  label: string,
) {
  const world: ChildProcess = fork(__filename, ['world'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: !botsTogether,
    ...(botsNice ? { execPath: 'nice', execArgv: ['-n', String(botsNice), process.execPath, ...process.execArgv] } : {}),
  });
  // In a session of their own the scheduler weighs the bots' group by the group's nice value, not the threads'.
  if (botsNice && !botsTogether) writeFileSync(`/proc/${world.pid}/autogroup`, String(botsNice));
  let wsUrls: string[] = [];
  const firstFrameAt = new Map<number, number>();
  let worldCpu: Extract<FromWorld, { type: 'stopped' }> | undefined;
  world.on('message', (m: FromWorld) => {
    if (m.type === 'ready') wsUrls = m.wsUrls;
    else if (m.type === 'firstFrame') firstFrameAt.set(m.index, m.at);
    else worldCpu = m;
  });
  const metrics = () => metricsText(service.baseUrl);
  let sampler: NodeJS.Timeout | undefined;
  try {
    world.send({ type: 'start', flows, extra, bots: botsKind, performer: performerName } satisfies ToWorld);
    await waitUntil(() => wsUrls.length > 0, 120_000, 'the room server and the bots');
    const before = await metrics();
    const startRss = sample(before, 'vision_process_resident_memory_bytes');
    let peakRss = startRss;
    const threadTimes = new ThreadTimes();
    sampler = setInterval(() => {
      metrics().then(
        (text) => (peakRss = Math.max(peakRss, sample(text, 'vision_process_resident_memory_bytes'))),
        () => undefined,
      );
      threadTimes.sample();
    }, 1000);
    const cpuStart = sample(before, 'vision_process_cpu_seconds_total');
    const t0 = performance.now();
    const threads0 = threadTimes.totals();
    const machine0 = machineCpu();
    const load0 = loadavg()[0];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const elu0 = nodePerformance.eventLoopUtilization();
    pool.reset();
    const joins = await Promise.all(
      Array.from({ length: flows }, async (_, i) => {
        const token = `${label}-${i}`;
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
      const res = await service.join({
        ws_url: wsUrls[i],
        callback_base_url: controller.baseUrl,
        token: `${label}-extra-${i}`,
        lang: 'en',
      });
      if (res.status === 429) rejected429++;
    }
    // Polling GET /flows/{id} costs this process (the service's) ≈ 1 ms of CPU a request, client and server: only
    // the last stretch, from the verdict until the flow has left the room, is polled.
    await Promise.all(joins.map((j) => controller.waitForCallbacks(j.token, 1, timeoutS * 1000).catch(() => undefined)));
    const views = await Promise.all(joins.map((j) => finishedFlow(service.baseUrl, j.flowId, timeoutS * 1000).catch(() => undefined)));
    const seconds = (performance.now() - t0) / 1000;
    loopDelay.disable();
    const elu = nodePerformance.eventLoopUtilization(elu0);
    const threads1 = threadTimes.totals();
    const serviceThreads = cpuPercentDelta(threads0.cpu, threads1.cpu, seconds);
    const serviceWaits = cpuPercentDelta(threads0.wait, threads1.wait, seconds);
    const machine1 = machineCpu();
    const poolStats = pool.stats();
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
    return {
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
      rss_mb_per_flow_warm: round((peakRss - startRss) / 1e6 / flows),
      dropped_frame_ratio: round(received ? dropped / received : 0, 3),
      rejected_429: rejected429,
      extra,
      bots_cpu_percent: round((worldCpu!.cpuSeconds / worldCpu!.seconds) * 100),
      bots_key_frame_requests: worldCpu!.keyFrameRequests,
      failures: reasons,
      face_workers: face.workerCount,
      face_pool: { ...poolStats, worker_run_ms_median: round(face.medianMs()) },
      event_loop: {
        delay_ms_p50: round(loopDelay.percentile(50) / 1e6),
        delay_ms_p99: round(loopDelay.percentile(99) / 1e6),
        delay_ms_max: round(loopDelay.max / 1e6),
        utilization: round(elu.utilization, 2),
      },
      service_threads_cpu_percent: serviceThreads,
      service_threads_runqueue_wait_percent: serviceWaits,
      bots_threads_cpu_percent: worldCpu!.threads,
      bots_threads_runqueue_wait_percent: worldCpu!.waits,
      sfu_cpu_percent: worldCpu!.sfu,
      rtp_at_sfu: worldCpu!.rtp,
      per_flow: joins.map((j, i) => ({
        received: views[i]?.frames.received,
        dropped: views[i]?.frames.dropped,
        analysed: views[i]?.frames.analysed,
        analysed_fps: round(views[i]?.frames.analysed_fps ?? 0),
        ...worldCpu!.bots[j.index],
      })),
      machine_busy_percent: round(((machine1.busyS - machine0.busyS) / (machine1.totalS - machine0.totalS)) * 100),
      load_avg_1m_at_start: round(load0, 2),
      load_avg_1m_at_end: round(loadavg()[0], 2),
    };
  } finally {
    clearInterval(sampler);
    if (world.connected) world.send({ type: 'stop' } satisfies ToWorld);
    // The next round starts only once this round's room server and subjects are gone.
    await waitUntil(() => world.exitCode !== null || world.signalCode !== null, 10_000, 'the room server to close').catch(() =>
      world.kill(),
    );
  }
}

function main(): void {
  if (process.argv[2] === 'world') return runWorld();
  process.env.MALLOC_MMAP_THRESHOLD_ ??= '2097152'; // as the Dockerfile sets it (glibc reads it at start: the re-exec)
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
