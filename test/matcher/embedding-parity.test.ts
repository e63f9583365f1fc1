import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { RawImage } from '../../src/common/image';
import { alignByEyes } from '../../src/face-embedding/align';
import { EMBEDDING_MODELS, Embedder } from '../../src/face-embedding/embedding-model';
import { loadEmbedder } from '../../src/face-embedding/load-embedder';
import { cosineDistance } from '../../src/common/distance';
import { FaceDetector } from '../../src/matcher/embedded/face-detector';
import { facePhoto } from './matcher-fixtures';

/**
 * Each converted ONNX model against the TFJS original it was converted from, on real eye-aligned crops (colour
 * press photos and a grayscale TV crop). Measured: cosine distance ≤ 3e-11, largest component difference ≤ 5e-6
 * (the weights are the same values; only summation order differs). Tolerances: 1e-8 and 1e-4.
 */
const MAX_COSINE_DISTANCE = 1e-8;
const MAX_ABS_DIFFERENCE = 1e-4;
const PHOTOS: [string, number][] = [
  ['barack_obama', 1],
  ['joe_biden', 2],
  ['angelina_jolie', 3],
  ['bbt_penny', 1],
];

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

describe('ONNX embedding models vs their TFJS originals', { timeout: 5 * 60_000 }, () => {
  const crops = new Map<string, RawImage[]>();
  const models = new Map<string, { onnx: Embedder; tfjs: Embedder }>();

  before(async () => {
    const detector = await FaceDetector.create();
    for (const name of EMBEDDING_MODELS)
      models.set(name, { onnx: await loadEmbedder(name, 'onnx'), tfjs: await loadEmbedder(name, 'tfjs') });
    const photos = await Promise.all(PHOTOS.map(([person, n]) => facePhoto(person, n)));
    for (const name of EMBEDDING_MODELS) crops.set(name, []);
    for (const photo of photos) {
      const [face] = await detector.detect(photo);
      assert.ok(face, 'fixture photo without a face');
      for (const name of EMBEDDING_MODELS)
        crops.get(name)!.push(alignByEyes(photo, face.leftEye, face.rightEye, models.get(name)!.onnx.template));
    }
  });

  for (const name of EMBEDDING_MODELS) {
    it(`should give ${name}'s embeddings within tolerance on real faces`, async () => {
      const { onnx, tfjs } = models.get(name)!;
      const embeddings: Float32Array[] = [];
      for (const [i, crop] of crops.get(name)!.entries()) {
        const [a, b] = [await onnx.embed(crop), await tfjs.embed(crop)];
        assert.equal(a.length, onnx.dims);
        assert.equal(b.length, onnx.dims);
        const label = `${PHOTOS[i].join('/')}: cosine ${cosineDistance(a, b)}, max diff ${maxAbsDifference(a, b)}`;
        assert.ok(cosineDistance(a, b) <= MAX_COSINE_DISTANCE, label);
        assert.ok(maxAbsDifference(a, b) <= MAX_ABS_DIFFERENCE, label);
        embeddings.push(a);
      }
      // The comparison means something only if different people give clearly different vectors.
      assert.ok(cosineDistance(embeddings[0], embeddings[1]) > 1000 * MAX_COSINE_DISTANCE);
    });
  }

  it('should refuse a crop of the wrong size', async () => {
    const { onnx } = models.get('faceapi')!;
    await assert.rejects(onnx.embed({ width: 100, height: 100, channels: 3, data: new Uint8Array(100 * 100 * 3) }), /150x150 RGB/);
  });
});
