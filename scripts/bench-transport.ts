/**
 * bench:transport — the transport adapter through a real mediasoup SFU on loopback, measured. The subject bot
 * runs in a child process (so this process's CPU is the service side only), sends a real clip at 15 fps with
 * frame numbers stamped in, and reports what it receives. Prints one JSON line.
 *
 * Adapter level: ProtooTransport joined directly (no HTTP, no face engine); first_instruction_s counts from the
 * join() call; threads_cpu_percent is per thread name ("main" is the event loop), over the steady-state window;
 * render_*_ms is the main thread's CPU per instruction picture (see renderCosts).
 * Options (env): BENCH_SECONDS (10), BENCH_FPS (15, the subject's), INSTRUCTION_VIDEO_FPS and INSTRUCTION_VIDEO_SIZE
 * (the service's defaults), VISION_FIXTURES_DIR.
 * Re-executes itself inside `unshare -n` with only loopback up (WebRTC would otherwise use a real interface).
 */
import { fork, ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance as nodePerformance } from 'node:perf_hooks';
import { nonstandard } from '@roamhq/wrtc';
import { configureLogger } from '../src/observability/logger';
import { LatestFrameGate } from '../src/flow/frame-gate';
import { InstructionRenderer } from '../src/render/instruction-renderer';
import { videoSize } from '../src/render/instruction-screen';
import { transportEnv } from '../src/transport/transport.env';
import { readStamp, lumaStats } from '../test/support/frame-marker';
import { joinRequest, loopbackTransport } from '../test/support/loopback-transport';
import { RoomServer } from '../test/support/room-server';
import { SubjectBot } from '../test/support/subject-bot';
import { waitUntil } from '../test/support/wait';
import { inLoopbackNetns } from './loopback-netns';
import { cpuPercentDelta, ThreadTimes } from './proc-cpu';
import { fixture } from '../test/support/fixtures';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const FPS = Number(process.env.BENCH_FPS ?? 15);
/** Frame rate of the service's instruction video, as the service reads it. */
const OUT_FPS = transportEnv.INSTRUCTION_VIDEO_FPS.parse(process.env.INSTRUCTION_VIDEO_FPS);
const OUT_SIZE = transportEnv.INSTRUCTION_VIDEO_SIZE.parse(process.env.INSTRUCTION_VIDEO_SIZE);
const CLIP = 'blink_webcam_viet281101.webm';
const epochMs = () => performance.timeOrigin + performance.now();

type BotMessage =
  { type: 'sent'; n: number; at: number } | { type: 'received'; at: number; instruction: boolean } | { type: 'ready'; sentWidth: number };

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};
const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** The child: the subject. */
async function runBot(wsUrl: string): Promise<void> {
  const bot = await SubjectBot.join({ wsUrl, video: { kind: 'clip', file: fixture('videos', CLIP), seconds: 4 }, fps: FPS, stamp: true });
  const send = (m: BotMessage) => process.send?.(m);
  bot.onSent = (n) => send({ type: 'sent', n: n & 0xffff, at: epochMs() });
  bot.onFrame = (frame) => send({ type: 'received', at: epochMs(), instruction: lumaStats(frame, 0, 10, frame.width, 60).std > 30 });
  send({ type: 'ready', sentWidth: bot.sentWidth });
  process.on('disconnect', () => {
    bot.close();
    process.exit(0);
  });
}

/**
 * CPU ms of one instruction picture (at OUT_SIZE) in a challenge's steady state: a new subject frame came since the
 * last picture (640x480, a camera's; 480x480, the bots' clip; mirrored and cover-fitted), with the progress standing still or moving
 * one 2 % step per picture (the challenge bar redrawn every picture, the worst case).
 */
function renderCosts(): Record<string, number> {
  const costs: Record<string, number> = {};
  for (const [w, h] of [
    [640, 480],
    [480, 480],
  ]) {
    for (const step of [0, 0.02]) {
      const renderer = new InstructionRenderer(Date.now, videoSize(OUT_SIZE));
      const frames = [0, 1].map((k) => ({ width: w, height: h, data: new Uint8Array((w * h * 3) / 2).fill(90 + k), timestampMs: 0 }));
      let i = 0;
      const picture = () => {
        i++;
        renderer.setScreen({
          phase: 'challenge',
          text: 'Parpadea con ambos ojos',
          challenge: { index: 1, total: 2, endsAtMs: Date.now() + 8000, progress: (i * step) % 1 },
        });
        renderer.setSubjectFrame(frames[i & 1]);
        renderer.render();
      };
      costs[`render_${w}x${h}${step ? '_progress_moving' : ''}_ms`] = round(cpuMsPerCall(300, picture), 2);
    }
  }
  return costs;
}

/** CPU ms per call of `fn` over `n` calls, after as many to warm up. */
function cpuMsPerCall(n: number, fn: () => void): number {
  for (let i = 0; i < n; i++) fn();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / n;
}

function conversionCosts(): Record<string, number> {
  const w = 640;
  const h = 480;
  const rgba = new Uint8Array(w * h * 4).fill(100);
  const i420 = new Uint8Array((w * h * 3) / 2);
  return {
    rgba_to_i420_ms: round(
      cpuMsPerCall(100, () => nonstandard.rgbaToI420({ width: w, height: h, data: rgba }, { width: w, height: h, data: i420 })),
      3,
    ),
    ...renderCosts(),
  };
}

async function runBench(): Promise<void> {
  configureLogger('error');
  const server = await RoomServer.create();
  const transport = loopbackTransport({
    TRANSPORT_REQUEST_TIMEOUT_S: '5',
    INSTRUCTION_VIDEO_FPS: String(OUT_FPS),
    INSTRUCTION_VIDEO_SIZE: OUT_SIZE,
  });
  const sentAt = new Map<number, number>();
  const received: { at: number; instruction: boolean }[] = [];
  let sentWidth = 0;
  const child: ChildProcess = fork(__filename, ['bot', server.url('bench', 'subject')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (m: BotMessage) => {
    if (m.type === 'sent') sentAt.set(m.n, m.at);
    else if (m.type === 'received') received.push(m);
    else sentWidth = m.sentWidth;
  });
  try {
    await waitUntil(() => sentWidth > 0, 30_000, 'the subject bot');
    const glass: number[] = [];
    let delivered = 0;
    // As in a flow: the frames go through its latest-frame gate to the analysis (here: reading the stamp).
    const gate = new LatestFrameGate();
    gate.consume(async (frame) => {
      delivered++;
      const sent = sentAt.get(readStamp(frame, sentWidth));
      if (sent !== undefined) glass.push(epochMs() - sent);
    });
    const joinStarted = epochMs();
    const connection = await transport.join(
      joinRequest('bench', server.url('bench', 'vision')),
      {
        onSubjectVideoStarted: () => undefined,
        onSubjectLeft: () => undefined,
        onFailed: (error) => console.error(error.message),
        onSubjectFrame: (frame) => gate.publish(frame),
      },
      AbortSignal.timeout(10_000),
    );
    connection.show({
      phase: 'challenge',
      text: 'Parpadea con ambos ojos',
      challenge: { index: 1, total: 2, endsAtMs: Date.now() + 9000, progress: 0 },
    });
    await waitUntil(() => received.some((r) => r.instruction) && delivered > 0, 15_000, 'video both ways');
    const firstInstruction = (received.find((r) => r.instruction)!.at - joinStarted) / 1000;
    // Steady state: counters over the window.
    const delivered0 = delivered;
    const received0 = received.length;
    glass.length = 0;
    const cpu0 = process.cpuUsage();
    const threadTimes = new ThreadTimes();
    const threads0 = threadTimes.totals().cpu;
    const elu0 = nodePerformance.eventLoopUtilization();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const cpu = process.cpuUsage(cpu0);
    const elu = nodePerformance.eventLoopUtilization(elu0);
    const seconds = (performance.now() - t0) / 1000;
    const result = {
      level: 'adapter',
      fps_received: round((delivered - delivered0) / seconds),
      fps_sent: round((received.length - received0) / seconds),
      instruction_video_fps: OUT_FPS,
      instruction_video_size: OUT_SIZE,
      first_instruction_s: round(firstInstruction, 2),
      glass_to_analysis_ms_median: round(median(glass)),
      cpu_percent_per_flow: round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100),
      // The event loop's share (every frame in and out passes through it) and the WebRTC threads'.
      threads_cpu_percent: cpuPercentDelta(threads0, threadTimes.totals().cpu, seconds),
      event_loop_utilization: round(elu.utilization, 3),
      load_avg_1m: round(loadavg()[0], 2),
      rss_mb: Math.round(process.memoryUsage().rss / 1e6),
      frames_dropped: gate.dropped,
      ...conversionCosts(),
    };
    await connection.close();
    console.log(JSON.stringify(result));
  } finally {
    child.disconnect();
    await transport.close();
    await server.close();
  }
}

function main(): void {
  if (process.argv[2] === 'bot') {
    runBot(process.argv[3]).catch((error) => {
      console.error(error);
      process.exit(1);
    });
    return;
  }
  if (!inLoopbackNetns()) return;
  runBench().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}

main();
