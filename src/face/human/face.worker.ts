/**
 * Worker thread of the face engine: one Human on TFJS-WASM (single-threaded in Node, hence one per core).
 * Receives I420 frames (buffer transferred), answers FaceObservations.
 */
import { workerData } from 'node:worker_threads';
import type { Human } from '@vladmandic/human';
import type { I420Frame } from '../../common/image';
import { i420ToRgb } from '../i420';
import { createHuman, humanConfig, humanTf } from './load-human';
import { toObservation } from './human-observation';
import { HUMAN_TO_PAD } from '../../pad/box-calibration';
import { serveFaceWorker } from '../serve-face-worker';
import type { WorkerRequest } from '../worker-protocol';
import type { HumanWorkerOptions } from './human-face.engine';

const options = workerData as HumanWorkerOptions;
/** Human's default: caches are used while the mean squared pixel change stays under this. */
const CACHE_SENSITIVITY = 0.7;

function faceConfig(o: HumanWorkerOptions) {
  return humanConfig({
    // Re-run the detector at least every detectorSkipMs so a second face entering the frame is seen; in between
    // Human tracks the face from the previous mesh (about half the cost per frame).
    detector: { rotation: false, maxDetected: o.maxFaces, minConfidence: 0.5, skipFrames: 30, skipTime: o.detectorSkipMs },
    mesh: { enabled: true },
    iris: { enabled: o.iris },
    // A short cache: a smile lasts about a second, the emotion model must see it.
    emotion: { enabled: o.emotion, skipFrames: 2, skipTime: 150 },
    // No cache: the engine asks for a descriptor only on the frames that need one (see analyze).
    description: { enabled: o.descriptor, skipFrames: 0, skipTime: 0 },
  });
}

/** Runs every loaded model once on zeros so WASM kernels are compiled before the first real frame. */
async function warmUp(human: Human): Promise<void> {
  const tf = humanTf();
  for (const model of Object.values(human.models.models)) {
    if (!model) continue;
    const shape = model.inputs[0].shape?.map((d) => (d === -1 ? 1 : d)) ?? [1, 64, 64, 3];
    tf.tidy(() => model.execute(tf.zeros(shape)));
  }
  await human.detect(tf.zeros([64, 64, 3]) as never);
}

/** A Human of this worker and the stream whose frame it analysed last (its caches describe that stream's face). */
interface Tracker {
  human: Human;
  stream?: string;
  /** performance.now() of its last frame. */
  usedMs: number;
}

/**
 * One Human per stream, options.trackersPerWorker of them, all loaded and warmed up at start (loading one when a
 * flow starts stalled the worker's other flows for seconds). Human keeps its tracking caches (face boxes between
 * detector runs, emotion) in module state, not per instance, so each tracker is a separate load of the bundle
 * (≈ 75 MB each). A stream keeps its tracker until it ends; streams past the limit share the first one and,
 * switching streams on every frame, run the detector (≈ 25 ms) and emotion each time.
 */
class Trackers {
  private constructor(private readonly all: Tracker[]) {}

  static async load(count: number): Promise<Trackers> {
    const all: Tracker[] = [];
    for (let i = 0; i < count; i++) {
      const human = await createHuman(faceConfig(options), { freshModule: i > 0 });
      await warmUp(human);
      all.push({ human, usedMs: 0 });
    }
    return new Trackers(all);
  }

  /** The tracker for this stream: its own, else one idle for TRACKER_IDLE_MS (its flow ended), else the first. */
  for(stream: string | undefined): Tracker {
    const now = performance.now();
    const own = stream === undefined ? undefined : this.all.find((t) => t.stream === stream);
    const idle =
      stream === undefined ? undefined : this.all.find((t, i) => i > 0 && (t.stream === undefined || now - t.usedMs > TRACKER_IDLE_MS));
    const pick = own ?? idle ?? this.all[0];
    pick.usedMs = now;
    return pick;
  }
}

/** A tracker this long without a frame (its flow ended) goes to the next new stream. */
const TRACKER_IDLE_MS = 10_000;

async function analyze(tracker: Tracker, frame: I420Frame, request: WorkerRequest) {
  const tf = humanTf();
  const rgb = i420ToRgb(frame);
  const input = tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'int32');
  // A frame of another stream (or of none) must not reuse the previous stream's faces: cacheSensitivity 0 turns
  // every cache off for this frame. Otherwise Human's default: caches used while the picture changes little.
  const sameStream = request.stream !== undefined && request.stream === tracker.stream;
  tracker.stream = request.stream;
  try {
    // Human merges this into its config: faceres runs on this frame only when asked.
    const result = await tracker.human.detect(input as never, {
      cacheSensitivity: sameStream ? CACHE_SENSITIVITY : 0,
      face: {
        description: { enabled: options.descriptor && request.descriptor },
        emotion: { enabled: options.emotion && request.needs.smile },
        iris: { enabled: options.iris && request.needs.eyes },
      },
    });
    if (result.error) throw new Error(result.error);
    return toObservation(result, frame);
  } finally {
    input.dispose();
  }
}

void serveFaceWorker(async () => {
  const trackers = await Trackers.load(Math.max(1, options.trackersPerWorker));
  return (frame, request) => analyze(trackers.for(request.stream), frame, request);
}, HUMAN_TO_PAD);
