import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { Actor, createActor } from 'xstate';
import { CALLBACK_PORT, CallbackPort } from '../callbacks/callback.port';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Locales } from '../common/locales';
import { FACE_ANALYSIS_PORT, FaceAnalysisPort } from '../face/face-analysis.port';
import { ChallengeRegistry } from '../liveness/challenge-registry';
import { livenessSettingsFor } from '../liveness/liveness';
import { MATCHER_PORT, MatcherPort } from '../matcher/matcher.port';
import { REFERENCE_PORT, ReferencePort } from '../references/reference.port';
import { TRANSPORT_PORT, TransportPort } from '../transport/transport.port';
import { LatestFrameGate } from './frame-gate';
import { FlowBiometrics } from './flow-biometrics';
import { flowMachine, FlowMachine, outcomeOf } from './flow.machine';
import { flowImplementations } from './flow.actors';
import type { FlowOutcome } from '../callbacks/callback.port';
import type { FlowContext, FlowRequest, FlowSettings } from './flow.types';
import { FlowInspector } from './flow-inspector';
import { FlowLog, flowLog } from '../observability/logger';
import { FlowTelemetry } from '../observability/flow-telemetry';
import { Metrics } from '../observability/metrics';
import { DebugFrameWriter } from '../observability/debug-frames';
import { roomKey } from '../common/url';
import { padView, type PadView } from '../pad/pad-view';

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

/** What GET /flows/{id} shows. */
export interface FlowView {
  flow_id: string;
  token: string;
  state: string;
  challenges: { id: string; status: string; progress: number }[];
  current_challenge: string | null;
  outcome: 'success' | 'failure' | null;
  reason: string | null;
  message: string | null;
  callback_delivered: boolean;
  started_at: string;
  finished_at: string | null;
  /** Subject frames: arrived, dropped by back-pressure, analysed; analysed per second of the challenges once finished. */
  frames: { received: number; dropped: number; analysed: number; analysed_fps: number | null };
  /** The passive presentation-attack check (null with PAD_POLICY=off). */
  pad: PadView | null;
}

interface FlowRecord {
  id: string;
  token: string;
  /** roomKey of its ws_url: a join with the same token and room is the same flow. */
  room: string;
  lang: string;
  challengeIds: string[];
  actor: Actor<FlowMachine>;
  frames: LatestFrameGate;
  telemetry: FlowTelemetry;
  startedAt: Date;
  finishedAt?: Date;
  done: Promise<void>;
}

/** Live frames kept per flow for matching. */
const EVIDENCE_FRAMES = 5;
/** Finished flows kept for GET /flows/{id}. */
const FINISHED_KEPT = 1000;
/** After the grace period, how long shutdown waits for the remaining flows to report and leave. */
const SHUTDOWN_REPORT_MS = 15_000;

/** Starts, tracks and stops verification flows. */
@Injectable()
export class FlowService implements BeforeApplicationShutdown {
  private readonly flows = new Map<string, FlowRecord>();
  private readonly finished = new Map<string, FlowRecord>();
  private draining = false;
  private readonly debugFrames?: DebugFrameWriter;
  private readonly log = new Logger(FlowService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TRANSPORT_PORT) private readonly transport: TransportPort,
    @Inject(FACE_ANALYSIS_PORT) private readonly face: FaceAnalysisPort,
    @Inject(REFERENCE_PORT) private readonly references: ReferencePort,
    @Inject(MATCHER_PORT) private readonly matcher: MatcherPort,
    @Inject(CALLBACK_PORT) private readonly callbacks: CallbackPort,
    private readonly challenges: ChallengeRegistry,
    private readonly locales: Locales,
    private readonly inspector: FlowInspector,
    private readonly metrics: Metrics,
  ) {
    if (config.server.DEBUG_SAVE_FRAMES) this.debugFrames = new DebugFrameWriter(config.server.DEBUG_SAVE_FRAMES);
  }

  /** True once shutdown began: no new flows. */
  get isDraining(): boolean {
    return this.draining;
  }

  get activeCount(): number {
    return this.flows.size;
  }

  /** The durations and budgets every new flow gets. */
  settings(): FlowSettings {
    const f = this.config.flow;
    const c = this.config.callbacks;
    return {
      flowTimeoutMs: f.FLOW_TIMEOUT_S * 1000,
      joinTimeoutMs: f.JOIN_TIMEOUT_S * 1000,
      instructionMs: f.INSTRUCTION_S * 1000,
      challengeTimeoutMs: f.CHALLENGE_TIMEOUT_S * 1000,
      resultDisplayMs: f.RESULT_DISPLAY_S * 1000,
      leaveTimeoutMs: f.LEAVE_TIMEOUT_S * 1000,
      callbackMaxAttempts: c.CALLBACK_MAX_ATTEMPTS,
      callbackBackoffMs: c.CALLBACK_BACKOFF_MS,
      matcherAttempts: 2,
      liveness: livenessSettingsFor(this.face.descriptorModel, f.FACE_LOST_S * 1000),
      pad: {
        policy: this.face.padScoring ? this.config.pad.PAD_POLICY : 'off',
        threshold: this.config.pad.PAD_THRESHOLD,
        fps: this.config.pad.PAD_FPS,
      },
    };
  }

  /**
   * Starts a flow, or answers with the running one when the same token joins the same room again (the controller
   * calls /join-call on every peer-joined webhook, so a subject who reconnects triggers it twice).
   * Throws FlowRejection when it cannot be taken now.
   */
  start(request: FlowRequest): { flowId: string; challengeIds: string[]; lang: string; rejoined: boolean } {
    const room = roomKey(request.wsUrl);
    const running = [...this.flows.values()].find((f) => f.token === request.token);
    if (running?.room === room) {
      flowLog(running.id, running.token).log(`join again for the same token and room: answered with the running flow`);
      return { flowId: running.id, challengeIds: running.challengeIds, lang: running.lang, rejoined: true };
    }
    if (running) throw new FlowRejection('token_in_use', 'a flow with this token is running in another room', running.id);
    if (this.draining) throw new FlowRejection('draining', 'the service is shutting down');
    if (this.flows.size >= this.config.server.MAX_CONCURRENT_FLOWS) {
      throw new FlowRejection(
        'too_many_flows',
        `${this.flows.size} flows are running, the limit is ${this.config.server.MAX_CONCURRENT_FLOWS}`,
      );
    }
    const flowId = randomUUID();
    const challengeIds = this.challenges.select(this.config.flow.NUMBER_OF_GESTURES_TO_REQUEST, this.config.flow.CHALLENGES);
    const stepUpChallengeId = this.challenges.stepUpChallenge(challengeIds, this.config.flow.CHALLENGES);
    const log = flowLog(flowId, request.token);
    const frames = new LatestFrameGate();
    const implementations = flowImplementations({
      transport: this.transport,
      face: this.face,
      references: this.references,
      matcher: this.matcher,
      callbacks: this.callbacks,
      plugins: this.challenges.plugins,
      locales: this.locales,
      displayName: this.config.transport.SERVICE_DISPLAY_NAME,
      frames,
      biometrics: new FlowBiometrics(EVIDENCE_FRAMES),
      log,
      debugFrames: this.debugFrames,
    });
    const actor = createActor(flowMachine.provide(implementations), {
      input: { flowId, request, challengeIds, stepUpChallengeId, settings: this.settings() },
      inspect: this.inspector.observer(),
    });
    let finish!: () => void;
    const record: FlowRecord = {
      id: flowId,
      token: request.token,
      room,
      lang: request.lang,
      challengeIds,
      actor,
      frames,
      telemetry: new FlowTelemetry(this.metrics),
      startedAt: new Date(),
      done: new Promise((r) => (finish = r)),
    };
    let lastState = '';
    actor.subscribe({
      next: (snapshot) => {
        const state = stateName(snapshot.value);
        if (state !== lastState) {
          log.debug(`state ${state}`);
          record.telemetry.onState(snapshot);
        }
        lastState = state;
        if (snapshot.status === 'done') {
          this.retire(record);
          finish();
        }
      },
      error: (error) => {
        log.error(`flow machine crashed: ${(error as Error).stack ?? error}`);
        void this.reportCrash(record, log).finally(() => {
          this.retire(record);
          finish();
        });
      },
    });
    this.flows.set(flowId, record);
    log.log(`started for token ${JSON.stringify(request.token)}, lang ${request.lang}, challenges ${challengeIds.join(', ')}`);
    actor.start();
    return { flowId, challengeIds, lang: request.lang, rejoined: false };
  }

  /** The view of a running or recently finished flow. */
  view(flowId: string): FlowView | undefined {
    const record = this.flows.get(flowId) ?? this.finished.get(flowId);
    if (!record) return undefined;
    const snapshot = record.actor.getSnapshot();
    const context = snapshot.context as FlowContext;
    const verdict = snapshot.matches('finishing') || snapshot.status !== 'active';
    const current = context.liveness.challenges[context.liveness.current];
    return {
      flow_id: record.id,
      token: record.token,
      state: snapshot.status === 'error' ? 'crashed' : stateName(snapshot.value),
      challenges: context.liveness.challenges.map((c) => ({ ...c })),
      current_challenge: current?.status === 'running' ? current.id : null,
      outcome: verdict ? (context.failure ? 'failure' : 'success') : null,
      reason: context.failure?.reason ?? null,
      message: context.failure?.message ?? null,
      callback_delivered: context.reported,
      started_at: record.startedAt.toISOString(),
      finished_at: record.finishedAt?.toISOString() ?? null,
      frames: {
        received: record.frames.received,
        dropped: record.frames.dropped,
        analysed: record.frames.delivered,
        analysed_fps: record.telemetry.analysedFps ?? null,
      },
      pad: padView(context),
    };
  }

  /** Cancels a running flow (it fails with `cancelled`); false when it is not running. */
  cancel(flowId: string): boolean {
    const record = this.flows.get(flowId);
    if (!record) return false;
    record.actor.send({ type: 'CANCEL' });
    return true;
  }

  /** Resolves when the flow has reported and left. */
  async whenDone(flowId: string): Promise<void> {
    await (this.flows.get(flowId) ?? this.finished.get(flowId))?.done;
  }

  /**
   * SIGTERM: refuse new flows, let running ones finish for SHUTDOWN_GRACE_S, then fail the rest with
   * service_shutdown (they still report and leave), and stop whatever is left after that.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    const graceMs = this.config.server.SHUTDOWN_GRACE_S * 1000;
    if (this.flows.size > 0) {
      this.log.warn(`draining: waiting up to ${graceMs / 1000} s for ${this.flows.size} running flows`);
      await settleWithin(
        [...this.flows.values()].map((r) => r.done),
        graceMs,
      );
    }
    const remaining = [...this.flows.values()];
    if (remaining.length === 0) return;
    this.log.warn(`shutting down: failing ${remaining.length} running flows with service_shutdown`);
    for (const record of remaining) record.actor.send({ type: 'SHUTDOWN' });
    await settleWithin(
      remaining.map((r) => r.done),
      SHUTDOWN_REPORT_MS,
    );
    for (const record of this.flows.values()) {
      const context = record.actor.getSnapshot().context as FlowContext;
      if (!context.reported) {
        flowLog(record.id, record.token).error(
          `stopped by shutdown after ${context.callbackAttempts} of ${context.settings.callbackMaxAttempts} callback attempts; the controller was not told`,
        );
      }
      record.actor.stop();
    }
  }

  private retire(record: FlowRecord): void {
    if (!this.flows.delete(record.id)) return;
    record.telemetry.onEnd(record.actor.getSnapshot().context as FlowContext, record.frames);
    record.finishedAt = new Date();
    this.finished.set(record.id, record);
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value as string);
  }

  /** The safety net: a crashed machine still tells the controller, once, unless it already did. */
  private async reportCrash(record: FlowRecord, log: FlowLog): Promise<void> {
    const context = record.actor.getSnapshot().context as FlowContext;
    if (context.reported) return;
    // Past the verdict (a callback was attempted) the verdict stands; before it, the crash is the failure.
    const outcome: FlowOutcome =
      context.callbackAttempts > 0 ? outcomeOf(context) : { ...outcomeOf(context), status: 'failure', reason: 'internal_error' };
    const target = { flowId: record.id, token: record.token, callbackBaseUrl: context.request.callbackBaseUrl };
    try {
      await this.callbacks.send(
        target,
        outcome,
        context.callbackAttempts + 1,
        AbortSignal.timeout(this.config.callbacks.CALLBACK_TIMEOUT_S * 1000),
      );
    } catch (error) {
      log.error(`failure callback after the crash was not delivered: ${(error as Error).message}`);
    }
  }
}

/** Resolves when all settle or after `ms`, whichever is first. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** `verifying.challenges.running` from an XState state value. */
export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) return `${entries[0][0]}.${stateName(entries[0][1])}`;
  return entries.map(([k, v]) => `${k}.${stateName(v)}`).join('|');
}
