/**
 * Builds the subject page into dist/web: subject.ts bundled for the browser by esbuild (mediasoup-client and
 * protoo-client included, so the page loads nothing from other hosts) beside a copy of index.html.
 * `npm run build:web` runs it; the demo and the browser tests call buildSubjectPage() themselves.
 */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/support/fixtures';

const SOURCE_DIR = join(REPO_ROOT, 'demo', 'web');

/** Where the built page is. */
export const WEB_DIST_DIR = join(REPO_ROOT, 'dist', 'web');

/** Bundles the page into WEB_DIST_DIR and returns that directory. */
export async function buildSubjectPage(): Promise<string> {
  await mkdir(WEB_DIST_DIR, { recursive: true });
  await build({
    entryPoints: [join(SOURCE_DIR, 'subject.ts')],
    outfile: join(WEB_DIST_DIR, 'subject.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome110',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  await copyFile(join(SOURCE_DIR, 'index.html'), join(WEB_DIST_DIR, 'index.html'));
  return WEB_DIST_DIR;
}

if (require.main === module) {
  buildSubjectPage().then(
    (dir) => console.log(`subject page built in ${dir}`),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
