/**
 * The default engine's identity descriptor for face_changed (MediaPipeFaceEngine's descriptorModule): face-api's
 * ResNet embedding (the matcher's model, on onnxruntime) of the face aligned by the mesh's eye centres.
 */
import type { RawImage } from '../../common/image';
import type { EyeTemplate, Point } from '../../face-embedding/align';
import type { EmbeddingModelName } from '../../face-embedding/embedding-model';
import { loadEmbedder } from '../../face-embedding/load-embedder';
import { meshEyeCentres } from '../../face-embedding/mesh-eyes';
import { cropI420 } from './crop';
import type { FaceDescriber } from './landmarker';
import type { Roi } from './roi';

/** The embedding model behind this describer; its distances set the liveness face_changed threshold. */
export const DESCRIBER_MODEL: EmbeddingModelName = 'faceapi';

/**
 * alignByEyes' similarity transform as a crop: the square whose template eye points land on `left` and `right`
 * (image left and right eye centres). Output pixel centre p maps to left + R·s·(p − template left eye), s the source
 * pixels per output pixel, so the square's centre is left + R·s·(size/2 − template left eye).
 */
export function eyeAlignedRoi(left: Point, right: Point, template: EyeTemplate): Roi {
  const { size } = template;
  const dx = right.x - left.x;
  const dy = right.y - left.y;
  const s = Math.hypot(dx, dy) / ((template.rightX - template.leftX) * size);
  const angle = Math.atan2(dy, dx);
  const ox = s * (size / 2 - template.leftX * size);
  const oy = s * (size / 2 - template.eyeY * size);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return { cx: left.x + cos * ox - sin * oy, cy: left.y + sin * ox + cos * oy, width: s * size, height: s * size, angle };
}

export async function createFaceDescriber(): Promise<FaceDescriber> {
  const embedder = await loadEmbedder(DESCRIBER_MODEL);
  const { size } = embedder.template;
  const crop = new Float32Array(size * size * 3);
  const face: RawImage = { width: size, height: size, channels: 3, data: new Uint8Array(crop.length) };
  return async (frame, mesh) => {
    const { left, right } = meshEyeCentres(mesh);
    // Sampled straight from the I420 frame: converting the whole frame to RGB first cost more than the crop.
    cropI420(frame, eyeAlignedRoi(left, right, embedder.template), size, { min: 0, max: 255 }, crop);
    // Planar to interleaved RGB, rounded (values are 0..255).
    for (let i = 0, plane = size * size; i < plane; i++) for (let c = 0; c < 3; c++) face.data[i * 3 + c] = crop[c * plane + i] + 0.5;
    return Array.from(await embedder.embed(face));
  };
}
