import { num } from '../config/env';

export const referencesEnv = {
  REFERENCE_MAX_COUNT: num(10, 'References used at most; further list items are skipped', { min: 1, max: 100 }),
  REFERENCE_MAX_BYTES: num(10 * 1024 * 1024, 'Size limit of one reference image', { min: 1024, max: 100 * 1024 * 1024 }),
  REFERENCE_TIMEOUT_S: num(10, 'Limit to fetch the list or one reference', { min: 1, max: 120 }),
  REFERENCE_MAX_REDIRECTS: num(3, 'Redirects followed per fetch', { min: 0, max: 10 }),
};
