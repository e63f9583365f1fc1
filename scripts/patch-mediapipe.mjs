#!/usr/bin/env node
/**
 * Removes the usage logger from @mediapipe/tasks-vision (run by npm's postinstall; safe to run again).
 * Usage: node scripts/patch-mediapipe.mjs [package folder]
 *
 * tasks-vision 1.1.0 always builds a usage logger that POSTs to a Google endpoint every 60 s and on close, with no
 * public switch. Every bundle constructs it in exactly one place, `t.o=new <Logger>(t.D(),e,r)`, and every later use
 * is optional (`t.o?.…`), so assigning `void 0` there turns it off. If the pattern is not found exactly once (the
 * package changed), this exits non-zero: a new tasks-vision must be re-read before it is trusted, never skipped.
 * The test engine (test/support/tasks-vision) refuses an unpatched bundle as well, and Chromium blocks
 * non-loopback hosts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Left in each patched bundle; the adapter checks for it. */
export const PATCH_MARKER = '/*vision-service: usage logger removed*/';
const LOGGER = /t\.o=new [A-Za-z_$][\w$]*\(t\.D\(\),e,r\)/g;
const BUNDLES = ['vision_bundle.mjs', 'vision_bundle.cjs', 'vision_bundle.js'];

/** The installed package, resolved from this script's repository; undefined when not installed (--omit=dev). */
function packageDir() {
  try {
    return dirname(createRequire(import.meta.url).resolve('@mediapipe/tasks-vision'));
  } catch {
    return undefined;
  }
}

function patch(file) {
  const source = readFileSync(file, 'utf8');
  const matches = source.match(LOGGER) ?? [];
  if (source.includes(PATCH_MARKER)) {
    if (matches.length > 0) throw new Error(`${file}: marked as patched but still constructs the usage logger`);
    return 'already patched';
  }
  if (matches.length !== 1) {
    throw new Error(
      `${file}: expected the usage-logger construction exactly once, found ${matches.length}; re-read the new tasks-vision bundle and update scripts/patch-mediapipe.mjs`,
    );
  }
  writeFileSync(file, source.replace(LOGGER, `${PATCH_MARKER}t.o=void 0`));
  return 'patched';
}

try {
  // An explicit package folder (tests use a copy); the installed package otherwise.
  const dir = process.argv[2] ?? packageDir();
  if (dir === undefined) {
    // A production install: tasks-vision is the tests' reference engine (a devDependency), nothing to patch.
    console.log('patch-mediapipe: @mediapipe/tasks-vision not installed, nothing to patch');
    process.exit(0);
  }
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const name of BUNDLES) console.log(`patch-mediapipe: @mediapipe/tasks-vision@${version} ${name}: ${patch(join(dir, name))}`);
} catch (error) {
  console.error(`patch-mediapipe FAILED: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
