/**
 * A headless Debian Chromium driven by playwright-core, as the subject of a call: its fake camera shows a clip
 * (converted to Y4M in a temporary folder) or, without one, Chromium's own synthetic pattern. The profile and
 * the Y4M are deleted on close(): clip frames are biometric data and never stay on disk.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The Debian `chromium` package. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** `skip` option of suites that drive Chromium: false when it is installed, else the reason the runner prints. */
export const skipWithoutChromium: false | string = existsSync(CHROMIUM_PATH)
  ? false
  : `Chromium is not installed at ${CHROMIUM_PATH}: browser tests skipped (apt-get install chromium; scripts/setup-test-env.sh does)`;

/** What the fake camera shows. */
export interface FakeCamera {
  /** A clip to loop (any format ffmpeg reads); without it, Chromium's synthetic pattern. */
  clip?: string;
  /** Frame rate of the converted clip. Default 15. */
  fps?: number;
}

/** How to start Chromium. */
export interface ChromiumSubjectOptions extends FakeCamera {
  /**
   * Let WebRTC use the loopback interface (needed in a loopback-only namespace). Default true; false behaves as
   * a person's browser does, which only works where the machine has another interface.
   */
  loopbackIce?: boolean;
}

/** A running Chromium with one page. */
export interface ChromiumSubject {
  page: Page;
  context: BrowserContext;
  /** Closes Chromium and deletes its profile and the converted clip. Idempotent. */
  close(): Promise<void>;
}

/** Converts `clip` to a 640x480 4:2:0 Y4M at `fps` (Chromium's file camera reads only Y4M and MJPEG). */
export async function clipToY4m(clip: string, out: string, fps: number): Promise<void> {
  const args = ['-v', 'error', '-y', '-i', clip, '-an', '-vf', `scale=640:480,fps=${fps}`, '-pix_fmt', 'yuv420p', out];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`ffmpeg could not convert ${clip}: ${errors.trim()}`);
}

/** Starts Chromium with a fresh profile, the camera allowed and faked, and every host but 127.0.0.1 unresolvable. */
export async function launchChromiumSubject(options: ChromiumSubjectOptions = {}): Promise<ChromiumSubject> {
  const dir = await mkdtemp(join(tmpdir(), 'vision-chromium-subject-'));
  // Also when the process ends without close() (a failed hook, Ctrl+C through process.exit): the clip is biometric.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-gpu',
    '--disable-quic',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ];
  // WebRTC skips the loopback interface by default; in a loopback-only namespace it is the only one.
  if (options.loopbackIce ?? true) args.push('--allow-loopback-in-peer-connection');
  let context: BrowserContext | undefined;
  try {
    if (options.clip) {
      const y4m = join(dir, 'camera.y4m');
      await clipToY4m(options.clip, y4m, options.fps ?? 15);
      args.push(`--use-file-for-fake-video-capture=${y4m}`);
    }
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args,
      viewport: { width: 1140, height: 800 },
    });
  } catch (error) {
    removeDir();
    process.off('exit', removeDir);
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  let closing: Promise<void> | undefined;
  return {
    page,
    context,
    close: () =>
      (closing ??= (async () => {
        await context.close().catch(() => undefined);
        removeDir();
        process.off('exit', removeDir);
      })()),
  };
}
