import { loadConfig } from '../../src/config/app-config';
import { flowLog } from '../../src/observability/logger';
import { ProtooTransport } from '../../src/transport/protoo-transport';
import type { JoinRequest } from '../../src/transport/transport.port';

/** Seconds the tests give one protoo request (the service's default is 10). */
export const TEST_REQUEST_TIMEOUT_S = 2;

/**
 * A ProtooTransport built as the service builds it, from its validated configuration: allowed to reach the
 * loopback room server, 2 s per protoo request, 15 fps out; `env` on top.
 */
export function loopbackTransport(env: Record<string, string> = {}): ProtooTransport {
  return ProtooTransport.fromConfig(
    loadConfig({
      ROOM_SERVER_ALLOWLIST: '127.0.0.1',
      TRANSPORT_REQUEST_TIMEOUT_S: String(TEST_REQUEST_TIMEOUT_S),
      INSTRUCTION_VIDEO_FPS: '15',
      ...env,
    }),
  );
}

/** What a flow asks the transport to join, with the flow's logger. */
export function joinRequest(flowId: string, wsUrl: string, displayName = 'Vision'): JoinRequest {
  return { flowId, wsUrl, displayName, log: flowLog(flowId) };
}
