/**
 * Child process of no-third-party-traffic.test.ts (run inside a loopback-only network namespace under strace):
 * the whole service with its real face engine and embedded matcher, a clip as the subject's camera, the demo
 * controller on 127.0.0.1 for the reference and the callback. It records every outbound connection and name
 * lookup the main thread attempts, runs one flow, then deliberately tries a TEST-NET address and a name (the
 * probe that proves the recorders see traffic), and prints one JSON line: OfflineFlowReport.
 */
import diagnostics from 'node:diagnostics_channel';
import dns from 'node:dns';
import { connect, type Socket } from 'node:net';
import { DemoController } from '../../demo/demo-controller';
import { startApp } from '../support/app';
import { ClipTransport } from '../support/clip-transport';
import { fixture } from '../support/fixtures';

/** One outbound attempt seen inside the process. */
export interface RecordedAttempt {
  kind: 'connect' | 'lookup' | 'fetch';
  /** Address or name as the caller gave it. */
  target: string;
  phase: 'flow' | 'probe';
}

/** What the child prints. */
export interface OfflineFlowReport {
  callbacks: { status: string; token: string }[];
  attempts: RecordedAttempt[];
  /** Unix time (s) when the flow phase ended and the probe began, to split the strace log. */
  probeStartS: number;
  probeErrors: string[];
}

/** The name the probe looks up (reserved TLD: never resolves, but the resolver must ask). */
export const PROBE_NAME = 'probe.vision-service.invalid';
/** The address the probe connects to (TEST-NET-1: unroutable; refused at once in the namespace). */
export const PROBE_ADDRESS = '192.0.2.1';
/** The reference photo, served by the demo controller under the token's name. */
export const TOKEN = 'viet_t1.0s_eyes_open.jpg';

const attempts: RecordedAttempt[] = [];
let phase: RecordedAttempt['phase'] = 'flow';
const record = (kind: RecordedAttempt['kind'], target: string) => attempts.push({ kind, target, phase });

/** Records the main thread's outbound attempts (worker threads and child processes are strace's part). */
function installRecorder(): void {
  // Every TCP client socket: the address of each connection attempt (after any lookup).
  diagnostics.subscribe('net.client.socket', (message) => {
    const socket = (message as { socket: Socket }).socket;
    socket.on('connectionAttempt', (ip: string) => record('connect', ip));
  });
  // fetch (undici): the host of every connection it opens.
  diagnostics.subscribe('undici:client:beforeConnect', (message) => {
    record('fetch', (message as { connectParams: { hostname: string } }).connectParams.hostname);
  });
  // Name lookups, by callers and by net.connect (it calls dns.lookup through the module).
  const lookup = dns.lookup;
  dns.lookup = ((hostname: string, ...rest: unknown[]) => {
    record('lookup', hostname);
    return (lookup as (...args: unknown[]) => void)(hostname, ...rest);
  }) as typeof dns.lookup;
  const promisesLookup = dns.promises.lookup;
  dns.promises.lookup = ((hostname: string, ...rest: unknown[]) => {
    record('lookup', hostname);
    return (promisesLookup as (...args: unknown[]) => unknown)(hostname, ...rest);
  }) as typeof dns.promises.lookup;
}

/** The deliberate attempts: one connection to TEST-NET, one lookup; each must fail fast here. */
async function probe(): Promise<string[]> {
  const connection = new Promise<string>((resolve) => {
    const socket = connect({ host: PROBE_ADDRESS, port: 9, timeout: 2000 });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(`connect: ${error.code}`));
    socket.on('timeout', () => (socket.destroy(), resolve('connect: timeout')));
    socket.on('connect', () => (socket.destroy(), resolve('connect: connected')));
  });
  const name = dns.promises.lookup(PROBE_NAME).then(
    () => 'lookup: resolved',
    (error: NodeJS.ErrnoException) => `lookup: ${error.code}`,
  );
  return Promise.all([connection, name]);
}

async function main(): Promise<void> {
  installRecorder();
  const controller = await DemoController.create({ assetsDir: fixture('expressions'), log: () => undefined });
  const service = await startApp(
    {
      FACE_WORKERS: '1',
      MATCHER_WORKERS: '1',
      CHALLENGES: 'blink',
      NUMBER_OF_GESTURES_TO_REQUEST: '1',
      INSTRUCTION_S: '0.3',
      RESULT_DISPLAY_S: '0',
      CALLBACK_MAX_ATTEMPTS: '1',
    },
    { transport: new ClipTransport([{ file: fixture('videos', 'blink_webcam_viet281101.h264.mp4') }]) },
  );
  let callbacks: OfflineFlowReport['callbacks'] = [];
  try {
    await service.ready();
    const joined = await service.join({
      ws_url: 'ws://127.0.0.1:1/?roomId=r&peerId=vision',
      callback_base_url: controller.baseUrl,
      token: TOKEN,
    });
    if (joined.status !== 202) throw new Error(`join-call answered ${joined.status}: ${JSON.stringify(joined.body)}`);
    callbacks = (await controller.waitForCallbacks(TOKEN, 1, 90_000)).map((c) => ({ status: c.status, token: c.token }));
  } finally {
    await service.close();
    await controller.close();
  }
  phase = 'probe';
  const probeStartS = Date.now() / 1000;
  const probeErrors = await probe();
  const report: OfflineFlowReport = { callbacks, attempts, probeStartS, probeErrors };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// The test imports the constants and types above; only the child runs the flow.
if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: Error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
