import { DynamicModule, Module, Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { ApiKeyGuard } from './api/api-key.guard';
import { Metrics } from './observability/metrics';
import { redactedRequest, rootLogger } from './observability/logger';
import { FlowsController } from './api/flows.controller';
import { HealthController } from './api/health.controller';
import { CALLBACK_PORT } from './callbacks/callback.port';
import { Locales } from './common/locales';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { FACE_ANALYSIS_PORT, type FaceAnalysisPort } from './face/face-analysis.port';
import { FlowInspector } from './flow/flow-inspector';
import { FlowRegistry } from './flow/flow-registry';
import type { ChallengeDefinition } from './liveness/challenge-definition';
import { ChallengeRegistry } from './liveness/challenge-registry';
import { MATCHER_PORT } from './matcher/matcher.port';
import { FaceMatchController } from './matcher/face-match/face-match.controller';
import { faceMatchOptions } from './matcher/face-match/face-match.module';
import { RATE_WINDOW_MS } from './matcher/face-match/face-match-rate-limit.guard';
import { FACE_MATCH_OPTIONS, FaceMatcher, FaceMatchService } from './matcher/face-match/face-match.service';
import { REFERENCE_PORT } from './references/reference.port';
import { TRANSPORT_PORT } from './transport/transport.port';
import { OutboundGuard } from './outbound/outbound-guard';
import { ALL_CHALLENGES } from '../challenges';
import { createCallbackAdapter, createFaceEngine, createMatcher, createReferenceAdapter, createTransport } from './adapters';

/** Adapters a test may replace (unit-level tests only; integration tests use the real ones). */
export interface AdapterOverrides {
  transport?: unknown;
  face?: unknown;
  references?: unknown;
  matcher?: unknown;
  callbacks?: unknown;
  /** The installed challenge plugins (default: challenges/), e.g. with a broken one to test the crash net. */
  challenges?: readonly ChallengeDefinition<any>[];
}

function adapter(
  token: symbol,
  override: unknown,
  factory: (config: AppConfig, outbound: OutboundGuard, metrics: Metrics) => unknown,
): Provider {
  return override !== undefined
    ? { provide: token, useValue: override }
    : { provide: token, useFactory: factory, inject: [APP_CONFIG, OutboundGuard, Metrics] };
}

const isFaceMatcher = (matcher: unknown): matcher is FaceMatcher =>
  typeof (matcher as Partial<FaceMatcher> | undefined)?.matchPair === 'function';

/**
 * POST /face_match (vision-matcher's API) on the service's own matcher, when that is the embedded one: controllers
 * that called a vision-matcher container can call the service instead. Bodies are parsed by configureHttp.
 */
function faceMatchRoute(config: AppConfig, overrides: AdapterOverrides): Pick<DynamicModule, 'controllers' | 'providers'> {
  const embedded = overrides.matcher !== undefined ? isFaceMatcher(overrides.matcher) : !config.matcher.VISION_MATCHER_BASE_URL;
  if (!embedded) return { controllers: [], providers: [] };
  return {
    controllers: [FaceMatchController],
    providers: [
      {
        provide: FACE_MATCH_OPTIONS,
        inject: [MATCHER_PORT, OutboundGuard],
        useFactory: (matcher: FaceMatcher, outbound: OutboundGuard) => faceMatchOptions(config, matcher, outbound),
      },
      FaceMatchService,
    ],
  };
}

/** The Vision Service application. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, overrides: AdapterOverrides = {}): DynamicModule {
    const faceMatch = faceMatchRoute(config, overrides);
    return {
      module: AppModule,
      imports: [
        // /ready answers 503 while models load; that is expected, not an error to log on every probe.
        TerminusModule.forRoot({ logger: false }),
        // Unnamed, so the 429 carries a plain Retry-After header.
        // One per-address limit per route: /face_match has its own (a 2060 service calls it per image pair).
        ThrottlerModule.forRoot([
          {
            ttl: RATE_WINDOW_MS,
            limit: (context) =>
              context.getClass() === FaceMatchController
                ? config.matcher.FACE_MATCH_RATE_LIMIT_PER_MIN
                : config.server.JOIN_RATE_LIMIT_PER_MIN,
          },
        ]),
        // Request lines at debug: flows log what matters with their flow_id.
        // Secrets are redacted from the request whatever the level.
        LoggerModule.forRoot({ pinoHttp: { logger: rootLogger, customLogLevel: () => 'debug', serializers: { req: redactedRequest } } }),
      ],
      controllers: [FlowsController, HealthController, ...faceMatch.controllers!],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        Metrics,
        { provide: Locales, useFactory: () => Locales.load() },
        {
          provide: OutboundGuard,
          useFactory: () =>
            new OutboundGuard({ allowPrivate: config.outbound.OUTBOUND_ALLOW_PRIVATE, allowlist: config.outbound.OUTBOUND_ALLOWLIST }),
        },
        {
          provide: ChallengeRegistry,
          inject: [Locales, FACE_ANALYSIS_PORT],
          useFactory: (locales: Locales, face: FaceAnalysisPort) => {
            const registry = new ChallengeRegistry(overrides.challenges ?? ALL_CHALLENGES, locales, face.signals);
            registry.assertCanSelect(config.flow.NUMBER_OF_GESTURES_TO_REQUEST, config.flow.CHALLENGES);
            return registry;
          },
        },
        adapter(TRANSPORT_PORT, overrides.transport, createTransport),
        adapter(FACE_ANALYSIS_PORT, overrides.face, createFaceEngine),
        adapter(MATCHER_PORT, overrides.matcher, createMatcher),
        adapter(REFERENCE_PORT, overrides.references, createReferenceAdapter),
        adapter(CALLBACK_PORT, overrides.callbacks, createCallbackAdapter),
        {
          // Closes the adapters that hold workers, sockets or rooms, after the flows were drained.
          provide: 'AdapterShutdown',
          useFactory: (...adapters: { close?: () => Promise<void> }[]) => ({
            onApplicationShutdown: () => Promise.allSettled(adapters.map((a) => a.close?.())),
          }),
          inject: [TRANSPORT_PORT, FACE_ANALYSIS_PORT, MATCHER_PORT, REFERENCE_PORT, CALLBACK_PORT],
        },
        FlowInspector,
        FlowRegistry,
        ...faceMatch.providers!,
      ],
    };
  }
}
