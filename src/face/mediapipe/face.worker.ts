/**
 * Worker thread of the MediaPipe engine: one FaceLandmarker (three onnxruntime sessions, one thread each) shared
 * by every stream this worker is given; tracks are kept per stream inside it.
 */
import { workerData } from 'node:worker_threads';
import { MEDIAPIPE_TO_PAD } from '../../pad/box-calibration';
import { serveFaceWorker } from '../serve-face-worker';
import { type FaceDescriber, FaceLandmarker } from './landmarker';
import type { MediaPipeWorkerOptions } from './mediapipe-face.engine';

const options = workerData as MediaPipeWorkerOptions;

void serveFaceWorker(async () => {
  // The identity descriptor's seam: a module exporting createFaceDescriber() (an embedding model); without one, no
  // descriptor.
  const describe: FaceDescriber | undefined = options.descriptorModule
    ? await (require(options.descriptorModule) as { createFaceDescriber(): Promise<FaceDescriber> }).createFaceDescriber()
    : undefined;
  const landmarker = await FaceLandmarker.load(options, describe);
  return (frame, request) => landmarker.analyse(frame, request.stream, request.descriptor);
}, MEDIAPIPE_TO_PAD);
