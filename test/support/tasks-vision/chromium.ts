import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';

/** Debian's /usr/bin/chromium is a shell wrapper that adds Google API keys and extension flags: skip it. */
const DEBIAN_WRAPPER = '/usr/bin/chromium';
const DEBIAN_BINARY = '/usr/lib/chromium/chromium';

/**
 * Flags for a headless Chromium that only ever talks to 127.0.0.1: background services off where a flag exists,
 * and every host name except 127.0.0.1 unresolvable, which stops the rest (Chromium 156 still tries its updater
 * and a Google account check; both die at the resolver, see test/mediapipe/privacy.test.ts), no proxy from the
 * environment. WebGL2 (which
 * MediaPipe's image input needs even with the CPU delegate) comes from SwiftShader.
 */
export const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-breakpad',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,NetworkTimeServiceQuerying',
  '--no-proxy-server',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  '--mute-audio',
  '--disable-dev-shm-usage',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  // The page is never shown: keep its timers and frames at full speed.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  // Chromium quits when this pipe closes, so it cannot outlive the service even after a SIGKILL.
  '--remote-debugging-pipe',
];

/** How to start Chromium. */
export interface ChromiumOptions {
  executablePath: string;
  url: string;
  /** Extra flags (tests add a net log). */
  extraArgs?: readonly string[];
}

/** One headless Chromium process with a fresh profile that is deleted when it exits. */
export class ChromiumProcess {
  private readonly exited: Promise<void>;
  private output = '';
  private closed = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly profileDir: string,
  ) {
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      const done = () => {
        rmSync(profileDir, { recursive: true, force: true });
        resolve();
      };
      child.once('exit', done);
      // Failing to spawn emits 'error' and no 'exit'.
      child.once('error', (error) => {
        keep(Buffer.from(error.message));
        done();
      });
    });
  }

  /** Starts Chromium on `url`. Throws if the binary is missing. */
  static launch(options: ChromiumOptions): ChromiumProcess {
    const executable = options.executablePath === DEBIAN_WRAPPER && existsSync(DEBIAN_BINARY) ? DEBIAN_BINARY : options.executablePath;
    if (!existsSync(executable)) throw new Error(`Chromium not found at ${options.executablePath} (apt-get install chromium)`);
    const profileDir = mkdtempSync(join(tmpdir(), 'vision-chromium-'));
    const args = [...CHROMIUM_FLAGS, `--user-data-dir=${profileDir}`, ...(options.extraArgs ?? []), options.url];
    // A bare environment: no proxies, API keys or display inherited from the service.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: profileDir, TMPDIR: tmpdir(), LANG: 'C.UTF-8' };
    const child = spawn(executable, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
    return new ChromiumProcess(child, profileDir);
  }

  /** Process id, while running. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves when the process has exited (for any reason). */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** The last few KB Chromium printed, for error messages. */
  recentOutput(): string {
    return this.output.trim();
  }

  /** Asks Chromium to quit (so it flushes its logs), kills it after `graceMs`. Idempotent. */
  async close(graceMs = 5000): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (this.child.exitCode === null && this.child.signalCode === null) {
        const pipe = this.child.stdio[3] as Writable | null;
        pipe?.write(`${JSON.stringify({ id: 1, method: 'Browser.close' })}\0`);
        const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
        await this.exited;
        clearTimeout(timer);
      }
    }
    await this.exited;
  }
}
