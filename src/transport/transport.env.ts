import { bool, type EnvValues, list, num, oneOf, str } from '../config/env';
import { VIDEO_SIZES, videoSize, type VideoSize } from '../render/instruction-screen';

export const transportEnv = {
  SERVICE_DISPLAY_NAME: str('Vision Service', 'Display name of the service in the room'),
  TRANSPORT_REQUEST_TIMEOUT_S: num(10, 'Seconds to wait for the room server to open the socket, and for the answer to one protoo request', {
    min: 1,
    max: 60,
  }),
  // 10: the mirrored picture stays fluid enough to follow a head turn, and each frame less saves ≈ 0.45 % of a core
  // per flow (bench:transport: 16.9 % at 15 fps, 14.7 % at 10).
  INSTRUCTION_VIDEO_FPS: num(10, 'Frame rate of the outgoing instruction video', { min: 5, max: 30 }),
  // 480x360: the encoder costs ≈ 35 % less than at 640x480 (bench:transport: VP8 thread 3.4–3.7 % of a core per flow
  // against 5.3–5.6 %) and the text stays sharp; 320x240 costs less still, but its text is small and soft.
  INSTRUCTION_VIDEO_SIZE: oneOf(
    VIDEO_SIZES,
    '480x360',
    'Size of the outgoing instruction video; 480x360 costs the VP8 encoder a third less than 640x480, text as sharp',
  ),
  ROOM_SERVER_ALLOWLIST: list(
    [],
    'Room servers (ws_url hosts) allowed although private or loopback: host names, IPs or CIDRs, e.g. webrtc.default.svc.cluster.local,10.0.0.0/8',
  ),
  USE_MEDIASOUP_ICE_RELAY: bool(
    false,
    'ICE through the TURN servers the room hands out only (iceTransportPolicy relay), as the 2060 service',
  ),
  // A join's largest message is the router's RTP capabilities (≈ 10 kB); 2060 messages stay far below 256 kB.
  ROOM_MAX_MESSAGE_BYTES: num(262_144, 'Largest protoo message a room server may send, bytes', { min: 16_384, max: 8_388_608 }),
  // A room sends a few messages a second (scores, bandwidth); a burst at join stays under 50.
  ROOM_MAX_MESSAGES_PER_S: num(200, 'protoo messages a room server may send per second', { min: 20, max: 10_000 }),
  ROOM_MAX_PEERS: num(16, 'Peers of a room the service keeps track of (2060 rooms hold 2)', { min: 2, max: 1000 }),
};

/** How rooms are joined and bounded, ms. */
export interface TransportSettings {
  displayName: string;
  requestTimeoutMs: number;
  fps: number;
  videoSize: VideoSize;
  roomServerAllowlist: readonly string[];
  forceRelay: boolean;
  limits: { maxMessageBytes: number; maxMessagesPerSecond: number; maxPeers: number };
}

export function transportSettings(env: EnvValues<typeof transportEnv>): TransportSettings {
  return {
    displayName: env.SERVICE_DISPLAY_NAME,
    requestTimeoutMs: env.TRANSPORT_REQUEST_TIMEOUT_S * 1000,
    fps: env.INSTRUCTION_VIDEO_FPS,
    videoSize: videoSize(env.INSTRUCTION_VIDEO_SIZE),
    roomServerAllowlist: env.ROOM_SERVER_ALLOWLIST,
    forceRelay: env.USE_MEDIASOUP_ICE_RELAY,
    limits: {
      maxMessageBytes: env.ROOM_MAX_MESSAGE_BYTES,
      maxMessagesPerSecond: env.ROOM_MAX_MESSAGES_PER_S,
      maxPeers: env.ROOM_MAX_PEERS,
    },
  };
}
