import { Controller, Get, Header, Inject, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { FACE_ANALYSIS_PORT, FaceAnalysisPort } from '../face/face-analysis.port';
import { FlowRegistry } from '../flow/flow-registry';
import { MATCHER_PORT, MatcherPort } from '../matcher/matcher.port';
import { Metrics } from '../observability/metrics';
import { Public } from './api-key.guard';

/** Liveness, readiness and metrics of the process. */
@Controller()
@Public()
export class HealthController implements OnModuleInit {
  private readonly loaded = new Map<string, true | string>();

  constructor(
    private readonly flows: FlowRegistry,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly metrics: Metrics,
    @Inject(FACE_ANALYSIS_PORT) private readonly face: FaceAnalysisPort,
    @Inject(MATCHER_PORT) private readonly matcher: MatcherPort,
  ) {}

  /** Starts loading the models now; /ready turns green when they are up. */
  onModuleInit(): void {
    const watch = (name: string, ready: Promise<void>) =>
      ready.then(
        () => this.loaded.set(name, true),
        (error: Error) => this.loaded.set(name, error.message),
      );
    void watch('face_engine', this.face.ready());
    void watch('matcher', this.matcher.ready());
  }

  /** The process is up and its face engine can still work (liveness probe: a broken engine needs a restart). */
  @Get('health')
  healthz(): { status: 'ok'; active_flows: number } {
    const broken = this.face.brokenReason?.();
    if (broken) throw new ServiceUnavailableException({ status: 'error', error: 'face_engine_broken', message: broken });
    return { status: 'ok', active_flows: this.flows.activeCount };
  }

  /** Models loaded, worker pools up, the flow store reachable, not draining (readiness probe). Running flows go on either way. */
  @Get('ready')
  @HealthCheck()
  ready() {
    const component = (name: string) => () => {
      const indicator = this.indicators.check(name);
      const state = name === 'face_engine' ? (this.face.brokenReason?.() ?? this.loaded.get(name)) : this.loaded.get(name);
      return state === true ? indicator.up() : indicator.down({ message: state ?? 'loading' });
    };
    return this.health.check([
      component('face_engine'),
      component('matcher'),
      async () => {
        const indicator = this.indicators.check('flow_store');
        const store = await this.flows.storeHealth();
        return store.up ? indicator.up({ detail: store.detail }) : indicator.down({ message: store.detail });
      },
      () => {
        const indicator = this.indicators.check('flows');
        const details = { active: this.flows.activeCount };
        return this.flows.isDraining ? indicator.down({ ...details, message: 'draining' }) : indicator.up(details);
      },
    ]);
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
