import type { FlowContext, FlowTag } from '../flow/flow.types';
import { padOutcome } from '../pad/pad-policy';
import type { FlowPhase, Metrics } from './metrics';

/** The phases timed, in the order a flow goes through them: each is a tag of the flow machine's states. */
const PHASES: readonly FlowTag[] = ['join', 'liveness', 'matching', 'callback'];

/** What telemetry reads of a snapshot of the flow machine. */
export interface TaggedSnapshot {
  hasTag(tag: FlowTag): boolean;
}

/** Watches one flow's states and, when it ends, records its metrics. Reads the machine; never drives it. */
export class FlowTelemetry {
  private readonly startedAt = performance.now();
  private phase?: Exclude<FlowPhase, 'total'>;
  private phaseStartedAt = this.startedAt;
  private livenessSeconds = 0;
  /** Frames analysed per second of the liveness phase, known once the flow ended (when it reached the challenges). */
  analysedFps?: number;

  constructor(private readonly metrics: Metrics) {
    metrics.flowsStarted.inc();
    metrics.flowsActive.inc();
  }

  /** Called with every new snapshot of the flow machine. */
  onState(snapshot: TaggedSnapshot): void {
    this.enter(PHASES.find((tag) => snapshot.hasTag(tag)));
  }

  private enter(phase: Exclude<FlowPhase, 'total'> | undefined): void {
    if (phase === this.phase) return;
    const now = performance.now();
    if (this.phase) {
      const seconds = (now - this.phaseStartedAt) / 1000;
      this.metrics.phaseSeconds.observe({ phase: this.phase }, seconds);
      if (this.phase === 'liveness') this.livenessSeconds = seconds;
    }
    this.phase = phase;
    this.phaseStartedAt = now;
  }

  /** Called once, when the flow has reported and left (or crashed); `frames` are the subject video's counters. */
  onEnd(context: FlowContext, frames: { received: number; dropped: number }): void {
    this.enter(undefined);
    const m = this.metrics;
    m.flowsActive.dec();
    m.phaseSeconds.observe({ phase: 'total' }, (performance.now() - this.startedAt) / 1000);
    m.flowsFinished.inc({ outcome: context.verdict === 'success' ? 'success' : 'failure', reason: context.failure?.reason ?? '' });
    for (const c of context.liveness.challenges) {
      m.challenges.inc({ challenge: c.id, result: c.status === 'passed' ? 'passed' : c.status === 'pending' ? 'not_reached' : 'failed' });
    }
    if (this.livenessSeconds > 0) {
      this.analysedFps = context.framesAnalysed / this.livenessSeconds;
      m.analysedFps.observe(this.analysedFps);
    }
    if (context.settings.pad.policy !== 'off') {
      for (const w of context.pad.windows) m.padWindowScore.observe(w.mean);
      m.flowsByPad.inc({ policy: context.settings.pad.policy, outcome: padOutcome(context.pad) });
    }
    if (frames.received > 0) m.droppedFrameRatio.observe(frames.dropped / frames.received);
    m.callbackAttempts.inc(context.callbackAttempts);
    if (!context.reported) m.callbackFailures.inc();
  }
}
