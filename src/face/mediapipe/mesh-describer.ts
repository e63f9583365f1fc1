/**
 * The default engine's identity descriptor for face_changed (MediaPipeFaceEngine's descriptorModule): face-api's
 * ResNet embedding (the matcher's model, on onnxruntime) of the face aligned by the mesh's eye centres.
 */
import { alignByEyes } from '../../face-embedding/align';
import type { EmbeddingModelName } from '../../face-embedding/embedding-model';
import { loadEmbedder } from '../../face-embedding/load-embedder';
import { meshEyeCentres } from '../../face-embedding/mesh-eyes';
import { i420ToRgb } from '../i420';
import type { FaceDescriber } from './landmarker';

/** The embedding model behind this describer; its distances set the liveness face_changed threshold. */
export const DESCRIBER_MODEL: EmbeddingModelName = 'faceapi';

export async function createFaceDescriber(): Promise<FaceDescriber> {
  const embedder = await loadEmbedder(DESCRIBER_MODEL);
  return async (frame, mesh) => {
    const { left, right } = meshEyeCentres(mesh);
    // At most once a second per stream: converting the whole frame (≈2 ms) is cheaper than code for a region.
    return Array.from(await embedder.embed(alignByEyes(i420ToRgb(frame), left, right, embedder.template)));
  };
}
