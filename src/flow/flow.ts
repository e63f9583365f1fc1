import { Actor, createActor, InspectionEvent, Observer } from 'xstate';
import { CallbackError, CallbackPort, CallbackTarget, FlowOutcome } from '../callbacks/callback.port';
import type { FlowView } from '../api/flow-view.dto';
import type { RoomConnection, TransportPort } from '../transport/transport.port';
import { messageOf } from '../common/errors';
import { roomKey } from '../common/url';
import { padView } from '../pad/pad-view';
import { FlowTelemetry } from '../observability/flow-telemetry';
import { FlowLog, flowLog } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { FlowBiometrics } from './flow-biometrics';
import { LatestFrameGate } from './frame-gate';
import { FlowDeps, flowImplementations } from './flow.actors';
import { flowMachine, FlowMachine, outcomeOf } from './flow.machine';
import type { FlowContext, FlowRequest, FlowSettings } from './flow.types';

/** What every flow is built from: the ports and the process-wide helpers (the rest of FlowDeps is per flow). */
export interface FlowEnvironment extends Omit<FlowDeps, 'frames' | 'biometrics' | 'log'> {
  metrics: Metrics;
  /** VISION_INSPECT only: the XState inspector. */
  inspect?: Observer<InspectionEvent>;
}

/** The callback a crashed flow still owes the controller. */
export interface OwedReport {
  target: CallbackTarget;
  outcome: FlowOutcome;
  attempt: number;
}

/** What the owner of a flow is told about its end. */
export interface FlowHooks {
  /** The machine crashed before it reported: tell the controller; resolves with whether it was told. */
  crashed(flow: Flow, report: OwedReport): Promise<boolean>;
  /** The flow has reported and left (or crashed: the safety net ran and it left the room; or it was closed). Called once. */
  ended(flow: Flow): void;
  /** Its machine state or a challenge status changed. */
  progressed(flow: Flow, progress: FlowProgress): void;
  /** Before each callback attempt (also the crash net's): false when this process must not report it (another replica does). */
  reporting(flow: Flow, report: OwedReport): Promise<boolean>;
  /** A callback attempt reached the controller. */
  reported(flow: Flow, report: OwedReport): void;
}

/** What the flow store keeps of a running flow's progress. */
export interface FlowProgress {
  state: string;
  challenges: { id: string; status: string }[];
}

/** Live frames kept per flow for matching. */
const EVIDENCE_FRAMES = 5;

/**
 * One verification: owns its machine's actor, the subject's frames (gate) and biometric data (live evidence, references), its logger and
 * telemetry, from `create()` until it has reported and left.
 */
export class Flow {
  /** roomKey of its ws_url: a join with the same token and room is the same flow. */
  readonly room: string;
  readonly challengeIds: string[];
  readonly startedAt = new Date();
  finishedAt?: Date;
  /** The flow's own lines; ports get `log.child(component)`. */
  readonly log: FlowLog;
  /** Resolves when the flow has reported and left. */
  readonly done: Promise<void>;
  private readonly frames = new LatestFrameGate();
  private readonly biometrics = new FlowBiometrics(EVIDENCE_FRAMES);
  private readonly telemetry: FlowTelemetry;
  private readonly actor: Actor<FlowMachine>;
  /** Aborts the join and closes the room when the machine cannot: a crashed XState actor leaves its children running. */
  private readonly leaving = new AbortController();
  private connection?: RoomConnection;
  private resolveDone!: () => void;
  private ended = false;
  private lastState = '';
  private lastProgress = '';
  /** Set when the machine crashed before reporting: what the safety net told (or tried to tell) the controller. */
  private crash?: { outcome: FlowOutcome; message: string; delivered: boolean };

  private constructor(
    readonly id: string,
    readonly request: FlowRequest,
    challenges: { ids: string[]; stepUp: string },
    settings: FlowSettings,
    env: FlowEnvironment,
    private readonly hooks: FlowHooks,
  ) {
    this.challengeIds = challenges.ids;
    this.room = roomKey(request.wsUrl);
    this.log = flowLog(this.id, request.token, { component: 'flow' });
    const { metrics, inspect, ...ports } = env;
    this.telemetry = new FlowTelemetry(metrics);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const transport = this.roomVia(ports.transport);
    const callbacks = this.reportingVia(ports.callbacks);
    const implementations = flowImplementations({
      ...ports,
      transport,
      callbacks,
      frames: this.frames,
      biometrics: this.biometrics,
      log: this.log,
    });
    this.actor = createActor(flowMachine.provide(implementations), {
      input: { flowId: this.id, request, challengeIds: challenges.ids, stepUpChallengeId: challenges.stepUp, settings },
      inspect,
    });
    this.actor.subscribe({
      next: (snapshot) => {
        const state = stateName(snapshot.value);
        if (state !== this.lastState) {
          this.log.debug(`state ${state}`);
          this.telemetry.onState(snapshot);
        }
        this.lastState = state;
        this.progressed(state, snapshot.context);
        if (snapshot.status === 'done') this.end();
      },
      error: (error) => this.onCrash(error),
    });
  }

  /** Builds flow `id` and starts it. */
  static create(
    id: string,
    request: FlowRequest,
    challenges: { ids: string[]; stepUp: string },
    settings: FlowSettings,
    env: FlowEnvironment,
    hooks: FlowHooks,
  ): Flow {
    const flow = new Flow(id, request, challenges, settings, env, hooks);
    flow.log.log(`started for token ${JSON.stringify(request.token)}, lang ${request.lang}, challenges ${challenges.ids.join(', ')}`);
    flow.actor.start();
    return flow;
  }

  get token(): string {
    return this.request.token;
  }

  get lang(): string {
    return this.request.lang;
  }

  private get context(): FlowContext {
    return this.actor.getSnapshot().context;
  }

  /** What GET /flows/{id} shows. */
  view(): FlowView {
    const snapshot = this.actor.getSnapshot();
    const context = snapshot.context;
    const verdict = snapshot.matches('finishing') || snapshot.status !== 'active';
    const current = context.liveness.challenges[context.liveness.current];
    const outcome = this.crash?.outcome ?? outcomeOf(context);
    return {
      flow_id: this.id,
      token: this.token,
      state: snapshot.status === 'error' ? 'crashed' : stateName(snapshot.value),
      challenges: context.liveness.challenges.map((c) => ({ ...c })),
      current_challenge: current?.status === 'running' ? current.id : null,
      outcome: verdict ? outcome.status : null,
      reason: outcome.reason ?? null,
      message: context.failure?.message ?? this.crash?.message ?? null,
      callback_delivered: context.reported || this.crash?.delivered === true,
      started_at: this.startedAt.toISOString(),
      finished_at: this.finishedAt?.toISOString() ?? null,
      frames: {
        received: this.frames.received,
        dropped: this.frames.dropped,
        analysed: context.framesAnalysed,
        analysed_fps: this.telemetry.analysedFps ?? null,
      },
      pad: padView(context),
    };
  }

  /** The controller cancelled it: it fails with `cancelled`, reports and leaves. */
  cancel(): void {
    this.actor.send({ type: 'CANCEL' });
  }

  /** The service is stopping: it fails with `service_shutdown`, reports and leaves. */
  shutdown(): void {
    this.actor.send({ type: 'SHUTDOWN' });
  }

  /** Stops the flow wherever it is (the end of a drain); says so when the controller was not told. Idempotent. */
  close(): void {
    if (this.ended) return;
    const context = this.context;
    if (!context.reported) {
      this.log.error(
        `stopped by shutdown after ${context.callbackAttempts} of ${context.settings.callbackMaxAttempts} callback attempts; the controller was not told`,
      );
    }
    this.actor.stop();
    this.end();
  }

  /** Another replica took the flow over (its lease lapsed): stop here without calling back, and leave. Idempotent. */
  stopReporting(): void {
    if (this.ended) return;
    this.log.warn('another replica reports this flow now: stopped here without calling back');
    this.actor.stop();
    void this.leaveRoom().then(() => this.end());
  }

  /** The safety net: a crashed machine still tells the controller, once, unless it already did, and leaves. */
  private onCrash(error: unknown): void {
    this.log.error(`flow machine crashed: ${(error as Error)?.stack ?? String(error)}`);
    void Promise.allSettled([this.reportCrash(error), this.leaveRoom()]).then(() => this.end());
  }

  private async reportCrash(error: unknown): Promise<void> {
    const context = this.context;
    if (context.reported) return;
    // Past the verdict (a callback was attempted) the verdict stands; before it, the crash is the failure.
    const outcome: FlowOutcome =
      context.callbackAttempts > 0 ? outcomeOf(context) : { ...outcomeOf(context), status: 'failure', reason: 'internal_error' };
    const crash = { outcome, message: `the flow crashed: ${messageOf(error)}`, delivered: false };
    this.crash = crash;
    const target = { flowId: this.id, token: this.token, callbackBaseUrl: this.request.callbackBaseUrl };
    crash.delivered = await this.hooks.crashed(this, { target, outcome, attempt: context.callbackAttempts + 1 });
  }

  /** Tells the owner about a changed state or challenge status (not about progress within a challenge). */
  private progressed(state: string, context: FlowContext): void {
    const challenges = context.liveness.challenges.map((c) => ({ id: c.id, status: c.status }));
    const key = `${state} ${challenges.map((c) => c.status).join(',')}`;
    if (key === this.lastProgress) return;
    this.lastProgress = key;
    this.hooks.progressed(this, { state, challenges });
  }

  /** The callback port as this flow's machine uses it: every attempt is recorded first, and may be refused. */
  private reportingVia(callbacks: CallbackPort): CallbackPort {
    return {
      send: async (target, outcome, attempt, signal, log) => {
        const report = { target, outcome, attempt };
        if (!(await this.hooks.reporting(this, report))) throw new CallbackError('another replica reports this flow', false);
        await callbacks.send(target, outcome, attempt, signal, log);
        this.hooks.reported(this, report);
      },
    };
  }

  /** The transport as this flow's machine uses it, with the room kept where the Flow can close it. */
  private roomVia(transport: TransportPort): TransportPort {
    return {
      join: async (request, listener, signal) => {
        const connection = await transport.join(request, listener, AbortSignal.any([signal, this.leaving.signal]));
        this.connection = connection;
        if (this.leaving.signal.aborted) void this.leaveRoom();
        return connection;
      },
    };
  }

  private async leaveRoom(): Promise<void> {
    this.leaving.abort();
    try {
      await this.connection?.close();
    } catch (error) {
      this.log.warn(`leaving the room failed: ${messageOf(error)}`);
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    // Biometric data leaves memory with the flow, however it ended.
    this.biometrics.clear();
    this.telemetry.onEnd(this.context, this.frames);
    this.finishedAt = new Date();
    this.hooks.ended(this);
    this.resolveDone();
  }
}

/** `verifying.challenges.running` from an XState state value. */
function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) return `${entries[0][0]}.${stateName(entries[0][1])}`;
  return entries.map(([k, v]) => `${k}.${stateName(v)}`).join('|');
}
