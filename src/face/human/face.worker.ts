/**
 * Worker thread of the face engine: one Human on TFJS-WASM (single-threaded in Node, hence one per core).
 * Receives I420 frames (buffer transferred), answers FaceObservations.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Human } from '@vladmandic/human';
import type { I420Frame } from '../../common/image';
import { i420ToRgb } from '../i420';
import { createHuman, humanConfig, humanTf } from './load-human';
import { toObservation } from './human-observation';
import type { FaceWorkerOptions, WorkerReply, WorkerRequest } from './worker-protocol';

const options = workerData as FaceWorkerOptions;
/** Human's default: caches are used while the mean squared pixel change stays under this. */
const CACHE_SENSITIVITY = 0.7;

function faceConfig(o: FaceWorkerOptions) {
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

/** Stream of the previous frame: Human's caches (face boxes, emotion) belong to whatever it analysed last. */
let lastStream: string | undefined;

async function analyze(human: Human, frame: I420Frame, request: WorkerRequest) {
  const tf = humanTf();
  const rgb = i420ToRgb(frame);
  const input = tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'int32');
  // A frame of another stream (or of none) must not reuse the previous stream's faces: cacheSensitivity 0 turns
  // every cache off for this frame. Otherwise Human's default: caches used while the picture changes little.
  const sameStream = request.stream !== undefined && request.stream === lastStream;
  lastStream = request.stream;
  try {
    // Human merges this into its config: faceres runs on this frame only when asked.
    const result = await human.detect(input as never, {
      cacheSensitivity: sameStream ? CACHE_SENSITIVITY : 0,
      face: { description: { enabled: options.descriptor && request.descriptor } },
    });
    if (result.error) throw new Error(result.error);
    return toObservation(result, frame);
  } finally {
    input.dispose();
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('face.worker must run in a worker thread');
  const reply = (message: WorkerReply) => port.postMessage(message, 'buffer' in message ? [message.buffer] : []);
  let human: Human;
  try {
    human = await createHuman(faceConfig(options));
    await warmUp(human);
  } catch (error) {
    reply({ type: 'failed', message: (error as Error).message });
    return;
  }
  port.on('message', (request: WorkerRequest) => {
    const frame: I420Frame = {
      width: request.width,
      height: request.height,
      timestampMs: request.timestampMs,
      data: new Uint8Array(request.buffer),
    };
    const started = performance.now();
    analyze(human, frame, request).then(
      (observation) => reply({ type: 'result', id: request.id, observation, ms: performance.now() - started, buffer: request.buffer }),
      (error: Error) => reply({ type: 'error', id: request.id, message: error.message, buffer: request.buffer }),
    );
  });
  reply({ type: 'ready' });
}

void main();
