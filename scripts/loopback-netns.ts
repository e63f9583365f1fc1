/** Benchmarks that use WebRTC run in a fresh network namespace with only loopback up (a real interface would be used otherwise). */
import { spawnSync } from 'node:child_process';

const MARK = 'VISION_BENCH_IN_NETNS';

/**
 * Re-runs this node script (with its arguments) inside `unshare -n` with loopback up, which needs root, and
 * returns false; returns true when already inside, where the caller does its work.
 */
export function inLoopbackNetns(): boolean {
  if (process.env[MARK]) return true;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [MARK]: '1' },
  });
  // How the run inside ended, also when it could not say so itself (a signal, a native exit).
  const end = r.error?.message ?? (r.signal ? `ended by ${r.signal}` : r.status ? `exit status ${r.status}` : undefined);
  if (end) console.error(`${process.argv[1]} in the loopback namespace: ${end}`);
  process.exitCode = r.status ?? 1;
  return false;
}
