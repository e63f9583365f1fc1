import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CallbackError, FlowOutcome } from '../../src/callbacks/callback.port';
import { HttpCallbackAdapter } from '../../src/callbacks/http-callback.adapter';
import { OutboundGuard } from '../../src/outbound/outbound-guard';
import { fetchLimited, ImageLoadError } from '../../src/references/image-loader';
import { flowLog } from '../../src/observability/logger';

/** Where the adapters under test log (the flow's logger in the service). */
const testLog = flowLog('ssrf-matrix');

/** A real listener on 127.0.0.1 that counts the connections it gets; answers 200, or redirects when told. */
async function listener(redirectTo?: () => string): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    if (redirectTo) res.writeHead(307, { location: redirectTo() }).end();
    else res.writeHead(200, { 'content-type': 'image/jpeg' }).end('ok');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** Every spelling of "this host" the address guard must see through. */
function loopbackSpellings(port: number): string[] {
  return [
    `http://127.0.0.1:${port}/`,
    `http://127.1:${port}/`,
    `http://2130706433:${port}/`,
    `http://0x7f000001:${port}/`,
    `http://0177.0.0.1:${port}/`,
    `http://localhost:${port}/`,
    `http://0.0.0.0:${port}/`,
    `http://[::]:${port}/`,
    `http://[::1]:${port}/`,
    `http://[::127.0.0.1]:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://[::ffff:0:127.0.0.1]:${port}/`,
    `http://[64:ff9b::127.0.0.1]:${port}/`,
    `http://[64:ff9b:1::127.0.0.1]:${port}/`,
    `http://[2002:7f00:1::]:${port}/`,
    `http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${port}/`,
    `http://[fec0::1]:${port}/`,
  ];
}

const outcome: FlowOutcome = { status: 'success', challenges: [] };

describe('SSRF matrix against a real listener', () => {
  const strict = new OutboundGuard({ allowPrivate: false, allowlist: [] });
  const open = new OutboundGuard({ allowPrivate: true, allowlist: [] });
  let target: Awaited<ReturnType<typeof listener>>;

  before(async () => {
    target = await listener();
  });

  after(async () => {
    await Promise.all([strict.close(), open.close()]);
    target.server.close();
  });

  const fetchWith = (guard: OutboundGuard, url: string) =>
    fetchLimited(url, { maxBytes: 1024, timeoutMs: 3000, maxRedirects: 2, outbound: guard }, AbortSignal.timeout(5000));

  it('should refuse every loopback spelling for references and /face_match URLs, and connect to none', async () => {
    for (const url of loopbackSpellings(target.port)) {
      await assert.rejects(fetchWith(strict, url), (error: ImageLoadError) => {
        assert.equal(error.reason, 'blocked_address', `${url}: ${error.message}`);
        return true;
      });
    }
    assert.equal(target.connections(), 0);
  });

  it('should refuse every loopback spelling for callbacks, final (no retry), and connect to none', async () => {
    const callbacks = new HttpCallbackAdapter({ includeDetails: false, timeoutMs: 3000, outbound: strict });
    for (const base of loopbackSpellings(target.port)) {
      await assert.rejects(
        callbacks.send({ flowId: 'f', token: 't', callbackBaseUrl: base }, outcome, 1, AbortSignal.timeout(5000), testLog),
        (error: CallbackError) => {
          assert.match(error.message, /refused/, base);
          assert.equal(error.retryable, false, base);
          return true;
        },
      );
    }
    assert.equal(target.connections(), 0);
  });

  it('should reach the same listener where loopback is allowed (0.0.0.0 as loopback), so the refusals above are the guard', async () => {
    const before = target.connections();
    for (const url of [`http://127.0.0.1:${target.port}/`, `http://0.0.0.0:${target.port}/`]) {
      assert.equal(Buffer.from(await fetchWith(open, url)).toString(), 'ok', url);
    }
    assert.ok(target.connections() > before);
  });

  it('should re-check a redirect: allowlisted host:port redirecting to another loopback port is refused there', async () => {
    const inner = await listener();
    const outer = await listener(() => `http://127.0.0.1:${inner.port}/`);
    const guard = new OutboundGuard({ allowPrivate: false, allowlist: [`127.0.0.1:${outer.port}`] });
    try {
      await assert.rejects(
        fetchWith(guard, `http://127.0.0.1:${outer.port}/`),
        (error: ImageLoadError) => error.reason === 'blocked_address',
      );
      assert.equal(outer.connections(), 1);
      assert.equal(inner.connections(), 0);
    } finally {
      await guard.close();
      inner.server.close();
      outer.server.close();
    }
  });
});
