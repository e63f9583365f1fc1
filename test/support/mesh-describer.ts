/**
 * A describer module for MediaPipeFaceEngine's descriptorModule seam in tests: the "descriptor" is the nose tip's
 * place in the frame, enough to see which frames were described and that the mesh reached the describer.
 */
import type { FaceDescriber } from '../../src/face/mediapipe/landmarker';

export async function createFaceDescriber(): Promise<FaceDescriber> {
  return (_frame, mesh) => [mesh[1][0], mesh[1][1]];
}
