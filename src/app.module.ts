import { DynamicModule, Logger, Module, Provider } from '@nestjs/common';
import { FlowsController } from './api/flows.controller';
import { HealthController } from './api/health.controller';
import { CALLBACK_PORT } from './callbacks/callback.port';
import { HttpCallbackAdapter } from './callbacks/http-callback.adapter';
import { Locales } from './common/locales';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { FACE_ANALYSIS_PORT } from './face/face-analysis.port';
import { FlowInspector } from './flow/flow-inspector';
import { FlowService } from './flow/flow.service';
import { ChallengeRegistry } from './liveness/challenge-registry';
import { MATCHER_PORT } from './matcher/matcher.port';
import { RemoteMatcherAdapter } from './matcher/remote-matcher.adapter';
import { HttpReferenceAdapter } from './references/http-reference.adapter';
import { REFERENCE_PORT } from './references/reference.port';
import { TRANSPORT_PORT } from './transport/transport.port';
import { ALL_CHALLENGES } from '../challenges';
import { createEmbeddedMatcher, createFaceEngine, createTransport } from './adapters';

/** Adapters a test may replace (unit-level tests only; integration tests use the real ones). */
export interface AdapterOverrides {
  transport?: unknown;
  face?: unknown;
  references?: unknown;
  matcher?: unknown;
  callbacks?: unknown;
}

function adapter(token: symbol, override: unknown, factory: (config: AppConfig) => unknown): Provider {
  return override !== undefined ? { provide: token, useValue: override } : { provide: token, useFactory: factory, inject: [APP_CONFIG] };
}

function matcherFor(config: AppConfig): unknown {
  const m = config.matcher;
  if (m.VISION_MATCHER_BASE_URL) {
    new Logger('Matcher').log(`using the external vision-matcher at ${m.VISION_MATCHER_BASE_URL}`);
    return new RemoteMatcherAdapter({
      baseUrl: m.VISION_MATCHER_BASE_URL,
      threshold: m.MATCH_THRESHOLD,
      policy: m.MATCH_POLICY,
      timeoutMs: m.MATCHER_TIMEOUT_S * 1000,
    });
  }
  return createEmbeddedMatcher(config);
}

/** The Vision Service application. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, overrides: AdapterOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      controllers: [FlowsController, HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: Locales, useValue: Locales.load() },
        {
          provide: ChallengeRegistry,
          useFactory: () => {
            const registry = new ChallengeRegistry(ALL_CHALLENGES);
            registry.assertCanSelect(config.flow.NUMBER_OF_GESTURES_TO_REQUEST, config.flow.CHALLENGES);
            return registry;
          },
        },
        adapter(TRANSPORT_PORT, overrides.transport, createTransport),
        adapter(FACE_ANALYSIS_PORT, overrides.face, createFaceEngine),
        adapter(MATCHER_PORT, overrides.matcher, matcherFor),
        adapter(
          REFERENCE_PORT,
          overrides.references,
          (c) =>
            new HttpReferenceAdapter({
              maxCount: c.references.REFERENCE_MAX_COUNT,
              maxBytes: c.references.REFERENCE_MAX_BYTES,
              timeoutMs: c.references.REFERENCE_TIMEOUT_S * 1000,
              maxRedirects: c.references.REFERENCE_MAX_REDIRECTS,
            }),
        ),
        adapter(
          CALLBACK_PORT,
          overrides.callbacks,
          (c) =>
            new HttpCallbackAdapter({
              includeDetails: c.callbacks.CALLBACK_INCLUDE_DETAILS,
              hmacSecret: c.callbacks.CALLBACK_HMAC_SECRET,
              timeoutMs: c.callbacks.CALLBACK_TIMEOUT_S * 1000,
            }),
        ),
        FlowInspector,
        FlowService,
      ],
    };
  }
}
