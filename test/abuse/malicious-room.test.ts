/**
 * A malicious protoo room server against the real service (a child process running dist/src/main.js, so its RSS
 * and its log lines are its own): it floods `newPeer` notifications with ~900 kB ids for the whole join timeout,
 * or 20,000 `newConsumer` requests. Each flood ends the flow with one failure callback (transport_failed, the
 * message naming the bound), the service's RSS stays within +50 MB and its log within 100 lines for the flow.
 * Loopback only; every server, socket and the child stop themselves (bounded waits, SIGKILL backstop).
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { DemoController } from '../../demo/demo-controller';
import { pollUntil } from '../support/wait';

const MAIN = join(__dirname, '..', '..', 'src', 'main.js');
const MB = 1024 * 1024;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** A protoo server that runs `flood` on every connection until the socket closes or `ms` pass. */
class MaliciousRoom {
  sentBytes = 0;
  answers = 0;
  private constructor(
    readonly server: WebSocketServer,
    readonly port: number,
  ) {}

  static async create(
    flood: (ws: WebSocket, room: MaliciousRoom, stop: () => boolean) => Promise<void>,
    ms: number,
  ): Promise<MaliciousRoom> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'protoo' });
    await new Promise((resolve) => server.once('listening', resolve));
    const room = new MaliciousRoom(server, (server.address() as AddressInfo).port);
    server.on('connection', (ws) => {
      const until = Date.now() + ms;
      ws.on('message', () => room.answers++);
      ws.on('error', () => undefined);
      void flood(ws, room, () => ws.readyState !== WebSocket.OPEN || Date.now() > until).finally(() => ws.terminate());
    });
    return room;
  }

  url(): string {
    return `ws://127.0.0.1:${this.port}/?roomId=evil&peerId=vision`;
  }

  close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Sends `message` once the socket buffers less than 8 MB (the flood goes as fast as the service reads), yielding to
 * the event loop each time so the controller in this process keeps answering.
 */
async function sendPaced(ws: WebSocket, message: string, room: MaliciousRoom, stop: () => boolean): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  while (ws.bufferedAmount > 8 * MB) {
    if (stop()) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (stop()) return false;
  ws.send(message);
  room.sentBytes += message.length;
  return true;
}

describe('a malicious room server', () => {
  let dir: string;
  let controller: DemoController;
  let child: ChildProcess;
  let baseUrl: string;
  const lines: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vision-abuse-'));
    controller = await DemoController.create({ assetsDir: dir, log: () => undefined });
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [MAIN], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ROOM_SERVER_ALLOWLIST: '127.0.0.1',
        OUTBOUND_ALLOWLIST: '127.0.0.1',
        FACE_WORKERS: '1',
        MATCHER_WORKERS: '1',
        CALLBACK_BACKOFF_MS: '100',
        CALLBACK_INCLUDE_DETAILS: 'true',
      },
    });
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = pending + chunk.toString();
      const parts = text.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts);
    });
    child.stderr!.resume();
    setTimeout(() => child.kill('SIGKILL'), 10 * 60_000).unref();
    // Models loaded first, so their memory is not counted against the flood.
    await pollUntil(
      async () => ((await fetch(`${baseUrl}/ready`).catch(() => undefined))?.ok ? true : undefined),
      240_000,
      'the service ready',
      500,
    );
    // One flow first, so what every first flow loads once (WebRTC's native library) is not counted either.
    const closing = await MaliciousRoom.create(async () => undefined, 0);
    try {
      await attack(closing, 'warm-up');
    } finally {
      await closing.close();
    }
  });

  after(async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    await controller.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Exactly one callback for `token`: failure, transport_failed; the flow's message names the bound. */
  function assertOneFailure(token: string, message: string, bound: RegExp): void {
    const callbacks = controller.callbacks.filter((c) => c.token === token);
    assert.deepEqual(
      callbacks.map((c) => c.status),
      ['failure'],
      'exactly one failure callback',
    );
    assert.equal(JSON.parse(callbacks[0].body).reason, 'transport_failed');
    assert.match(message, bound);
  }

  /** Joins the malicious room, samples the child's RSS until the callback, and returns what was measured. */
  async function attack(room: MaliciousRoom, token: string) {
    const rss0 = rssOf(child.pid!);
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 50);
    try {
      const res = await fetch(`${baseUrl}/join-call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ws_url: room.url(), callback_base_url: controller.baseUrl, token, lang: 'en' }),
      });
      const { flow_id: flowId } = (await res.json()) as { flow_id: string };
      assert.equal(res.status, 202);
      await controller.waitForCallbacks(token, 1, 30_000);
      const view = await pollUntil(
        async () => {
          const v = (await (await fetch(`${baseUrl}/flows/${flowId}`)).json()) as { state: string; message: string };
          return v.state === 'done' ? v : undefined;
        },
        10_000,
        'the flow to end',
        100,
      );
      await new Promise((resolve) => setTimeout(resolve, 500)); // let the last lines arrive
      return { flowId, view, growth: peak - rss0, flowLines: lines.filter((l) => l.includes(flowId)).length };
    } finally {
      clearInterval(sampler);
    }
  }

  it('should survive newPeer notifications with ~900 kB ids for the join timeout: one callback, +50 MB RSS at most, ≤ 100 lines', async () => {
    const id = 'x'.repeat(900_000);
    const room = await MaliciousRoom.create(async (ws, r, stop) => {
      for (
        let i = 0;
        await sendPaced(
          ws,
          JSON.stringify({ notification: true, method: 'newPeer', data: { id: `${id}${i}`, displayName: 'p' } }),
          r,
          stop,
        );
        i++
      );
    }, 15_000);
    try {
      const { view, growth, flowLines } = await attack(room, 'flood-peers');
      assertOneFailure('flood-peers', view.message, /ROOM_MAX_MESSAGE_BYTES/);
      assert.ok(growth < 50 * MB, `RSS grew ${(growth / MB).toFixed(1)} MB`);
      assert.ok(flowLines <= 100, `${flowLines} log lines for the flow`);
      console.log(`newPeer flood: ${(room.sentBytes / MB).toFixed(1)} MB sent, RSS +${(growth / MB).toFixed(1)} MB, ${flowLines} lines`);
    } finally {
      await room.close();
    }
  });

  it('should bound 20,000 newConsumer requests: the flow ends naming the rate bound, ≤ 100 log lines', async () => {
    const room = await MaliciousRoom.create(async (ws, r, stop) => {
      for (let i = 0; i < 20_000; i++) {
        const request = {
          request: true,
          id: i + 1,
          method: 'newConsumer',
          data: { peerId: 'p', producerId: `p${i}`, id: `c${i}`, kind: 'video' },
        };
        if (!(await sendPaced(ws, JSON.stringify(request), r, stop))) return;
      }
      while (!stop()) await new Promise((resolve) => setTimeout(resolve, 50));
    }, 15_000);
    try {
      const { view, growth, flowLines } = await attack(room, 'flood-consumers');
      assertOneFailure('flood-consumers', view.message, /ROOM_MAX_MESSAGES_PER_S/);
      // At most 200 messages in a second are taken (ROOM_MAX_MESSAGES_PER_S); the service's own first request besides.
      assert.ok(room.answers <= 201, `${room.answers} messages from the service (the rate bound is 200 a second)`);
      assert.ok(flowLines <= 100, `${flowLines} log lines for the flow`);
      console.log(`newConsumer flood: ${room.answers} answered, RSS +${(growth / MB).toFixed(1)} MB, ${flowLines} lines`);
    } finally {
      await room.close();
    }
  });
});
