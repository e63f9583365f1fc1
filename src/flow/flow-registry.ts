import { BeforeApplicationShutdown, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CALLBACK_PORT, callbackBackoffMs, callbackMayRetry, CallbackPort, CallbackTarget } from '../callbacks/callback.port';
import { webhookId } from '../callbacks/http-callback.adapter';
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
import { componentLog, flowLog, FlowLog } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { REFERENCE_PORT, ReferencePort } from '../references/reference.port';
import { TRANSPORT_PORT, TransportPort } from '../transport/transport.port';
import { sleep } from '../store/clock';
import { StoredFlow, StoreError, StoreHealth } from '../store/flow-store.port';
import type { Adoption } from '../store/leases';
import { StoreReplica } from '../store/replica';
import { Flow, FlowEnvironment, FlowHooks, FlowProgress, OwedReport } from './flow';
import { FlowInspector } from './flow-inspector';
import type { FlowRequest, FlowSettings } from './flow.types';

/** Why a join was refused. */
export class FlowRejection extends Error {
  constructor(
    readonly kind: 'token_in_use' | 'too_many_flows' | 'draining' | 'store_unavailable',
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

/** A join answered: a flow of this process, or (a re-join) the running flow of another replica. */
export type Admission = { flow: Flow; rejoined: boolean } | { flow?: undefined; elsewhere: StoredFlow; rejoined: true };

/**
 * The flows of this process: admission (limits, token uniqueness, re-joins), the running and recently finished
 * flows, the drain on SIGTERM and the crash safety net. Every flow also has a record in the flow store (src/store):
 * token uniqueness and re-joins are checked there (across replicas with FLOW_STORE=redis), progress, the verdict and
 * each callback attempt are written there, flows of dead replicas are adopted from there.
 */
@Injectable()
export class FlowRegistry implements OnModuleInit, BeforeApplicationShutdown {
  private readonly running = new Map<string, Flow>();
  private readonly finished = new Map<string, Flow>();
  private draining = false;
  /** Joins between the limit check and the flow's start (the store's create is awaited). */
  private admitting = 0;
  private readonly replica: StoreReplica;
  /** Writes of flows' ends in flight. */
  private readonly finishing = new Set<Promise<unknown>>();
  private readonly log = componentLog('flow-registry');
  private readonly env: Omit<FlowEnvironment, 'inspect'>;
  private readonly settings: FlowSettings;
  private readonly hooks: FlowHooks = {
    crashed: (flow, report) => this.reportCrash(flow, report),
    ended: (flow) => this.finish(flow),
    progressed: (flow, progress) => this.recordProgress(flow, progress),
    reporting: (flow, report) => this.recordAttempt(flow, report),
    reported: (flow, report) => this.recordDelivery(flow.id, report),
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
    private readonly metrics: Metrics,
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
    this.replica = StoreReplica.fromConfig(config.store, metrics, {
      lost: (id) => this.running.get(id)?.stopReporting(),
      cancel: (id) => this.running.get(id)?.cancel(),
      adopted: (adoption) => void this.deliverAdopted(adoption),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.replica.start();
  }

  /** Whether the flow store answers (/ready). */
  storeHealth(): Promise<StoreHealth> {
    return this.replica.health();
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
  async start(request: FlowRequest): Promise<Admission> {
    const rejoined = this.admit(request);
    if (rejoined) return this.rejoin(rejoined);
    const id = randomUUID();
    const challengeIds = this.challenges.select(this.config.flow.NUMBER_OF_GESTURES_TO_REQUEST, this.config.flow.CHALLENGES);
    this.admitting++;
    let holder: StoredFlow | undefined;
    try {
      holder = await this.claimToken(id, request, challengeIds);
    } finally {
      this.admitting--;
    }
    if (holder) return this.rejoinStored(holder, request);
    const stepUp = this.challenges.stepUpChallenge(challengeIds, this.config.flow.CHALLENGES);
    const flow = Flow.create(
      id,
      request,
      { ids: challengeIds, stepUp },
      this.settings,
      { ...this.env, inspect: this.inspector.observer() },
      this.hooks,
    );
    this.record(flow);
    return { flow, rejoined: false };
  }

  /** A running or recently finished flow of this process. */
  get(flowId: string): Flow | undefined {
    return this.running.get(flowId) ?? this.finished.get(flowId);
  }

  /** A flow of another replica (or one this process no longer lists), from the store. Rejects with StoreError. */
  stored(flowId: string): Promise<StoredFlow | undefined> {
    return this.replica.store.get(flowId);
  }

  /** Cancels a running flow (it fails with `cancelled`); undefined when it is not running. */
  cancel(flowId: string): Flow | undefined {
    const flow = this.running.get(flowId);
    flow?.cancel();
    return flow;
  }

  /** Asks the replica running `flowId` to cancel it; false when no replica runs it. Rejects with StoreError. */
  requestCancel(flowId: string): Promise<boolean> {
    return this.replica.store.requestCancel(flowId);
  }

  /**
   * SIGTERM: refuse new flows, let running ones finish for SHUTDOWN_GRACE_S, then fail the rest with
   * service_shutdown (they still report and leave), and stop whatever is left after that.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    this.replica.stopAdopting();
    await this.drain();
    // The ends of the drained flows reach the store before it closes (else another replica would adopt them).
    await Promise.allSettled([...this.finishing]);
    // Leases of adopted flows still being delivered lapse: another replica (or this one restarted) takes them over.
    await this.replica.close();
  }

  private async drain(): Promise<void> {
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
    const taken = this.running.size + this.admitting;
    if (taken >= limit) throw new FlowRejection('too_many_flows', `${taken} flows are running, the limit is ${limit}`);
    return undefined;
  }

  private rejoin(flow: Flow): Admission {
    flow.log.log('join again for the same token and room: answered with the running flow');
    return { flow, rejoined: true };
  }

  /** The token's holder in the store: the same room is a re-join (of a flow here or on another replica), else 409. */
  private rejoinStored(holder: StoredFlow, request: FlowRequest): Admission {
    if (holder.room !== roomKey(request.wsUrl))
      throw new FlowRejection('token_in_use', 'a flow with this token is running in another room', holder.id);
    const here = this.running.get(holder.id);
    if (here) return this.rejoin(here);
    flowLog(holder.id, holder.token).log('join again for the same token and room: answered with the flow another replica runs');
    return { elsewhere: holder, rejoined: true };
  }

  /** Creates the flow's record if no running flow holds the token (in the whole fleet); else the holder. */
  private async claimToken(id: string, request: FlowRequest, challengeIds: string[]): Promise<StoredFlow | undefined> {
    const { writer } = this.replica;
    const record = writer.newRecord({
      id,
      token: request.token,
      room: roomKey(request.wsUrl),
      callbackBaseUrl: request.callbackBaseUrl,
      state: 'verifying',
      challenges: challengeIds.map((c) => ({ id: c, status: 'pending' })),
    });
    try {
      const result = await writer.create(record);
      return result.created ? undefined : result.holder;
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      this.log.error(`join refused: the flow store is unreachable, so the token's uniqueness cannot be checked (${messageOf(error)})`);
      throw new FlowRejection('store_unavailable', 'the flow store is unreachable; retry later');
    }
  }

  /** A new flow runs here; this replica holds its lease. */
  private record(flow: Flow): void {
    this.running.set(flow.id, flow);
    this.replica.keeper.hold(flow.id);
  }

  /** A flow ended: it stays listed among the last FINISHED_KEPT, its token is free (here and in the store). */
  private finish(flow: Flow): void {
    if (!this.running.delete(flow.id)) return;
    this.finished.set(flow.id, flow);
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value as string);
    // Not held any more: another replica adopted it and records its end.
    if (this.replica.keeper.holds(flow.id)) void this.finishRecord(flow.id, flow.view().state);
  }

  /** The record's end: token freed, lease dropped, the record expires after FLOW_FINISHED_TTL_S. */
  private async finishRecord(id: string, state: string, delivery?: StoredFlow['delivery']): Promise<void> {
    const { writer, keeper, clock } = this.replica;
    keeper.release(id);
    const written = writer.update(id, { state, ...(delivery && { delivery }), finishedAt: clock.now() }, 'the end of the flow');
    this.finishing.add(written);
    await written;
    this.finishing.delete(written);
  }

  private recordProgress(flow: Flow, progress: FlowProgress): void {
    void this.replica.writer.update(flow.id, progress, `state ${progress.state}`).then((result) => this.onWritten(flow.id, result));
  }

  /**
   * Before a callback attempt: the first one records the verdict (awaited, so a replica adopting the flow after a
   * crash delivers this outcome, not service_restarted); each records its number. False when another replica took
   * the flow over.
   */
  private async recordAttempt(flow: Flow, report: OwedReport): Promise<boolean> {
    const delivery = { attempts: report.attempt, delivered: false, webhookId: webhookId(flow.id, report.outcome.status) };
    const patch = report.attempt === 1 || flow.view().state === 'crashed' ? { outcome: report.outcome, delivery } : { delivery };
    const written = this.replica.writer.update(flow.id, patch, report.attempt === 1 ? 'the verdict' : `callback attempt ${report.attempt}`);
    if (report.attempt === 1) return this.onWritten(flow.id, await written);
    void written.then((r) => this.onWritten(flow.id, r));
    return true;
  }

  /** The controller was told: the record is finished (the token is free across the fleet) while the flow leaves the room. */
  private recordDelivery(id: string, report: OwedReport): void {
    const { writer, clock } = this.replica;
    const delivery = { attempts: report.attempt, delivered: true, webhookId: webhookId(id, report.outcome.status) };
    void writer.update(id, { delivery, finishedAt: clock.now() }, 'the delivery').then((result) => this.onWritten(id, result));
  }

  /** 'lost': another replica adopted the flow; this one stops it without calling back. True while this replica owns it. */
  private onWritten(id: string, result: string): boolean {
    if (result !== 'lost') return true;
    this.replica.keeper.release(id);
    this.running.get(id)?.stopReporting();
    return false;
  }

  /** The crash safety net's one callback attempt; resolves with whether the controller was told. */
  private async reportCrash(flow: Flow, report: OwedReport): Promise<boolean> {
    const log = flow.log.child('callbacks');
    if (!(await this.recordAttempt(flow, report))) return false;
    try {
      const signal = AbortSignal.timeout(this.config.settings.callbacks.delivery.timeoutMs);
      await this.callbacks.send(report.target, report.outcome, report.attempt, signal, log);
      this.recordDelivery(flow.id, report);
      return true;
    } catch (error) {
      log.error(`failure callback after the crash was not delivered: ${messageOf(error)}`);
      return false;
    }
  }

  /**
   * A flow adopted from a dead replica: its recorded outcome (or service_restarted) goes through the callback retry
   * policy of a live flow (CALLBACK_MAX_ATTEMPTS, doubling CALLBACK_BACKOFF_MS), attempt numbers continuing from the
   * record and with the recorded webhook-id, then the record is finished.
   */
  private async deliverAdopted({ flow, reason }: Adoption): Promise<void> {
    const { outcome } = flow;
    const log = flowLog(flow.id, flow.token, { component: 'callbacks' });
    const id = flow.delivery.webhookId ?? webhookId(flow.id, outcome.status);
    const target: CallbackTarget = { flowId: flow.id, token: flow.token, callbackBaseUrl: flow.callbackBaseUrl, webhookId: id };
    const { callbackMaxAttempts } = this.settings;
    // A dead owner may have started its last attempt: the adopter still makes one.
    const last = Math.max(callbackMaxAttempts, flow.delivery.attempts + 1);
    for (let attempt = flow.delivery.attempts + 1; attempt <= last && this.replica.keeper.holds(flow.id); attempt++) {
      const written = await this.replica.writer.update(
        flow.id,
        { delivery: { attempts: attempt, delivered: false, webhookId: id } },
        `callback attempt ${attempt}`,
      );
      if (written === 'lost') return;
      try {
        await this.callbacks.send(target, outcome, attempt, AbortSignal.timeout(this.config.settings.callbacks.delivery.timeoutMs), log);
        return this.finishRecord(flow.id, 'done', { attempts: attempt, delivered: true, webhookId: id });
      } catch (error) {
        log.warn(`callback attempt ${attempt} of the adopted flow failed: ${messageOf(error)}`);
        if (!callbackMayRetry(error, attempt, last)) break;
        await sleep(this.replica.clock, callbackBackoffMs(this.settings.callbackBackoffMs, attempt));
      }
    }
    if (!this.replica.keeper.holds(flow.id)) return;
    log.error(`callback of the adopted flow (${reason}) not delivered after attempt ${last}; the controller was not told`);
    await this.finishRecord(flow.id, 'done');
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
