import type { I420Frame, RawImage } from '../common/image';
import { VisionError } from '../common/errors';
import { WorkerPool } from '../common/worker-pool';
import type { EmbeddingModelName } from '../face-embedding/embedding-model';
import type { AnalysisNeeds, FaceAnalysisPort, FaceSignal } from './face-analysis.port';
import type { FaceObservation } from './face-observation';
import { assertI420, frameToRgb } from './i420';
import type { WorkerReply, WorkerRequest } from './worker-protocol';
import { faceDefaults } from './face.env';

/** How a face engine's worker threads are started and paced (each engine fills it from its own settings). */
export interface FaceWorkersConfig {
  /** Worker threads. */
  workers: number;
  /** The worker's compiled file (it calls serveFaceWorker). */
  workerFile: string;
  /** The worker's own options (workerData). */
  workerData: unknown;
  /** Time for loading and warming up a worker, ms; default FACE_START_TIMEOUT_S's. */
  startTimeoutMs?: number;
  /** Shortest time (frame timestamps, ms) and fewest frames between two descriptors of one stream. */
  descriptorEvery: { ms: number; frames: number };
  /** The embedding model of the descriptors, when the engine's are one of the known models. */
  descriptorModel?: EmbeddingModelName;
  /** What the engine's observations measure (FaceAnalysisPort.signals). */
  signals: readonly FaceSignal[];
}

/** A caller's sequence of frames (e.g. one flow). */
interface Stream {
  lastMs: number;
  /** The track its last frame's worker answered (engine-specific), for the next frame. */
  track?: unknown;
  /** Timestamp of the last frame that got a descriptor. */
  descriptorMs?: number;
  /** Frames since then. */
  framesSinceDescriptor: number;
}

/** A stream without a frame for this long is forgotten (its flow ended: the port has no end-of-stream call). */
const STREAM_IDLE_MS = 30_000;
/**
 * A frame unanswered for this long fails as an analysis error. Far above a loaded worker's queue (≈ 34 ms a frame,
 * one frame per stream in flight), it bounds a stuck worker; PAD's first score loads its models inside the worker.
 */
const FRAME_TIMEOUT_MS = 30_000;

/**
 * FaceAnalysisPort on a pool of face worker threads (a WorkerPool). Each frame's buffer is moved
 * to a worker (no copy) and put back into `frame.data` when `analyze` settles. Each frame goes to the least busy
 * worker: a stream's (e.g. a flow's) tracking state is kept here and travels with its frames, since a worker kept
 * busy by a PAD or descriptor frame, or preempted, would otherwise hold up every stream stuck to it. A dead worker
 * is replaced; too many deaths and the engine is broken.
 */
export class WorkerFaceEngine implements FaceAnalysisPort {
  private readonly pool: WorkerPool<WorkerRequest, WorkerReply>;
  private readonly streams = new Map<string, Stream>();

  /** Starts the workers; they load their models and warm up in the background (await `ready()`). */
  constructor(private readonly config: FaceWorkersConfig) {
    this.pool = new WorkerPool({
      name: 'face worker',
      owner: 'face engine',
      reason: 'internal_error',
      workers: config.workers,
      workerFile: config.workerFile,
      workerData: config.workerData,
      startTimeoutMs: config.startTimeoutMs ?? faceDefaults.startTimeoutMs,
      requestTimeoutMs: FRAME_TIMEOUT_MS,
      timing: (reply) => ({ total: reply.ms }),
    });
  }

  /** Resolves once every worker has loaded its models and run a warm-up. */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  /** Every face worker scores `needs.pad` (serveFaceWorker). */
  readonly padScoring = true;

  get descriptorModel(): EmbeddingModelName | undefined {
    return this.config.descriptorModel;
  }

  get signals(): readonly FaceSignal[] {
    return this.config.signals;
  }

  get workerCount(): number {
    return this.pool.size;
  }

  /** Median analysis time per frame inside the workers, ms (0 before any frame). */
  medianMs(): number {
    return this.pool.medianMs('total');
  }

  /**
   * Analyses one frame. `stream` (e.g. the flow id) names a caller's sequence of frames, whose track goes from each
   * frame to the next. The caller must keep at most one frame in flight per stream and must not read `frame.data`
   * until the promise settles.
   */
  async analyze(frame: I420Frame, stream?: string, needs: AnalysisNeeds = {}): Promise<FaceObservation> {
    this.pool.assertOpen();
    assertI420(frame);
    await this.pool.ready();
    const state = stream === undefined ? undefined : this.stream(stream, frame.timestampMs);
    const descriptor = this.wantsDescriptor(state, frame.timestampMs);
    const whole = frame.data.byteOffset === 0 && frame.data.byteLength === frame.data.buffer.byteLength;
    // A view into a larger buffer cannot be moved without taking its neighbours along: copy that one.
    const buffer = (whole ? frame.data.buffer : frame.data.slice().buffer) as ArrayBuffer;
    const { width, height, timestampMs } = frame;
    const track = state?.track;
    const reply = await this.pool.request((id) => ({ id, width, height, timestampMs, buffer, descriptor, track, needs }), [buffer]);
    if (whole) frame.data = new Uint8Array(reply.buffer);
    if (reply.type === 'error') throw new VisionError('internal_error', `face analysis failed: ${reply.message}`);
    if (state) state.track = reply.track;
    return reply.observation;
  }

  /** The frame as RGB, for keeping as live evidence. */
  toRgb(frame: I420Frame): RawImage {
    return frameToRgb(frame);
  }

  /** Set once workers kept dying: the pool is stopped and every later frame is refused. */
  brokenReason(): string | undefined {
    return this.pool.brokenReason();
  }

  /** Stops every worker once it finished its frame; pending analyses reject. Idempotent. */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** A descriptor on a stream's frame at most every descriptorEvery ms and frames; frames without a stream always get one. */
  private wantsDescriptor(stream: Stream | undefined, nowMs: number): boolean {
    if (!stream) return true;
    const every = this.config.descriptorEvery;
    const last = stream.descriptorMs;
    const due = last === undefined || nowMs < last || (nowMs - last >= every.ms && stream.framesSinceDescriptor + 1 >= every.frames);
    if (!due) {
      stream.framesSinceDescriptor++;
      return false;
    }
    stream.descriptorMs = nowMs;
    stream.framesSinceDescriptor = 0;
    return true;
  }

  private stream(stream: string, nowMs: number): Stream {
    for (const [key, s] of this.streams) {
      if (nowMs - s.lastMs > STREAM_IDLE_MS) this.streams.delete(key);
    }
    let state = this.streams.get(stream);
    if (!state) {
      state = { lastMs: nowMs, framesSinceDescriptor: 0 };
      this.streams.set(stream, state);
    }
    state.lastMs = nowMs;
    return state;
  }
}
