import { readFileSync } from 'node:fs';
import type { CanonicalFace } from './head-pose';

/**
 * MediaPipe's canonical face and Procrustes landmark weights, from the JSON models:convert writes out of the
 * bundle's geometry_pipeline_metadata_landmarks.binarypb (models/face_landmarker/CONVERTED.md describes it).
 */
export function loadCanonicalFace(jsonFile: string): CanonicalFace {
  const metadata = JSON.parse(readFileSync(jsonFile, 'utf8')) as {
    canonicalMesh?: { vertices?: [number, number, number][] };
    procrustesLandmarkBasis?: { landmarkId: number; weight: number }[];
  };
  const points = metadata.canonicalMesh?.vertices ?? [];
  const basis = (metadata.procrustesLandmarkBasis ?? []).map(({ landmarkId, weight }) => ({ index: landmarkId, weight }));
  if (points.length !== 468 || basis.length === 0)
    throw new Error(`unexpected canonical face in ${jsonFile}: ${points.length} points, ${basis.length} weights`);
  return { points, basis };
}
