/**
 * The transport adapter against a real mediasoup SFU on 127.0.0.1 with a real WebRTC subject peer. Waits are
 * bounded; no assertion is about speed (that is bench:transport).
 */
import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { VisionError } from '../../src/common/errors';
import { configureLogger } from '../../src/observability/logger';
import { defaultsOf } from '../../src/config/env';
import { ProtooTransport } from '../../src/transport/protoo-transport';
import { transportEnv, transportSettings } from '../../src/transport/transport.env';
import { joinRequest, loopbackTransport, TEST_REQUEST_TIMEOUT_S } from '../support/loopback-transport';
import type { RoomConnection } from '../../src/transport/transport.port';
import { fixture } from '../support/fixtures';
import { lumaStats } from '../support/frame-marker';
import { RoomServer } from '../support/room-server';
import { SubjectBot } from '../support/subject-bot';
import { recordingListener, waitUntil } from '../support/wait';

/** The flow's join timeout in these tests: the flow aborts a join that takes longer (the transport has no deadline). */
const JOIN_TIMEOUT_MS = 3000;
const CLIP = () => fixture('videos', 'blink_webcam_viet281101.webm');
const signal = () => new AbortController().signal;

configureLogger(process.env.TEST_LOG_LEVEL ?? 'error');

describe(ProtooTransport.name, () => {
  let server: RoomServer;
  let transport: ProtooTransport;
  let room = 0;
  const nextRoom = () => `room-${++room}`;

  before(async () => {
    server = await RoomServer.create();
    transport = loopbackTransport();
  });
  after(async () => {
    await transport.close();
    await server.close();
  });

  it('should receive at least 80 % of the subject frames from a real clip through the SFU', async () => {
    const roomId = nextRoom();
    const listener = recordingListener();
    const connection = await transport.join(joinRequest('f1', server.url(roomId, 'vision')), listener, signal());
    const bot = await SubjectBot.join({ wsUrl: server.url(roomId, 'subject'), video: { kind: 'clip', file: CLIP(), seconds: 2 }, fps: 15 });
    try {
      await waitUntil(() => listener.frames.count > 0, 8000, 'the first subject frame');
      assert.deepEqual(listener.events, ['started']);
      const sent0 = bot.framesSent;
      // Every decoded frame goes straight to the listener (the flow's frame gate): no buffer drops one before it.
      const received0 = listener.frames.count;
      await waitUntil(() => bot.framesSent - sent0 >= 45, 8000, '45 more frames sent by the bot');
      await new Promise((resolve) => setTimeout(resolve, 300)); // frames in flight
      const received = listener.frames.count - received0;
      const sent = bot.framesSent - sent0;
      assert.ok(received >= 0.8 * sent, `received ${received} of ${sent} frames`);
      const frame = listener.frames.last;
      assert.ok(frame && frame.width === 640 && frame.data.length === (frame.width * frame.height * 3) / 2, 'I420 frames of the clip size');
    } finally {
      bot.close();
      await connection.close();
    }
  });

  it('should send the subject their own video mirrored, with the instruction drawn over it', async () => {
    const roomId = nextRoom();
    const connection = await transport.join(joinRequest('f2', server.url(roomId, 'vision')), recordingListener(), signal());
    const bot = await SubjectBot.join({ wsUrl: server.url(roomId, 'subject'), video: { kind: 'halves' } });
    try {
      connection.show({ phase: 'instructing', text: 'Mira a la cámara. Te pediremos unos gestos: ñandú, acción.' });
      await waitUntil(() => bot.received.count >= 30, 10000, '30 frames at the bot');
      const seen = bot.received.last;
      assert.ok(seen);
      // The service's default size (INSTRUCTION_VIDEO_SIZE); positions below are in 640x480 layout units.
      const size = transportSettings(defaultsOf(transportEnv)).videoSize;
      assert.equal(seen.width, size.width);
      assert.equal(seen.height, size.height);
      const px = (v: number) => Math.round((v * size.width) / 640);
      const at = (x0: number, y0: number, x1: number, y1: number) => lumaStats(seen, px(x0), px(y0), px(x1), px(y1));
      // The bot sends left dark (60), right bright (200); mirrored, the plain middle rows show it the other way.
      const left = at(10, 200, 150, 320);
      const right = at(490, 200, 630, 320);
      assert.ok(left.mean > 170 && right.mean < 90, `mirrored halves, got left ${left.mean.toFixed(0)} right ${right.mean.toFixed(0)}`);
      assert.ok(left.std < 12 && right.std < 12, 'plain regions are flat');
      // The instruction band: darkened background with white outlined text.
      const band = at(0, 10, 640, 70);
      assert.ok(band.std > 30, `instruction band has text (std ${band.std.toFixed(1)})`);
      assert.ok(band.mean < (left.mean + right.mean) / 2, 'instruction band is darkened');
    } finally {
      bot.close();
      await connection.close();
    }
  });

  it('should tell the subject left when their peer leaves, then leave the room cleanly', async () => {
    const roomId = nextRoom();
    const listener = recordingListener();
    const connection = await transport.join(joinRequest('f3', server.url(roomId, 'vision')), listener, signal());
    const bot = await SubjectBot.join({ wsUrl: server.url(roomId, 'subject'), video: { kind: 'flat', luma: 120 } });
    await waitUntil(() => listener.events.includes('started'), 8000, 'the subject video');
    bot.close();
    await waitUntil(() => listener.events.includes('left'), 5000, 'onSubjectLeft');
    const leaves = server.leaveRoomCalls;
    await connection.close();
    await connection.close(); // idempotent
    assert.deepEqual(listener.events, ['started', 'left']);
    assert.equal(server.leaveRoomCalls, leaves + 1, 'leaveRoom sent once');
    await waitUntil(() => server.peerIds(roomId).length === 0, 2000, 'the room to be empty');
    assert.equal(transport.openConnections, 0);
  });

  it('should stop waiting for an unanswered leaveRoom when the flow stops it, leaving nothing open', async () => {
    const stuck = await RoomServer.create({ leaveRoomUnanswered: true });
    const stuckTransport = loopbackTransport();
    try {
      const connection = await stuckTransport.join(joinRequest('f-stuck', stuck.url('r', 'vision')), recordingListener(), signal());
      const started = performance.now();
      // As the flow machine at its leave timeout: the wait is cut, the room released at once.
      await connection.close(AbortSignal.timeout(200));
      const elapsed = performance.now() - started;
      assert.equal(stuck.leaveRoomCalls, 1, 'leaveRoom was sent');
      assert.ok(elapsed < TEST_REQUEST_TIMEOUT_S * 1000 - 500, `released after ${elapsed.toFixed(0)} ms, not at the request timeout`);
      assert.equal(stuckTransport.openConnections, 0);
      await waitUntil(() => stuck.peerIds('r').length === 0, 2000, 'the room to be empty');
    } finally {
      await stuckTransport.close();
      await stuck.close();
    }
  });

  it('should keep two connections in two rooms apart', async () => {
    const [roomA, roomB] = [nextRoom(), nextRoom()];
    const a = recordingListener();
    const b = recordingListener();
    const connections: RoomConnection[] = await Promise.all([
      transport.join(joinRequest('fa', server.url(roomA, 'vision')), a, signal()),
      transport.join(joinRequest('fb', server.url(roomB, 'vision')), b, signal()),
    ]);
    const bots = await Promise.all([
      SubjectBot.join({ wsUrl: server.url(roomA, 'subject'), video: { kind: 'flat', luma: 50 } }),
      SubjectBot.join({ wsUrl: server.url(roomB, 'subject'), video: { kind: 'flat', luma: 210 } }),
    ]);
    try {
      connections[0].show({ phase: 'processing', text: 'A' });
      connections[1].show({ phase: 'processing', text: 'B' });
      await waitUntil(() => a.frames.count > 10 && b.frames.count > 10, 8000, 'frames in both rooms');
      await waitUntil(() => bots[0].received.count > 10 && bots[1].received.count > 10, 8000, 'video at both bots');
      const mean = (f: typeof a.frames.last) => lumaStats(f!, 0, 0, f!.width, f!.height).mean;
      assert.ok(Math.abs(mean(a.frames.last) - 50) < 15, 'room A sees its subject');
      assert.ok(Math.abs(mean(b.frames.last) - 210) < 15, 'room B sees its subject');
      // Each bot gets its own background back (a corner outside the status panel).
      assert.ok(Math.abs(lumaStats(bots[0].received.last!, 0, 0, 40, 40).mean - 50) < 15);
      assert.ok(Math.abs(lumaStats(bots[1].received.last!, 0, 0, 40, 40).mean - 210) < 15);
      bots[0].close();
      await waitUntil(() => a.events.includes('left'), 5000, 'subject A left');
      assert.ok(!b.events.includes('left'), 'room B is not affected');
    } finally {
      for (const bot of bots) bot.close();
      await Promise.all(connections.map((c) => c.close()));
    }
  });
});

describe(`${ProtooTransport.name} failures`, () => {
  const transport = loopbackTransport();
  after(() => transport.close());

  /** Joins as a flow does (aborted at its join timeout, or at `abortAfterMs`) and expects the rejection. */
  async function assertJoinFails(wsUrl: string, pattern: RegExp, abortAfterMs = JOIN_TIMEOUT_MS): Promise<void> {
    const started = performance.now();
    await assert.rejects(
      transport.join(joinRequest('x', wsUrl), recordingListener(), AbortSignal.timeout(abortAfterMs)),
      (error: unknown) => error instanceof VisionError && error.reason === 'transport_failed' && pattern.test(error.message),
    );
    assert.ok(performance.now() - started < JOIN_TIMEOUT_MS + 1500, 'rejected within the join timeout');
    assert.equal(transport.openConnections, 0);
  }

  async function listen(server: Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  it('should fail when the room server shuts down', async () => {
    const server = await RoomServer.create();
    const listener = recordingListener();
    try {
      const connection = await transport.join(joinRequest('f5', server.url('r', 'vision')), listener, signal());
      await server.close();
      await waitUntil(() => listener.events.includes('failed'), 5000, 'onFailed');
      assert.equal((listener.errors[0] as VisionError).reason, 'transport_failed');
      await connection.close();
      assert.equal(transport.openConnections, 0);
    } finally {
      await server.close();
    }
  });

  it('should reject the join when ws_url points at a closed port', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    await assertJoinFails(`ws://127.0.0.1:${port}/?roomId=r&peerId=p`, /cannot open the protoo WebSocket|closed/);
  });

  it('should reject the join when ws_url points at a plain HTTP server', async () => {
    const http = createServer((_req, res) => res.end('not protoo'));
    const port = await listen(http);
    try {
      await assertJoinFails(`ws://127.0.0.1:${port}/?roomId=r&peerId=p`, /protoo WebSocket|closed/);
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('should reject the join when the server accepts the connection and never answers', async () => {
    const silent = createServer();
    const held: Socket[] = [];
    silent.on('upgrade', (_req, socket: Socket) => held.push(socket)); // never completes the handshake
    const port = await listen(silent);
    try {
      await assertJoinFails(`ws://127.0.0.1:${port}/?roomId=r&peerId=p`, /timed out/);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('should reject a join stuck behind an open socket as soon as the flow aborts it, leaving nothing open', async () => {
    const mute = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'protoo' }); // never answers
    await new Promise((resolve) => mute.once('listening', resolve));
    try {
      const started = performance.now();
      await assertJoinFails(`ws://127.0.0.1:${(mute.address() as AddressInfo).port}/?roomId=r&peerId=p`, /cancelled/, 300);
      assert.ok(performance.now() - started < TEST_REQUEST_TIMEOUT_S * 1000, 'rejected at the abort, before any request timeout');
      await waitUntil(() => mute.clients.size === 0, 2000, 'the socket to be closed');
    } finally {
      for (const ws of mute.clients) ws.terminate();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('should reject a server that refuses the join', async () => {
    const server = await RoomServer.create();
    try {
      // No peerId: the server rejects the WebSocket request itself.
      await assertJoinFails(`ws://127.0.0.1:${server.port}/?roomId=r`, /protoo WebSocket|closed/);
    } finally {
      await server.close();
    }
  });
});
