/**
 * Runs the compiled test files with node's test runner, one group after another, and ends with one
 * line `tests: N passed, N failed`.
 *
 * Groups: every folder under test/ with *.test.ts files. Folders listed in NETNS_GROUPS run inside a fresh
 * network namespace with only loopback up (WebRTC would otherwise pick a real interface), which needs root.
 * Usage: node dist/scripts/run-tests.js [group-or-path-substring …]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const TEST_ROOT = join(__dirname, '..', 'test');
const NETNS_GROUPS = new Set(['sfu', 'e2e', 'browser']);

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

function groupOf(file: string): string {
  return relative(TEST_ROOT, file).split('/')[0];
}

function runGroup(group: string, files: string[]): { passed: number; failed: number } {
  const tapDir = mkdtempSync(join(tmpdir(), 'vision-tests-'));
  const tapFile = join(tapDir, 'report.tap');
  const nodeArgs = [
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ];
  const inNetns = NETNS_GROUPS.has(group);
  console.log(`\n=== test group ${group}${inNetns ? ' (loopback-only network namespace)' : ''}: ${files.length} files`);
  const result = inNetns
    ? spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...nodeArgs], {
        stdio: 'inherit',
      })
    : spawnSync(process.execPath, nodeArgs, { stdio: 'inherit' });
  let tap = '';
  try {
    tap = readFileSync(tapFile, 'utf8');
  } catch {
    // no report: counted as one failure below
  }
  rmSync(tapDir, { recursive: true, force: true });
  const count = (label: string) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  const broken = result.status !== 0 && failed === 0 ? 1 : 0;
  if (broken) console.error(`group ${group} exited with ${result.status ?? result.signal} without reporting a failed test`);
  return { passed, failed: failed + broken };
}

function main(): void {
  // Quiet service logs unless asked for (LOG_LEVEL=info npm test).
  process.env.LOG_LEVEL ??= 'error';
  const filters = process.argv.slice(2);
  const files = findTests(TEST_ROOT)
    .filter((f) => filters.length === 0 || filters.some((x) => relative(TEST_ROOT, f).includes(x)))
    .sort();
  const groups = new Map<string, string[]>();
  for (const file of files) groups.set(groupOf(file), [...(groups.get(groupOf(file)) ?? []), file]);
  let passed = 0;
  let failed = 0;
  for (const [group, groupFiles] of groups) {
    const r = runGroup(group, groupFiles);
    passed += r.passed;
    failed += r.failed;
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

main();
