import { type EnvValues, num } from '../config/env';
import type { ReferenceLimits } from './http-reference.adapter';

export const referencesEnv = {
  REFERENCE_MAX_COUNT: num(10, 'References used at most; further list items are skipped', { min: 1, max: 100 }),
  REFERENCE_MAX_BYTES: num(10 * 1024 * 1024, 'Size limit of one reference image', { min: 1024, max: 100 * 1024 * 1024 }),
  REFERENCE_TIMEOUT_S: num(10, 'Limit to fetch the list or one reference', { min: 1, max: 120 }),
  REFERENCE_MAX_REDIRECTS: num(3, 'Redirects followed per fetch', { min: 0, max: 10 }),
};

/** Limits of reference retrieval, ms (the adapter adds the outbound guard); /face_match image URLs get them too. */
export type ReferenceSettings = Omit<ReferenceLimits, 'outbound'>;

export function referenceSettings(env: EnvValues<typeof referencesEnv>): ReferenceSettings {
  return {
    maxCount: env.REFERENCE_MAX_COUNT,
    maxBytes: env.REFERENCE_MAX_BYTES,
    timeoutMs: env.REFERENCE_TIMEOUT_S * 1000,
    maxRedirects: env.REFERENCE_MAX_REDIRECTS,
  };
}
