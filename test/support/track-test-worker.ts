/**
 * A face worker for WorkerFaceEngine's own tests (on serveFaceWorker): keeps no state, counts the frames its
 * request's track has seen and answers the count and its thread id in the observation.
 */
import { threadId } from 'node:worker_threads';
import { MEDIAPIPE_TO_PAD } from '../../src/pad/box-calibration';
import type { FaceObservation } from '../../src/face/face-observation';
import { serveFaceWorker } from '../../src/face/serve-face-worker';

/** What this worker answers: frames seen before this one by the track it was given, and who answered. */
export interface CountingObservation extends FaceObservation {
  framesBefore: number;
  threadId: number;
}

interface CountingTrack {
  frames: number;
}

void serveFaceWorker(
  async () => async (frame, request) => {
    const framesBefore = (request.track as CountingTrack | undefined)?.frames ?? 0;
    const observation: CountingObservation = {
      timestampMs: frame.timestampMs,
      imageWidth: frame.width,
      imageHeight: frame.height,
      faceCount: 0,
      framesBefore,
      threadId,
    };
    return { observation, track: { frames: framesBefore + 1 } satisfies CountingTrack };
  },
  MEDIAPIPE_TO_PAD,
);
