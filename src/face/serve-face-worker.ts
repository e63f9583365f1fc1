import type { I420Frame } from '../common/image';
import { serveWorker } from '../common/serve-worker';
import type { BoxCalibration } from '../pad/box-calibration';
import { withPadScore } from '../pad/pad-analysis';
import type { AnalyseRequest, WorkerReply, WorkerRequest } from './worker-protocol';

/**
 * The message loop of a face worker thread (on serveWorker): loads the analyser, then answers each frame in
 * arrival order, giving the frame's buffer and its stream's next track back with the answer. A request that needs
 * `pad` gets the PAD score of its one face in the same answer (`padBox`: the engine's box → the models'; the scorer
 * loads on first use).
 */
export function serveFaceWorker(load: () => Promise<AnalyseRequest>, padBox: BoxCalibration): Promise<void> {
  return serveWorker<WorkerRequest, WorkerReply>(
    async () => {
      const analyse = await load();
      return async (request) => {
        const frame: I420Frame = {
          width: request.width,
          height: request.height,
          timestampMs: request.timestampMs,
          data: new Uint8Array(request.buffer),
        };
        const started = performance.now();
        const { observation: analysed, track } = await analyse(frame, request);
        const observation = request.needs.pad ? await withPadScore(analysed, frame, padBox) : analysed;
        const answer: WorkerReply = {
          type: 'result',
          id: request.id,
          observation,
          track,
          ms: performance.now() - started,
          buffer: request.buffer,
        };
        return { answer, transfer: [request.buffer] };
      };
    },
    (request, message) => ({ answer: { type: 'error', id: request.id, message, buffer: request.buffer }, transfer: [request.buffer] }),
  );
}
