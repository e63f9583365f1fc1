import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pollUntil } from '../support/wait';

const MAIN = join(__dirname, '..', '..', 'src', 'main.js');
const API_KEY = 'sekrit-0123456789';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** `node dist/src/main.js` in `cwd` with only these variables (and PATH); optionally in a loopback-only netns. */
class ServiceProcess {
  readonly lines: LogLine[] = [];
  readonly raw: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(cwd: string, env: Record<string, string>, isolated = false) {
    const node = [process.execPath, MAIN];
    const [command, ...args] = isolated ? ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', ...node] : node;
    this.child = spawn(command, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    const onData = (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) {
        this.raw.push(line);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line (e.g. a native library's output)
        }
      }
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  line(pattern: RegExp, timeoutMs = 60_000): Promise<LogLine> {
    return pollUntil(async () => this.lines.find((l) => pattern.test(l.msg)), timeoutMs, `a log line ${pattern}`, 50);
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(killer);
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe(
  'service start-up: .env, 2060 names, exposure warning, secrets in logs, challenges the engine cannot run (issues 13.15, 14.12, 14.13, 11)',
  { timeout: 180_000 },
  () => {
    let dir: string;
    const running: ServiceProcess[] = [];
    const start = (env: Record<string, string>, isolated = false) => {
      const service = new ServiceProcess(dir, env, isolated);
      running.push(service);
      return service;
    };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vision-startup-'));
    });

    after(async () => {
      await Promise.all(running.map((s) => s.stop()));
      await rm(dir, { recursive: true, force: true });
    });

    it('should read .env from the working directory, let the environment win, map VERBOSE and warn about 2060-only settings', async () => {
      const port = await freePort();
      await writeFile(
        join(dir, '.env'),
        [
          `PORT=${port}`,
          'HOST=0.0.0.0',
          'VERBOSE=true',
          'GLASSES_DETECTOR_MODE=OFF',
          'ENABLE_DEBUG_ENDPOINTS=false',
          'NUMBER_OF_GESTURES_TO_REQUEST=2',
        ].join('\n'),
      );
      // The environment overrides .env's HOST; VISION_API_KEY is set so no exposure warning is due.
      const service = start({ HOST: '127.0.0.1', VISION_API_KEY: API_KEY });
      await service.line(/^listening on http:\/\/127\.0\.0\.1:/);
      const read = await service.line(/^configuration: read /);
      assert.ok(read.msg.includes(join(dir, '.env')), read.msg);
      for (const name of ['GLASSES_DETECTOR_MODE', 'ENABLE_DEBUG_ENDPOINTS']) {
        const warning = await service.line(new RegExp(`^${name} is a 2060 vision service setting with no effect`));
        assert.equal(warning.level, 40);
      }
      assert.ok(!service.lines.some((l) => /NUMBER_OF_GESTURES_TO_REQUEST|VERBOSE is/.test(l.msg)), 'a supported name was warned about');
      assert.ok(!service.lines.some((l) => /without VISION_API_KEY/.test(l.msg)));

      // VERBOSE=true: request lines (debug) are logged, with every secret redacted.
      const base = `http://127.0.0.1:${port}`;
      await fetch(`${base}/flows/x?api_key=${API_KEY}&token=${API_KEY}&signature=${API_KEY}&page=2`, { headers: { 'x-api-key': API_KEY } });
      await fetch(`${base}/flows/y?access_token=${API_KEY}`, { headers: { authorization: `Bearer ${API_KEY}`, cookie: `s=${API_KEY}` } });
      const requestLine = await service.line(/request completed|request errored/);
      assert.equal(requestLine.level, 20);
      await pollUntil(
        async () => (service.raw.filter((l) => l.includes('/flows/y')).length > 0 ? true : undefined),
        10_000,
        'the second request line',
        50,
      );
      assert.ok(
        service.raw.some((l) => l.includes('page=2')),
        'the harmless query parameter is kept',
      );
      const leaks = service.raw.filter((l) => l.includes(API_KEY));
      assert.deepEqual(leaks, [], 'the API key was logged');
      assert.ok(service.raw.some((l) => l.includes('[Redacted]')));
    });

    it('should warn when bound to a non-loopback address without VISION_API_KEY', async () => {
      await rm(join(dir, '.env'));
      // In a network namespace with only loopback up: 0.0.0.0 reaches nothing else.
      const service = start({ HOST: '0.0.0.0', PORT: String(await freePort()) }, true);
      const quiet = start({ HOST: '127.0.0.1', PORT: String(await freePort()) });
      const warning = await service.line(/^bound to 0\.0\.0\.0 without VISION_API_KEY/);
      assert.equal(warning.level, 40);
      assert.ok(service.lines.some((l) => /^configuration: environment only/.test(l.msg)));
      await quiet.line(/^listening on/);
      assert.ok(!quiet.lines.some((l) => /without VISION_API_KEY/.test(l.msg)));
    });
  },
);
