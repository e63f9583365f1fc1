import { ApiProperty } from '@nestjs/swagger';
import type { PadView } from '../pad/pad-view';
import type { StoredFlow } from '../store/flow-store.port';

/** One challenge of a flow. */
export class ChallengeView {
  @ApiProperty({ example: 'blink' })
  id!: string;
  @ApiProperty({ enum: ['pending', 'running', 'passed', 'failed'] })
  status!: string;
  @ApiProperty({ description: '0..1' })
  progress!: number;
}

/** Subject frames of a flow. */
export class FrameCountsView {
  @ApiProperty({ description: 'Frames that arrived' })
  received!: number;
  @ApiProperty({ description: 'Frames replaced by a newer one before analysis (latest frame wins)' })
  dropped!: number;
  @ApiProperty({ description: 'Frames analysed' })
  analysed!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Analysed per second of the challenges, once finished' })
  analysed_fps!: number | null;
}

/** GET /flows/{id} and DELETE /flows/{id}: a running or recently finished flow. */
export class FlowView {
  @ApiProperty()
  flow_id!: string;
  @ApiProperty()
  token!: string;
  @ApiProperty({ description: 'State path of the flow machine, e.g. verifying.challenges.running; crashed after a crash', example: 'done' })
  state!: string;
  @ApiProperty({ type: [ChallengeView] })
  challenges!: ChallengeView[];
  @ApiProperty({ type: String, nullable: true })
  current_challenge!: string | null;
  @ApiProperty({ enum: ['success', 'failure'], nullable: true, description: 'Set once the verdict is known' })
  outcome!: 'success' | 'failure' | null;
  @ApiProperty({ type: String, nullable: true, description: 'The failure reason code' })
  reason!: string | null;
  @ApiProperty({ type: String, nullable: true })
  message!: string | null;
  @ApiProperty({ description: 'Whether the terminal callback reached the controller' })
  callback_delivered!: boolean;
  @ApiProperty({ format: 'date-time' })
  started_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finished_at!: string | null;
  @ApiProperty({ type: FrameCountsView })
  frames!: FrameCountsView;
  @ApiProperty({
    type: Object,
    nullable: true,
    description: 'The passive presentation-attack check (scores and 2-s windows only; null with PAD_POLICY=off)',
  })
  pad!: PadView | null;
}

/**
 * The view of a flow from its store record (another replica's flow): what the store keeps, no frame counts or PAD windows (those
 * live in the running process) and no progress within a challenge.
 */
export function storedFlowView(flow: StoredFlow): FlowView {
  const outcome = flow.outcome;
  return {
    flow_id: flow.id,
    token: flow.token,
    state: flow.state,
    challenges: flow.challenges.map((c) => ({ id: c.id, status: c.status, progress: c.status === 'passed' ? 1 : 0 })),
    current_challenge: flow.challenges.find((c) => c.status === 'running')?.id ?? null,
    outcome: outcome?.status ?? null,
    reason: outcome?.reason ?? null,
    message: null,
    callback_delivered: flow.delivery.delivered,
    started_at: new Date(flow.createdAt).toISOString(),
    finished_at: flow.finishedAt === undefined ? null : new Date(flow.finishedAt).toISOString(),
    frames: { received: 0, dropped: 0, analysed: 0, analysed_fps: null },
    pad: null,
  };
}
