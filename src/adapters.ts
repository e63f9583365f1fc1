import { ProtooTransport } from './transport/protoo-transport';
import { MediaPipeFaceEngine } from './face/mediapipe/mediapipe-face.engine';
import { HttpCallbackAdapter } from './callbacks/http-callback.adapter';
import type { CallbackPort } from './callbacks/callback.port';
import type { OutboundGuard } from './outbound/outbound-guard';
import { componentLog } from './observability/logger';
import type { Metrics } from './observability/metrics';
import { HttpReferenceAdapter } from './references/http-reference.adapter';
import type { ReferencePort } from './references/reference.port';
import { RemoteMatcherAdapter } from './matcher/remote-matcher.adapter';
import { EmbeddedMatcher } from './matcher/embedded/embedded-matcher';
import type { AppConfig } from './config/app-config';
import type { FaceAnalysisPort } from './face/face-analysis.port';
import type { WorkerFaceEngine } from './face/worker-face-engine';
import type { FaceEngineName } from './face/face.env';
import type { MatcherPort } from './matcher/matcher.port';
import type { TransportPort } from './transport/transport.port';

/** The real adapter of each port, built from the configuration's settings. */

export function createReferenceAdapter(config: AppConfig, outbound: OutboundGuard, metrics: Metrics): ReferencePort {
  return new HttpReferenceAdapter({ ...config.settings.references, outbound }, (reason) => metrics.referenceFailures.inc({ reason }));
}

export function createCallbackAdapter(config: AppConfig, outbound: OutboundGuard): CallbackPort {
  return new HttpCallbackAdapter({ ...config.settings.callbacks.delivery, outbound });
}

/** The external vision-matcher when VISION_MATCHER_BASE_URL is set, the embedded matcher otherwise. */
export function createMatcher(config: AppConfig): MatcherPort {
  const remote = config.settings.matcher.remote;
  if (!remote) return createEmbeddedMatcher(config);
  componentLog('matcher').info(`using the external vision-matcher at ${remote.baseUrl}`);
  return new RemoteMatcherAdapter(remote);
}

/** Joins rooms through protoo + mediasoup-client on @roamhq/wrtc. */
export function createTransport(config: AppConfig): TransportPort {
  return ProtooTransport.fromConfig(config);
}

/** The face engine in worker threads: MediaPipe's face landmarker models on onnxruntime (docs/face-engines.md). */
export function createFaceEngine(config: AppConfig): FaceAnalysisPort {
  const { engine, ...settings } = config.settings.face;
  return createNamedFaceEngine(engine, settings);
}

/** The face engine called `name` (scripts and tests pick engines by name too; FACE_ENGINES has one today). */
export function createNamedFaceEngine(
  name: FaceEngineName,
  settings: { workers: number; detectorSkipMs?: number; startTimeoutMs?: number },
): WorkerFaceEngine {
  switch (name) {
    case 'mediapipe':
      return MediaPipeFaceEngine.create(settings);
  }
}

/** The in-process matcher: a face embedding model on onnxruntime in worker threads (docs/matching.md). */
export function createEmbeddedMatcher(config: AppConfig): EmbeddedMatcher {
  return EmbeddedMatcher.create(config.settings.matcher.embedded);
}
