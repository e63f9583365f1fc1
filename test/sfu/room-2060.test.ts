/**
 * The transport against the test room server taught the 2060 webrtc-server's behaviour (malformed TURN entry with
 * TURN unset, leaveRoom answered by a close, peerLeft, rooms of 2) and a server announcing targets of its choosing
 * (ICE candidates, TURN servers): through the real SFU, with real WebRTC peers, on loopback only.
 */
import assert from 'node:assert/strict';
import { createSocket, Socket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import { Peer, WebSocketTransport } from 'protoo-client';
import { VisionError } from '../../src/common/errors';
import { configureLogger } from '../../src/observability/logger';
import type { ProtooTransport } from '../../src/transport/protoo-transport';
import { joinRequest, loopbackTransport } from '../support/loopback-transport';
import { RoomServer, RoomServerOptions, WEBRTC_SERVER_2060 } from '../support/room-server';
import { SubjectBot } from '../support/subject-bot';
import { recordingListener, waitUntil } from '../support/wait';

configureLogger(process.env.TEST_LOG_LEVEL ?? 'error');

const signal = () => new AbortController().signal;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A UDP port that counts what arrives (a TURN server or ICE target that should, or should not, be contacted). */
async function udpListener(address: string): Promise<{ socket: Socket; port: number; packets: () => number }> {
  const socket = createSocket('udp4');
  let packets = 0;
  socket.on('message', () => packets++);
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return { socket, port: socket.address().port, packets: () => packets };
}

/** Runs `body` with a room server of these options and a transport, and stops both. */
async function withRoom(
  serverOptions: RoomServerOptions,
  transportEnv: Record<string, string>,
  body: (server: RoomServer, transport: ProtooTransport) => Promise<void>,
): Promise<void> {
  const server = await RoomServer.create(serverOptions);
  const transport = loopbackTransport({ INSTRUCTION_VIDEO_FPS: '10', ...transportEnv });
  try {
    await body(server, transport);
  } finally {
    await transport.close();
    await server.close();
  }
}

describe('the room server policy in the transport', () => {
  it('should refuse to connect to a loopback room server that ROOM_SERVER_ALLOWLIST does not list', async () => {
    await withRoom({}, { ROOM_SERVER_ALLOWLIST: '' }, async (server, transport) => {
      await assert.rejects(
        transport.join(joinRequest('refused', server.url('r0', 'vision'), 'V'), recordingListener(), signal()),
        /the room server policy refuses ws_url: .*ROOM_SERVER_ALLOWLIST/,
      );
      assert.deepEqual(server.peerIds('r0'), [], 'nothing connected');
    });
  });
});

describe('the transport in a 2060 room', () => {
  const sockets: Socket[] = [];
  after(() => sockets.forEach((s) => s.close()));

  it('should drop the malformed TURN entry and refused ICE candidates, and still get the video over direct ICE', async () => {
    const target = await udpListener('127.0.0.8');
    sockets.push(target.socket);
    const evil = {
      foundation: 'evil',
      priority: 2 ** 31 - 1,
      ip: '127.0.0.8',
      address: '127.0.0.8',
      port: target.port,
      protocol: 'udp',
      type: 'host',
    };
    await withRoom({ ...WEBRTC_SERVER_2060, extraCandidates: [evil as never] }, {}, async (server, transport) => {
      const listener = recordingListener();
      const connection = await transport.join(joinRequest('turn-unset', server.url('r1', 'vision'), 'V'), listener, signal());
      const bot = await SubjectBot.join({ wsUrl: server.url('r1', 'subject'), video: { kind: 'flat', luma: 90 } });
      try {
        await waitUntil(() => listener.frames.count >= 10, 10000, 'subject frames over direct ICE');
        assert.deepEqual(listener.events, ['started']);
        assert.equal(target.packets(), 0, 'no ICE check reached the candidate the policy refused (127.0.0.8)');
        assert.equal(server.sctpRequests, 0, 'no SCTP offered: no data channel is consumed (13.12)');
      } finally {
        bot.close();
        await connection.close();
      }
    });
  });

  it('should keep and use a valid TURN entry with USE_MEDIASOUP_ICE_RELAY, and never contact a refused one', async () => {
    const allowed = await udpListener('127.0.0.1');
    const refused = await udpListener('127.0.0.9');
    sockets.push(allowed.socket, refused.socket);
    const iceServers = [
      ...WEBRTC_SERVER_2060.iceServers!,
      { urls: `turn:127.0.0.1:${allowed.port}?transport=udp`, username: 'u', credential: 'p' },
      { urls: [`turn:127.0.0.9:${refused.port}?transport=udp`], username: 'u', credential: 'p' },
    ];
    await withRoom({ ...WEBRTC_SERVER_2060, iceServers }, { USE_MEDIASOUP_ICE_RELAY: 'true' }, async (server, transport) => {
      const connection = await transport.join(joinRequest('relay', server.url('r2', 'vision'), 'V'), recordingListener(), signal());
      try {
        await waitUntil(() => allowed.packets() > 0, 8000, 'TURN requests at the allowed TURN server');
        await sleep(500);
        assert.equal(refused.packets(), 0, 'the TURN server at a refused address (127.0.0.9) was never contacted');
        assert.deepEqual(
          server.iceStates('r2', 'vision').filter((s) => s !== 'new'),
          [],
          'relay only: no direct ICE check reached the SFU',
        );
      } finally {
        await connection.close();
      }
    });
  });

  it('should take the 2060 answer to leaveRoom, a close with code 4000, as left at once', async () => {
    await withRoom(WEBRTC_SERVER_2060, {}, async (server, transport) => {
      const connection = await transport.join(joinRequest('leave', server.url('r3', 'vision'), 'V'), recordingListener(), signal());
      const started = performance.now();
      await connection.close();
      const elapsed = performance.now() - started;
      assert.equal(server.leaveRoomCalls, 1);
      // Waiting for an answer that never comes takes the whole protoo request timeout (2 s); the close ends it before.
      assert.ok(elapsed < 1000, `left after ${elapsed.toFixed(0)} ms, not at the request timeout`);
      await waitUntil(() => server.peerIds('r3').length === 0, 3000, 'the room to be empty');
    });
  });

  it('should take peerLeft alone as the subject leaving', async () => {
    await withRoom({ ...WEBRTC_SERVER_2060, leaveNotifications: ['peerLeft'] }, {}, async (server, transport) => {
      const listener = recordingListener();
      const connection = await transport.join(joinRequest('left', server.url('r4', 'vision'), 'V'), listener, signal());
      // A subject that joins without producing: only the notification can tell it left.
      const subject = new Peer(new WebSocketTransport(server.url('r4', 'subject'), { retry: { retries: 0 } }));
      try {
        await new Promise<void>((resolve) => subject.on('open', () => resolve()));
        await subject.request('join', {
          displayName: 'S',
          device: { flag: 'test', name: 'test', version: '1' },
          rtpCapabilities: { codecs: [] },
        });
        subject.close();
        await waitUntil(() => listener.events.includes('left'), 5000, 'the subject to be told gone');
        assert.deepEqual(listener.events, ['left']);
      } finally {
        subject.close();
        await connection.close();
      }
    });
  });

  it('should report "room full" when a third peer is accepted and closed while another vision peer is in the room', async () => {
    await withRoom(WEBRTC_SERVER_2060, {}, async (server, transport) => {
      const bot = await SubjectBot.join({ wsUrl: server.url('r5', 'subject'), video: { kind: 'flat', luma: 90 } });
      const first = await transport.join(joinRequest('first', server.url('r5', 'vision-1'), 'V'), recordingListener(), signal());
      try {
        await assert.rejects(
          transport.join(joinRequest('second', server.url('r5', 'vision-2'), 'V'), recordingListener(), signal()),
          (error: unknown) => {
            assert.ok(error instanceof VisionError && error.reason === 'transport_failed', String(error));
            assert.match(error.message, /^room full: .*flow first/);
            return true;
          },
        );
        assert.equal(server.refusedAsFull, 1);
      } finally {
        bot.close();
        await first.close();
      }
    });
  });
});
