import { ProtooTransport } from './transport/protoo-transport';
import { availableParallelism } from 'node:os';
import { HumanFaceEngine } from './face/human/human-face.engine';
import { MediaPipeFaceEngine } from './face/mediapipe/mediapipe-face.engine';
import { HttpCallbackAdapter } from './callbacks/http-callback.adapter';
import type { CallbackPort } from './callbacks/callback.port';
import { VisionError } from './common/errors';
import type { OutboundGuard } from './outbound/outbound-guard';
import { componentLog } from './observability/logger';
import type { Metrics } from './observability/metrics';
import { HttpReferenceAdapter } from './references/http-reference.adapter';
import type { ReferencePort } from './references/reference.port';
import { RemoteMatcherAdapter } from './matcher/remote-matcher.adapter';
import { EmbeddedMatcher } from './matcher/embedded/embedded-matcher';
import { REMOTE_DEFAULT_THRESHOLD } from './matcher/matcher.env';
import type { AppConfig } from './config/app-config';
import type { FaceAnalysisPort } from './face/face-analysis.port';
import type { WorkerFaceEngine } from './face/worker-face-engine';
import type { FaceEngineName } from './face/face.env';
import type { MatcherPort } from './matcher/matcher.port';
import type { TransportPort } from './transport/transport.port';

/** The real adapter of each port, built from the configuration. */

export function createReferenceAdapter(config: AppConfig, outbound: OutboundGuard, metrics: Metrics): ReferencePort {
  const r = config.references;
  return new HttpReferenceAdapter(
    {
      maxCount: r.REFERENCE_MAX_COUNT,
      maxBytes: r.REFERENCE_MAX_BYTES,
      timeoutMs: r.REFERENCE_TIMEOUT_S * 1000,
      maxRedirects: r.REFERENCE_MAX_REDIRECTS,
      outbound,
    },
    (reason) => metrics.referenceFailures.inc({ reason }),
  );
}

export function createCallbackAdapter(config: AppConfig, outbound: OutboundGuard): CallbackPort {
  const c = config.callbacks;
  return new HttpCallbackAdapter({
    includeDetails: c.CALLBACK_INCLUDE_DETAILS,
    hmacSecret: c.CALLBACK_HMAC_SECRET,
    timeoutMs: c.CALLBACK_TIMEOUT_S * 1000,
    outbound,
  });
}

/** The external vision-matcher when VISION_MATCHER_BASE_URL is set, the embedded matcher otherwise. */
export function createMatcher(config: AppConfig): MatcherPort {
  const m = config.matcher;
  if (!m.VISION_MATCHER_BASE_URL) return createEmbeddedMatcher(config);
  componentLog('matcher').info(`using the external vision-matcher at ${m.VISION_MATCHER_BASE_URL}`);
  return new RemoteMatcherAdapter({
    baseUrl: m.VISION_MATCHER_BASE_URL,
    threshold: m.MATCH_THRESHOLD ?? REMOTE_DEFAULT_THRESHOLD,
    policy: m.MATCH_POLICY ?? 'mean',
    timeoutMs: m.MATCHER_TIMEOUT_S * 1000,
  });
}

/** Joins rooms through protoo + mediasoup-client on @roamhq/wrtc. */
export function createTransport(config: AppConfig): TransportPort {
  return ProtooTransport.fromConfig(config);
}

/**
 * The face engine in worker threads: MediaPipe's face landmarker models on onnxruntime (default), or
 * @vladmandic/human on TFJS-WASM (FACE_ENGINE=human; docs/face-engines.md compares them).
 */
export function createFaceEngine(config: AppConfig): FaceAnalysisPort {
  const f = config.face;
  return createNamedFaceEngine(f.FACE_ENGINE, {
    workers: f.FACE_WORKERS || availableParallelism(),
    detectorSkipMs: f.FACE_DETECTOR_SKIP_MS,
    startTimeoutMs: f.FACE_START_TIMEOUT_S * 1000,
  });
}

/** The face engine called `name`, with the settings both have (scripts and tests pick engines by name too). */
export function createNamedFaceEngine(
  name: FaceEngineName,
  settings: { workers: number; detectorSkipMs?: number; startTimeoutMs?: number },
): WorkerFaceEngine {
  return name === 'human' ? HumanFaceEngine.create(settings) : MediaPipeFaceEngine.create(settings);
}

/** The in-process matcher: a face embedding model on TFJS-WASM in worker threads (docs/matching.md). */
export function createEmbeddedMatcher(config: AppConfig): EmbeddedMatcher {
  const m = config.matcher;
  return EmbeddedMatcher.create({
    model: m.MATCHER_MODEL,
    workers: m.MATCHER_WORKERS,
    threshold: m.MATCH_THRESHOLD,
    policy: m.MATCH_POLICY,
    startTimeoutMs: m.MATCHER_START_TIMEOUT_S * 1000,
  });
}
