import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (this file is compiled to dist/test/support). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** Shared real-face fixtures: VISION_FIXTURES_DIR, or ../shared/fixtures beside the repository. */
export function fixturesDir(): string {
  const dir = process.env.VISION_FIXTURES_DIR ?? join(REPO_ROOT, '..', 'shared', 'fixtures');
  if (!existsSync(dir)) throw new Error(`fixtures not found at ${dir}; set VISION_FIXTURES_DIR`);
  return dir;
}

/** Path of a fixture file, e.g. fixture('faces', 'barack_obama', '1.jpg'). */
export function fixture(...parts: string[]): string {
  return join(fixturesDir(), ...parts);
}
