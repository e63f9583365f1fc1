/**
 * Worker thread of the MediaPipe engine: one FaceLandmarker (three onnxruntime sessions, one thread each) for
 * whatever frames it is given; each frame brings its stream's track (FaceTrack) and the answer carries the next.
 */
import { workerData } from 'node:worker_threads';
import { MEDIAPIPE_TO_PAD } from '../../pad/box-calibration';
import { serveFaceWorker } from '../serve-face-worker';
import { type FaceDescriber, FaceLandmarker, type FaceTrack } from './landmarker';
import type { MediaPipeWorkerOptions } from './mediapipe-face.engine';

const options = workerData as MediaPipeWorkerOptions;

void serveFaceWorker(async () => {
  // The identity descriptor's seam: a module exporting createFaceDescriber() (an embedding model); without one, no
  // descriptor.
  const describe: FaceDescriber | undefined = options.descriptorModule
    ? await (require(options.descriptorModule) as { createFaceDescriber(): Promise<FaceDescriber> }).createFaceDescriber()
    : undefined;
  const landmarker = await FaceLandmarker.load(options, describe);
  return (frame, request) => landmarker.analyse(frame, request.track as FaceTrack | undefined, request.descriptor);
}, MEDIAPIPE_TO_PAD);
