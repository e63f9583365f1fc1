import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ChromiumProcess } from '../support/tasks-vision/chromium';
import { TasksVisionFaceEngine } from '../support/tasks-vision/tasks-vision-face.engine';
import { analyzeClip } from '../support/video-frames';
import { fixturesDir, REPO_ROOT } from '../support/fixtures';
import { CHROMIUM, skipWithoutChromium } from './support';

const PATCH_SCRIPT = join(REPO_ROOT, 'scripts', 'patch-mediapipe.mjs');
const LOGGER_HOST = 'odml.pa.googleapis.com';

const LOOPBACK = /^(127\.0\.0\.1|\[::1\]|::1)(:\d+)?$/;

/**
 * What Chromium's net log says left the process: URLs it requested, addresses it opened TCP connections to or
 * got from the resolver, and datagrams it sent. (A UDP connect() without a send is Chromium's IPv6 reachability
 * probe: it only asks the kernel for a route and sends nothing.)
 */
function netLogTraffic(file: string): { urls: string[]; tcp: string[]; resolved: string[]; udpSends: number; text: string } {
  let text = readFileSync(file, 'utf8');
  // Chromium ends the file on a clean exit; tolerate a missing tail anyway.
  if (!text.trimEnd().endsWith('}')) text = `${text.replace(/,\s*$/, '')}]}`;
  const log = JSON.parse(text) as {
    constants: { logEventTypes: Record<string, number> };
    events: { type: number; params?: Record<string, unknown> }[];
  };
  const name = new Map(Object.entries(log.constants.logEventTypes).map(([k, v]) => [v, k]));
  const urls = new Set<string>();
  const tcp: string[] = [];
  const resolved: string[] = [];
  let udpSends = 0;
  for (const e of log.events) {
    const type = name.get(e.type) ?? '';
    const p = e.params ?? {};
    if (type === 'URL_REQUEST_START_JOB' && typeof p.url === 'string') urls.add(p.url);
    if (type === 'TCP_CONNECT_ATTEMPT' && typeof p.address === 'string') tcp.push(p.address);
    if (type === 'TCP_CONNECT' && typeof p.remote_address === 'string') tcp.push(p.remote_address);
    if (Array.isArray(p.address_list)) resolved.push(...(p.address_list as string[]));
    if (type === 'UDP_BYTES_SENT') udpSends++;
  }
  return { urls: [...urls], tcp, resolved, udpSends, text };
}

describe(
  'tasks-vision reference (headless Chromium) privacy: nothing leaves 127.0.0.1',
  { skip: skipWithoutChromium, timeout: 5 * 60_000 },
  () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'mp-privacy-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('the installed tasks-vision bundles no longer construct the usage logger', () => {
      const packageDir = dirname(require.resolve('@mediapipe/tasks-vision'));
      for (const name of ['vision_bundle.js', 'vision_bundle.mjs', 'vision_bundle.cjs']) {
        const source = readFileSync(join(packageDir, name), 'utf8');
        assert.ok(source.includes('/*vision-service: usage logger removed*/'), name);
        assert.doesNotMatch(source, /t\.o=new [A-Za-z_$][\w$]*\(t\.D\(\),e,r\)/, name);
      }
    });

    test('a whole engine life (start, frames, close) only talks to its own loopback server', async () => {
      const netLog = join(dir, 'engine-netlog.json');
      const engine = TasksVisionFaceEngine.create({ chromiumPath: CHROMIUM, extraChromiumArgs: [`--log-net-log=${netLog}`] });
      let served: readonly string[];
      try {
        await engine.ready();
        const { observations } = await analyzeClip(engine, join(fixturesDir(), 'videos', 'liveportrait_d0.mp4'), {
          fps: 10,
          duration: 1.5,
        });
        assert.ok(observations.some((o) => o.faceCount === 1));
        served = [...engine.servedRequests()];
      } finally {
        await engine.close();
      }
      assert.deepEqual([...served].sort(), [
        'GET /',
        'GET /model/face_landmarker.task',
        'GET /page.js',
        'GET /vision_bundle.js',
        'GET /wasm/vision_wasm_internal.js',
        'GET /wasm/vision_wasm_internal.wasm',
        'UPGRADE /frames',
      ]);
      const traffic = netLogTraffic(netLog);
      // The patched bundle never even tries the usage-logger endpoint.
      assert.ok(!traffic.text.includes(LOGGER_HOST), 'the usage-logger endpoint appears in the net log');
      assert.ok(
        traffic.urls.some((u) => u.startsWith('http://127.0.0.1:')),
        'the net log recorded the page loads',
      );
      // Chromium's own background requests (updater, account check) may be started but never get an address.
      assert.ok(traffic.tcp.length > 0);
      for (const address of traffic.tcp) assert.match(address, LOOPBACK, `TCP connection to ${address}`);
      for (const address of traffic.resolved) assert.match(address, LOOPBACK, `resolved to ${address}`);
      assert.equal(traffic.udpSends, 0, 'datagrams sent');
    });

    test('Chromium with the engine flags cannot reach other hosts even from a page without CSP', async () => {
      const reports: string[] = [];
      const page = `<!doctype html><script>
      const probe = (url) => fetch(url, { method: 'POST', body: 'x' }).then(() => 'reached', (e) => 'blocked: ' + e.message);
      Promise.all([probe('https://${LOGGER_HOST}/v1/log'), probe('http://example.com/'), probe('/echo')])
        .then((r) => fetch('/report', { method: 'POST', body: JSON.stringify(r) }));
    </script>`;
      const server: Server = createServer((req, res) => {
        if (req.url === '/report') {
          let body = '';
          req.on('data', (d) => (body += d));
          req.on('end', () => {
            reports.push(body);
            res.end();
          });
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/html' }).end(req.url === '/' ? page : 'ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const chromium = ChromiumProcess.launch({
        executablePath: CHROMIUM,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      });
      try {
        for (let i = 0; i < 300 && reports.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      } finally {
        await chromium.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      assert.equal(reports.length, 1, 'the probe page reported back');
      const [logger, other, loopback] = JSON.parse(reports[0]) as string[];
      assert.match(logger, /^blocked/);
      assert.match(other, /^blocked/);
      assert.equal(loopback, 'reached');
    });
  },
);

describe('scripts/patch-mediapipe.mjs', () => {
  function fakePackage(bundle: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'mp-patch-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '9.9.9' }));
    for (const name of ['vision_bundle.mjs', 'vision_bundle.cjs', 'vision_bundle.js']) writeFileSync(join(dir, name), bundle);
    return dir;
  }
  const run = (dir: string) => spawnSync(process.execPath, [PATCH_SCRIPT, dir], { encoding: 'utf8' });

  test('removes the logger construction once and is idempotent', () => {
    const dir = fakePackage('a();function(t,e){var r=t.h.Ta();t.o=new Xy(t.D(),e,r)}(t,n);t.o?.close()');
    try {
      const first = run(dir);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /vision_bundle\.js: patched/);
      const patched = readFileSync(join(dir, 'vision_bundle.js'), 'utf8');
      assert.ok(patched.includes('t.o=void 0') && !patched.includes('new Xy('));
      const second = run(dir);
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /already patched/);
      assert.equal(readFileSync(join(dir, 'vision_bundle.js'), 'utf8'), patched);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fails loudly when the pattern is missing (a new tasks-vision must be re-read)', () => {
    const dir = fakePackage('a();t.logger=new Logger(t.D(),e,r)');
    try {
      const result = run(dir);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /patch-mediapipe FAILED: .*found 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
