import { VisionError } from './errors';

/**
 * Cosine distance in [0, 2]: 0 for the same direction, 1 for orthogonal vectors (or a zero one), 2 for opposite.
 * Embeddings and descriptors of one model have one length: unequal or empty ones are a bug, and throw.
 */
export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new VisionError('internal_error', `cosine distance of vectors of different lengths: ${a.length} and ${b.length}`);
  if (a.length === 0) throw new VisionError('internal_error', 'cosine distance of empty vectors');
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return 1;
  return 1 - dot / Math.sqrt(na * nb);
}
