import assert from 'node:assert/strict';
import { connect, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RunningApp, startApp } from '../support/app';

/** A raw TCP client of the service that records what it got and when the server closed it. */
class RawClient {
  readonly socket: Socket;
  received = '';
  closedAt?: number;
  readonly startedAt = Date.now();
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => (this.received += chunk.toString('latin1')));
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.closedAt = Date.now();
        resolve();
      }),
    );
  }

  async connected(): Promise<void> {
    if (this.socket.readyState !== 'open') await new Promise((r) => this.socket.once('connect', r));
  }

  /** Writes `text` one byte every `intervalMs` until the server closes the connection or `maxMs` passed. */
  async trickle(text: string, intervalMs: number, maxMs: number): Promise<void> {
    for (let i = 0; this.closedAt === undefined && Date.now() - this.startedAt < maxMs; i = (i + 1) % text.length) {
      this.socket.write(text[i]);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  get lifetimeMs(): number {
    return (this.closedAt ?? Date.now()) - this.startedAt;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const portOf = (app: RunningApp) => Number(new URL(app.baseUrl).port);

describe('slow and hostile HTTP clients (issue 14.9)', () => {
  let service: RunningApp;
  let capped: RunningApp;
  const clients: RawClient[] = [];
  const client = (app: RunningApp) => {
    const c = new RawClient(portOf(app));
    clients.push(c);
    return c;
  };

  before(async () => {
    service = await startApp({ HTTP_REQUEST_TIMEOUT_S: '2', HTTP_HEADERS_TIMEOUT_S: '1' });
    capped = await startApp({ HTTP_MAX_CONNECTIONS: '4' });
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await Promise.all([service.close(), capped.close()]);
  });

  it('should close a client that sends its headers one byte at a time, at the header timeout', async () => {
    const slow = client(service);
    await slow.connected();
    await slow.trickle(
      'POST /join-call HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      100,
      15_000,
    );
    assert.ok(slow.closedAt !== undefined, 'the server kept the slow client');
    // 1 s of header timeout, checked every second: closed after 1–2 s, with margin for a loaded machine.
    assert.ok(slow.lifetimeMs >= 900 && slow.lifetimeMs < 6_000, `closed after ${slow.lifetimeMs} ms`);
    assert.match(slow.received, /^$|^HTTP\/1\.1 408/);
  });

  it('should close a client that sends its body one byte at a time, at the request timeout', async () => {
    const slow = client(service);
    await slow.connected();
    slow.socket.write('POST /join-call HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n');
    await slow.trickle('{"token":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 100, 15_000);
    assert.ok(slow.closedAt !== undefined, 'the server kept the slow client');
    assert.ok(slow.lifetimeMs >= 1_900 && slow.lifetimeMs < 7_000, `closed after ${slow.lifetimeMs} ms`);
    assert.match(slow.received, /^$|^HTTP\/1\.1 408/);
    assert.equal((await fetch(`${service.baseUrl}/health`)).status, 200);
  });

  it('should refuse connections past HTTP_MAX_CONNECTIONS and accept again once they close', async () => {
    const held = Array.from({ length: 4 }, () => client(capped));
    await Promise.all(held.map((c) => c.connected()));
    // Give the server time to accept (and count) all four.
    await new Promise((r) => setTimeout(r, 200));
    const extra = client(capped);
    await extra.connected();
    extra.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await Promise.race([extra.closed, new Promise((r) => setTimeout(r, 5_000))]);
    assert.ok(extra.closedAt !== undefined, 'the fifth connection was kept');
    assert.equal(extra.received, '', 'the fifth connection was answered');
    for (const c of held) c.destroy();
    await Promise.all(held.map((c) => c.closed));
    const again = client(capped);
    await again.connected();
    again.socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await Promise.race([again.closed, new Promise((r) => setTimeout(r, 5_000))]);
    assert.match(again.received, /^HTTP\/1\.1 200/);
  });
});
