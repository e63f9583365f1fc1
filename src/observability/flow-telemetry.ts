import type { FlowContext } from '../flow/flow.types';
import type { FlowPhase, Metrics } from './metrics';

/** Which phase a state path (`verifying.challenges.running`) belongs to; undefined for none. */
function phaseOf(state: string): Exclude<FlowPhase, 'total'> | undefined {
  if (state.startsWith('verifying.joining') || state.startsWith('verifying.instructing')) return 'join';
  if (state.startsWith('verifying.challenges')) return 'liveness';
  if (state.startsWith('verifying.')) return 'matching';
  if (state.startsWith('finishing')) return 'callback';
  return undefined;
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

  /** Called with every new state path. */
  onState(state: string): void {
    const phase = phaseOf(state);
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

  /** Called once, when the flow has reported and left (or crashed). */
  onEnd(context: FlowContext, frames: { received: number; dropped: number; delivered: number }): void {
    this.onState('done');
    const m = this.metrics;
    m.flowsActive.dec();
    m.phaseSeconds.observe({ phase: 'total' }, (performance.now() - this.startedAt) / 1000);
    m.flowsFinished.inc({ outcome: context.failure ? 'failure' : 'success', reason: context.failure?.reason ?? '' });
    for (const c of context.liveness.challenges) {
      m.challenges.inc({ challenge: c.id, result: c.status === 'passed' ? 'passed' : c.status === 'pending' ? 'not_reached' : 'failed' });
    }
    if (this.livenessSeconds > 0) {
      this.analysedFps = frames.delivered / this.livenessSeconds;
      m.analysedFps.observe(this.analysedFps);
    }
    if (frames.received > 0) m.droppedFrameRatio.observe(frames.dropped / frames.received);
    m.callbackAttempts.inc(context.callbackAttempts);
    if (!context.reported) m.callbackFailures.inc();
  }
}
