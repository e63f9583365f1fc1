import { num, str } from '../config/env';

export const transportEnv = {
  SERVICE_DISPLAY_NAME: str('Vision Service', 'Display name of the service in the room'),
  TRANSPORT_REQUEST_TIMEOUT_S: num(10, 'Seconds to wait for the answer to one protoo request', { min: 1, max: 60 }),
  // 10: the mirrored picture stays fluid enough to follow a head turn, and each frame less saves ≈ 0.45 % of a core
  // per flow (bench:transport: 16.9 % at 15 fps, 14.7 % at 10).
  INSTRUCTION_VIDEO_FPS: num(10, 'Frame rate of the outgoing instruction video (640x480)', { min: 5, max: 30 }),
};
