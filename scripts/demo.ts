/**
 * npm run demo — the whole product on this machine: the room server (real mediasoup SFU), the Vision Service
 * (real face engine, embedded matcher), the demo controller and the subject page. Prints one URL to open.
 *
 * Env: DEMO_HOST (127.0.0.1) and DEMO_PORT (5050) of the page; any service variable (e.g. CHALLENGES=blink,smile,
 * NUMBER_OF_GESTURES_TO_REQUEST=1, LOG_LEVEL=info) is passed to the service.
 * `--screenshot FILE`: instead of waiting for a person, a headless Chromium with its built-in fake camera (a
 * synthetic pattern, no face) clicks Verify and FILE gets a picture of the page mid-flow; then everything stops.
 * `--replicas N`: N service replicas on one local redis-server (FLOW_STORE=redis://…): the one in this process and
 * N-1 processes of their own (`kill -9` one mid-flow to see another report its flow), joins and polls through a
 * round-robin proxy. Needs Debian's redis-server.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ENV_SCHEMAS } from '../src/config/app-config';
import { configureLogger } from '../src/observability/logger';
import { DemoStack } from '../demo/web/demo-stack';
import { freePort, RedisServer } from '../test/support/redis-server';
import { RoundRobinProxy } from '../test/support/round-robin-proxy';
import { pollUntil } from '../test/support/wait';
import { launchChromiumSubject } from '../test/support/chromium-subject';

/** The service's own variables found in this process's environment. */
function serviceEnv(): Record<string, string> {
  const known = new Set(Object.values(ENV_SCHEMAS).flatMap((schema) => Object.keys(schema)));
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => known.has(entry[0]) && entry[1] !== undefined),
  );
}

/** Opens the page in headless Chromium, clicks Verify and saves a screenshot once an instruction is showing. */
async function screenshot(stack: DemoStack, file: string): Promise<void> {
  // As a person's browser: no loopback-only WebRTC switch.
  const subject = await launchChromiumSubject({ loopbackIce: false });
  try {
    const page = subject.page;
    await page.goto(stack.url);
    await page.click('#verify');
    await page.waitForFunction(
      () => {
        const video = document.getElementById('service-video') as HTMLVideoElement;
        return video.currentTime > 2 && (document.body.dataset.state ?? '').startsWith('verifying.challenges');
      },
      undefined,
      { timeout: 60_000 },
    );
    const main = await page.locator('main').boundingBox();
    const viewport = page.viewportSize()!;
    await page.screenshot({
      path: file,
      clip: { x: 0, y: 0, width: viewport.width, height: main ? main.y + main.height + 16 : viewport.height },
    });
    console.log(`screenshot saved to ${file}`);
  } finally {
    await subject.close();
  }
}

/** More replicas of the service, each a `node dist/src/main.js` process on a free loopback port; resolves once all are ready. */
async function startReplicas(count: number, env: Record<string, string>): Promise<{ children: ChildProcess[]; urls: string[] }> {
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const child = spawn(process.execPath, [join(__dirname, '..', 'src', 'main.js')], {
      env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    urls.push(`http://127.0.0.1:${port}`);
  }
  const ready = (url: string) =>
    fetch(`${url}/ready`).then(
      (r) => (r.ok ? true : undefined),
      () => undefined,
    );
  await Promise.all(urls.map((url) => pollUntil(() => ready(url), 180_000, `the replica at ${url} to be ready`, 500)));
  return { children, urls };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const shotIndex = args.indexOf('--screenshot');
  const shot = shotIndex >= 0 ? args[shotIndex + 1] : undefined;
  if (shotIndex >= 0 && !shot) throw new Error('--screenshot needs a file name');
  const replicasIndex = args.indexOf('--replicas');
  const replicas = replicasIndex >= 0 ? Number(args[replicasIndex + 1]) : 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 8) throw new Error('--replicas needs a number from 1 to 8');
  const env: Record<string, string> = { LOG_LEVEL: 'warn', ...serviceEnv() };
  let redis: RedisServer | undefined;
  if (replicas > 1) {
    if (spawnSync('redis-server', ['--version']).error) throw new Error('--replicas needs redis-server (apt-get install redis-server)');
    redis = await RedisServer.start({ persist: 'everysec' });
    Object.assign(env, {
      FLOW_STORE: redis.url,
      VISION_API_KEY: randomBytes(24).toString('hex'),
      CALLBACK_INCLUDE_DETAILS: 'true',
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      ROOM_SERVER_ALLOWLIST: '127.0.0.1',
    });
    console.log(`redis-server on ${redis.url}; starting ${replicas - 1} more service processes`);
  }
  const others = replicas > 1 ? await startReplicas(replicas - 1, env) : { children: [], urls: [] };
  // Warnings and verdict failures only, unless LOG_LEVEL asks for more.
  configureLogger(env.LOG_LEVEL);
  console.log('starting the room server, the Vision Service and the demo controller; loading the face models…');
  const stack = await DemoStack.create({
    host: process.env.DEMO_HOST ?? '127.0.0.1',
    port: Number(process.env.DEMO_PORT ?? (shot ? 0 : 5050)),
    env,
    apiKey: env.VISION_API_KEY,
    log: (line) => console.log(`controller received: ${line}`),
  });
  const proxy = others.urls.length > 0 ? await RoundRobinProxy.start([stack.service.baseUrl, ...others.urls]) : undefined;
  if (proxy) stack.apiBaseUrl = proxy.baseUrl;
  const close = async () => {
    for (const child of others.children) child.kill('SIGTERM');
    await Promise.allSettled([stack.close(), proxy?.close()]);
    await Promise.all(others.children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await redis?.close();
  };
  if (shot) {
    try {
      await screenshot(stack, shot);
    } finally {
      await close();
    }
    return;
  }
  if (proxy) {
    console.log(`\n${replicas} replicas: ${[stack.service.baseUrl, ...others.urls].join(', ')} (joins alternate between them)`);
    console.log(`kill -9 ${others.children.map((c) => c.pid).join(' or ')} while it runs your flow: another replica reports it`);
  }
  console.log(`\nOpen ${stack.url} , allow the camera and click Verify. Ctrl+C stops the demo.\n`);
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(`demo: ${error.message}`);
  process.exit(1);
});
