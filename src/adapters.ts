import { VisionError } from './common/errors';
import type { AppConfig } from './config/app-config';
import type { FaceAnalysisPort } from './face/face-analysis.port';
import type { MatcherPort } from './matcher/matcher.port';
import type { TransportPort } from './transport/transport.port';

// Wiring of the adapters whose real implementations land with the transport, face and matcher issues.
// Until then each one refuses honestly, so a flow ends with exactly one failure callback.

export function createTransport(_config: AppConfig): TransportPort {
  return {
    join: async () => {
      throw new VisionError('transport_failed', 'the WebRTC transport is not built into this version');
    },
  };
}

export function createFaceEngine(_config: AppConfig): FaceAnalysisPort {
  const unavailable = () => {
    throw new VisionError('internal_error', 'the face engine is not built into this version');
  };
  return { ready: async () => undefined, analyze: async () => unavailable(), toRgb: unavailable };
}

export function createEmbeddedMatcher(_config: AppConfig): MatcherPort {
  return {
    compare: async () => {
      throw new VisionError('matcher_unavailable', 'no VISION_MATCHER_BASE_URL and the embedded matcher is not built into this version');
    },
  };
}
