import { parentPort } from 'node:worker_threads';
import type { I420Frame } from '../common/image';
import { stopRequested } from '../common/worker-ready';
import type { BoxCalibration } from '../pad/box-calibration';
import { withPadScore } from '../pad/pad-analysis';
import type { AnalyseRequest, WorkerReply, WorkerRequest } from './worker-protocol';

/**
 * The message loop of a face worker thread (both engines): loads the analyser, posts `ready` (or `failed`), then
 * answers each request in arrival order, one at a time, giving the frame's buffer back with the answer. A request
 * that needs `pad` gets the PAD score of its one face in the same answer (`padBox`: the engine's box → the models';
 * the scorer loads on its first use).
 */
export async function serveFaceWorker(load: () => Promise<AnalyseRequest>, padBox: BoxCalibration): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('a face worker must run in a worker thread');
  const reply = (message: WorkerReply) => port.postMessage(message, 'buffer' in message ? [message.buffer] : []);
  let analyse: AnalyseRequest;
  try {
    analyse = await load();
  } catch (error) {
    reply({ type: 'failed', message: (error as Error).message });
    return;
  }
  // One frame at a time: a stream's tracking state must see its frames in order.
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (request: WorkerRequest) => {
    if (stopRequested(request, () => queue.then(() => undefined))) return;
    const frame: I420Frame = {
      width: request.width,
      height: request.height,
      timestampMs: request.timestampMs,
      data: new Uint8Array(request.buffer),
    };
    queue = queue.then(async () => {
      const started = performance.now();
      try {
        const analysed = await analyse(frame, request);
        const observation = request.needs.pad ? await withPadScore(analysed, frame, padBox) : analysed;
        reply({ type: 'result', id: request.id, observation, ms: performance.now() - started, buffer: request.buffer });
      } catch (error) {
        reply({ type: 'error', id: request.id, message: (error as Error).message, buffer: request.buffer });
      }
    });
  });
  reply({ type: 'ready' });
}
