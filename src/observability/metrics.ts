import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Phases of a flow whose durations are measured. */
export type FlowPhase = 'join' | 'liveness' | 'matching' | 'callback' | 'total';

/** The service's Prometheus metrics, on a registry of its own (GET /metrics). */
export class Metrics {
  readonly registry = new Registry();
  readonly flowsStarted = new Counter({ name: 'vision_flows_started_total', help: 'Flows accepted', registers: [this.registry] });
  readonly flowsActive = new Gauge({ name: 'vision_flows_active', help: 'Flows running now', registers: [this.registry] });
  readonly flowsFinished = new Counter({
    name: 'vision_flows_finished_total',
    help: 'Flows finished, by outcome and failure reason',
    labelNames: ['outcome', 'reason'],
    registers: [this.registry],
  });
  readonly challenges = new Counter({
    name: 'vision_challenges_total',
    help: 'Challenge results by challenge id',
    labelNames: ['challenge', 'result'],
    registers: [this.registry],
  });
  readonly phaseSeconds = new Histogram({
    name: 'vision_flow_phase_seconds',
    help: 'Duration of flow phases',
    labelNames: ['phase'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
    registers: [this.registry],
  });
  readonly analysedFps = new Histogram({
    name: 'vision_analysed_fps',
    help: 'Subject frames analysed per second during the liveness phase, per flow',
    buckets: [2, 5, 8, 10, 12, 15, 20, 25, 30],
    registers: [this.registry],
  });
  readonly droppedFrameRatio = new Histogram({
    name: 'vision_dropped_frame_ratio',
    help: 'Share of subject frames dropped by latest-frame-wins back-pressure, per flow',
    buckets: [0, 0.1, 0.25, 0.5, 0.75, 0.9],
    registers: [this.registry],
  });
  readonly callbackAttempts = new Counter({
    name: 'vision_callback_attempts_total',
    help: 'Terminal callback attempts',
    registers: [this.registry],
  });
  readonly callbackFailures = new Counter({
    name: 'vision_callback_undelivered_total',
    help: 'Flows whose terminal callback was never accepted by the controller',
    registers: [this.registry],
  });
  readonly referenceFailures = new Counter({
    name: 'vision_reference_failures_total',
    help: 'Reference images skipped, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly flowsAdopted = new Counter({
    name: 'vision_flows_adopted_total',
    help: 'Flows taken over from a replica whose lease expired, by reason (service_restarted, resume_delivery)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'vision_store_errors_total',
    help: 'Flow store operations that failed (each retry counts), by operation',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  readonly leaseRenewalsLate = new Counter({
    name: 'vision_lease_renewals_late_total',
    help: 'Lease renewals that came more than two renewal periods after the previous one (or failed)',
    registers: [this.registry],
  });
  readonly padWindowScore = new Histogram({
    name: 'vision_pad_window_score',
    help: 'Passive presentation-attack check: 2-second window means of the fused "real" probability (docs/pad.md)',
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    registers: [this.registry],
  });
  readonly flowsByPad = new Counter({
    name: 'vision_flows_pad_total',
    help: 'Finished flows by PAD policy and outcome (clear, suspect, or unscored: no window had enough scored frames)',
    labelNames: ['policy', 'outcome'],
    registers: [this.registry],
  });
  readonly faceQueueDepth = new Gauge({
    name: 'vision_face_queue_depth',
    help: 'Frames waiting for or in the face worker pool',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'vision_' });
  }
}
