import type { EmbeddingModelName } from '../../face-embedding/embedding-model';

/**
 * Cosine distance below which a pair matches, per model: the threshold at FMR 0.1 % measured on the shared
 * identities (docs/matching.md), rounded down.
 */
export const DEFAULT_THRESHOLDS: Record<EmbeddingModelName, number> = { faceapi: 0.074, faceres: 0.36 };
