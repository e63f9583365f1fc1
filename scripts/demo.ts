/**
 * npm run demo — the whole product on this machine: the room server (real mediasoup SFU), the Vision Service
 * (real face engine, embedded matcher), the demo controller and the subject page. Prints one URL to open.
 *
 * Env: DEMO_HOST (127.0.0.1) and DEMO_PORT (5050) of the page; any service variable (e.g. CHALLENGES=blink,smile,
 * NUMBER_OF_GESTURES_TO_REQUEST=1, LOG_LEVEL=info) is passed to the service.
 * `--screenshot FILE`: instead of waiting for a person, a headless Chromium with its built-in fake camera (a
 * synthetic pattern, no face) clicks Verify and FILE gets a picture of the page mid-flow; then everything stops.
 */
import { ENV_SCHEMAS } from '../src/config/app-config';
import { configureLogger } from '../src/observability/logger';
import { DemoStack } from '../demo/web/demo-stack';
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

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const shotIndex = args.indexOf('--screenshot');
  const shot = shotIndex >= 0 ? args[shotIndex + 1] : undefined;
  if (shotIndex >= 0 && !shot) throw new Error('--screenshot needs a file name');
  const env = { LOG_LEVEL: 'warn', ...serviceEnv() };
  // Warnings and verdict failures only, unless LOG_LEVEL asks for more.
  configureLogger(env.LOG_LEVEL);
  console.log('starting the room server, the Vision Service and the demo controller; loading the face models…');
  const stack = await DemoStack.create({
    host: process.env.DEMO_HOST ?? '127.0.0.1',
    port: Number(process.env.DEMO_PORT ?? (shot ? 0 : 5050)),
    env,
    log: (line) => console.log(`controller received: ${line}`),
  });
  if (shot) {
    try {
      await screenshot(stack, shot);
    } finally {
      await stack.close();
    }
    return;
  }
  console.log(`\nOpen ${stack.url} , allow the camera and click Verify. Ctrl+C stops the demo.\n`);
  const stop = () => void stack.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(`demo: ${error.message}`);
  process.exit(1);
});
