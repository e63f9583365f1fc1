import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { CALLBACK_PORT, CallbackPort } from '../callbacks/callback.port';
import { messageOf } from '../common/errors';
import { Locales } from '../common/locales';
import { withTimeout } from '../common/deadline';
import { roomKey } from '../common/url';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { FACE_ANALYSIS_PORT, FaceAnalysisPort } from '../face/face-analysis.port';
import { ChallengeRegistry } from '../liveness/challenge-registry';
import { livenessSettingsFor } from '../liveness/liveness';
import { MATCHER_PORT, MatcherPort } from '../matcher/matcher.port';
import { DebugFrameWriter } from '../observability/debug-frames';
import { componentLog } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { REFERENCE_PORT, ReferencePort } from '../references/reference.port';
import { TRANSPORT_PORT, TransportPort } from '../transport/transport.port';
import { Flow, FlowEnvironment, FlowHooks, OwedReport } from './flow';
import { FlowInspector } from './flow-inspector';
import type { FlowRequest, FlowSettings } from './flow.types';

/** Why a join was refused. */
export class FlowRejection extends Error {
  constructor(
    readonly kind: 'token_in_use' | 'too_many_flows' | 'draining',
    message: string,
    readonly flowId?: string,
  ) {
    super(message);
    this.name = 'FlowRejection';
  }
}

/** Finished flows kept for GET /flows/{id}. */
const FINISHED_KEPT = 1000;
/** After the grace period, how long shutdown waits for the remaining flows to report and leave. */
const SHUTDOWN_REPORT_MS = 15_000;

/**
 * The flows of this process: admission (limits, token uniqueness, re-joins), the running and recently finished
 * flows, the drain on SIGTERM and the crash safety net. `admit`, `record` and `finish` are where a shared flow
 * store (src/store, issue 15) takes part; today the maps below are the whole record.
 */
@Injectable()
export class FlowRegistry implements BeforeApplicationShutdown {
  private readonly running = new Map<string, Flow>();
  private readonly finished = new Map<string, Flow>();
  private draining = false;
  private readonly log = componentLog('flow-registry');
  private readonly env: Omit<FlowEnvironment, 'inspect'>;
  private readonly settings: FlowSettings;
  private readonly hooks: FlowHooks = {
    crashed: (flow, report) => this.reportCrash(flow, report),
    ended: (flow) => this.finish(flow),
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TRANSPORT_PORT) transport: TransportPort,
    @Inject(FACE_ANALYSIS_PORT) face: FaceAnalysisPort,
    @Inject(REFERENCE_PORT) references: ReferencePort,
    @Inject(MATCHER_PORT) matcher: MatcherPort,
    @Inject(CALLBACK_PORT) private readonly callbacks: CallbackPort,
    private readonly challenges: ChallengeRegistry,
    locales: Locales,
    private readonly inspector: FlowInspector,
    metrics: Metrics,
  ) {
    const debugFrames = config.server.DEBUG_SAVE_FRAMES ? new DebugFrameWriter(config.server.DEBUG_SAVE_FRAMES) : undefined;
    this.env = {
      transport,
      face,
      references,
      matcher,
      callbacks,
      plugins: challenges.plugins,
      locales,
      displayName: config.settings.transport.displayName,
      metrics,
      debugFrames,
    };
    this.settings = flowSettings(config, face);
  }

  /** True once shutdown began: no new flows. */
  get isDraining(): boolean {
    return this.draining;
  }

  get activeCount(): number {
    return this.running.size;
  }

  /**
   * Starts a flow, or answers with the running one when the same token joins the same room again (the controller
   * calls /join-call on every peer-joined webhook, so a subject who reconnects triggers it twice).
   * Rejects with FlowRejection when it cannot be taken now.
   */
  async start(request: FlowRequest): Promise<{ flow: Flow; rejoined: boolean }> {
    const rejoined = this.admit(request);
    if (rejoined) {
      rejoined.log.log('join again for the same token and room: answered with the running flow');
      return { flow: rejoined, rejoined: true };
    }
    const challengeIds = this.challenges.select(this.config.flow.NUMBER_OF_GESTURES_TO_REQUEST, this.config.flow.CHALLENGES);
    const stepUp = this.challenges.stepUpChallenge(challengeIds, this.config.flow.CHALLENGES);
    const flow = Flow.create(
      request,
      { ids: challengeIds, stepUp },
      this.settings,
      { ...this.env, inspect: this.inspector.observer() },
      this.hooks,
    );
    this.record(flow);
    return { flow, rejoined: false };
  }

  /** A running or recently finished flow. */
  get(flowId: string): Flow | undefined {
    return this.running.get(flowId) ?? this.finished.get(flowId);
  }

  /** Cancels a running flow (it fails with `cancelled`); undefined when it is not running. */
  cancel(flowId: string): Flow | undefined {
    const flow = this.running.get(flowId);
    flow?.cancel();
    return flow;
  }

  /**
   * SIGTERM: refuse new flows, let running ones finish for SHUTDOWN_GRACE_S, then fail the rest with
   * service_shutdown (they still report and leave), and stop whatever is left after that.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    const graceMs = this.config.settings.server.shutdownGraceMs;
    if (this.running.size > 0) {
      this.log.warn(`draining: waiting up to ${graceMs / 1000} s for ${this.running.size} running flows`);
      await settleWithin(this.runningDone(), graceMs);
    }
    if (this.running.size === 0) return;
    this.log.warn(`shutting down: failing ${this.running.size} running flows with service_shutdown`);
    for (const flow of this.running.values()) flow.shutdown();
    await settleWithin(this.runningDone(), SHUTDOWN_REPORT_MS);
    for (const flow of [...this.running.values()]) flow.close();
  }

  /**
   * Admission, in the order the controller is told: the same token in the same room is the running flow (returned);
   * in another room, or while draining, or over MAX_CONCURRENT_FLOWS, a FlowRejection.
   */
  private admit(request: FlowRequest): Flow | undefined {
    const holder = [...this.running.values()].find((f) => f.token === request.token);
    if (holder?.room === roomKey(request.wsUrl)) return holder;
    if (holder) throw new FlowRejection('token_in_use', 'a flow with this token is running in another room', holder.id);
    if (this.draining) throw new FlowRejection('draining', 'the service is shutting down');
    const limit = this.config.server.MAX_CONCURRENT_FLOWS;
    if (this.running.size >= limit)
      throw new FlowRejection('too_many_flows', `${this.running.size} flows are running, the limit is ${limit}`);
    return undefined;
  }

  /** A new flow runs here. */
  private record(flow: Flow): void {
    this.running.set(flow.id, flow);
  }

  /** A flow ended: it stays listed among the last FINISHED_KEPT, its token is free. */
  private finish(flow: Flow): void {
    if (!this.running.delete(flow.id)) return;
    this.finished.set(flow.id, flow);
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value as string);
  }

  /** The crash safety net's one callback attempt; resolves with whether the controller was told. */
  private async reportCrash(flow: Flow, report: OwedReport): Promise<boolean> {
    const log = flow.log.child('callbacks');
    try {
      const signal = AbortSignal.timeout(this.config.settings.callbacks.delivery.timeoutMs);
      await this.callbacks.send(report.target, report.outcome, report.attempt, signal, log);
      return true;
    } catch (error) {
      log.error(`failure callback after the crash was not delivered: ${messageOf(error)}`);
      return false;
    }
  }

  private runningDone(): Promise<void>[] {
    return [...this.running.values()].map((f) => f.done);
  }
}

/** The durations and budgets every flow gets. */
function flowSettings(config: AppConfig, face: FaceAnalysisPort): FlowSettings {
  const { faceLostMs, ...times } = config.settings.flow;
  const c = config.settings.callbacks;
  return {
    ...times,
    callbackMaxAttempts: c.maxAttempts,
    callbackBackoffMs: c.backoffMs,
    matcherAttempts: 2,
    liveness: livenessSettingsFor(face.descriptorModel, faceLostMs),
    pad: { policy: face.padScoring ? config.pad.PAD_POLICY : 'off', threshold: config.pad.PAD_THRESHOLD, fps: config.pad.PAD_FPS },
  };
}

/** Resolves when all settle or after `ms`, whichever is first. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  await withTimeout(Promise.allSettled(promises), ms, () => new Error('late')).catch(() => undefined);
}
