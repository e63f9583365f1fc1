import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROBE_ADDRESS, PROBE_NAME, TOKEN, type OfflineFlowReport } from './offline-flow';

// Issue 7: "No network traffic to any third party at run time". A whole flow (real face engine, real embedded
// matcher, references and callback over HTTP with the demo controller) runs in a child process inside a network
// namespace with only loopback up, under strace, which logs every connect/sendto/sendmsg of every thread and
// child process (worker threads, ffmpeg). The child also records connections and lookups in-process. After the
// flow, the child deliberately tries a TEST-NET address and a name: both recorders must see those, which shows
// they would have seen a real leak.

const LOOPBACK_ADDRESS = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const LOOPBACK_NAMES = new Set(['localhost']);

/** Why the suite cannot run here, or false. */
function missing(): false | string {
  if (process.getuid?.() !== 0) return 'needs root for unshare -n (a network namespace)';
  for (const tool of ['unshare', 'ip', 'strace']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (apt-get install util-linux iproute2 strace)`;
  }
  return false;
}

/** One address a syscall in the strace log was aimed at. */
interface SyscallTarget {
  timeS: number;
  address: string;
  line: string;
}

/** The IPv4/IPv6 destinations of connect/sendto/sendmsg in an `strace -f -ttt` log (Unix sockets have none). */
function syscallTargets(log: string): SyscallTarget[] {
  const targets: SyscallTarget[] = [];
  for (const line of log.split('\n')) {
    const time = /^\d+\s+(\d+\.\d+)\s/.exec(line);
    if (!time) continue;
    for (const m of line.matchAll(/inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"/g)) {
      targets.push({ timeS: Number(time[1]), address: m[1] ?? m[2], line });
    }
  }
  return targets;
}

/** Attempts that went anywhere but this machine. */
const thirdParty = <T extends { address: string }>(targets: T[]) => targets.filter((t) => !LOOPBACK_ADDRESS.test(t.address));
const thirdPartyAttempts = (attempts: OfflineFlowReport['attempts']) =>
  attempts.filter((a) => !LOOPBACK_ADDRESS.test(a.target) && !LOOPBACK_NAMES.has(a.target));

describe('privacy: no traffic to any third party during a flow', { skip: missing(), timeout: 10 * 60_000 }, () => {
  let dir: string;
  let report: OfflineFlowReport;
  let targets: SyscallTarget[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vision-privacy-'));
    const straceLog = join(dir, 'strace.log');
    const child = spawn(
      'unshare',
      [
        '-n',
        'sh',
        '-c',
        'ip link set lo up && exec strace -f -qq -ttt --seccomp-bpf -e trace=connect,sendto,sendmsg -o "$0" "$@"',
        straceLog,
        process.execPath,
        join(__dirname, 'offline-flow.js'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'error' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Bounded: the child gets 5 minutes, then it is killed and the test fails on its missing report.
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    assert.equal(code, 0, `the offline flow failed: ${stderr.slice(-2000)}`);
    report = JSON.parse(stdout.trim().split('\n').at(-1)!) as OfflineFlowReport;
    targets = syscallTargets(readFileSync(straceLog, 'utf8'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should end the flow in success with one callback, from inside the namespace', () => {
    assert.deepEqual(report.callbacks, [{ status: 'success', token: TOKEN }]);
  });

  it('should only have connected to and looked up loopback during the flow (in-process record)', () => {
    const flow = report.attempts.filter((a) => a.phase === 'flow');
    assert.ok(
      flow.some((a) => a.kind === 'fetch'),
      'the reference fetch and the callback were recorded',
    );
    assert.ok(flow.some((a) => a.kind === 'connect'));
    assert.deepEqual(thirdPartyAttempts(flow), []);
  });

  it('should only have aimed syscalls of any thread or child process at loopback during the flow (strace)', () => {
    const flow = targets.filter((t) => t.timeS < report.probeStartS);
    assert.ok(flow.length > 0, 'strace saw the loopback traffic of the flow');
    assert.deepEqual(
      thirdParty(flow).map((t) => t.line),
      [],
    );
  });

  it('should have seen the deliberate probe in both recorders (they can fail)', () => {
    // Refused at once: no route out of the namespace.
    const [connection, lookup] = report.probeErrors;
    assert.equal(connection, 'connect: ENETUNREACH');
    assert.match(lookup, /^lookup: E[A-Z_]+$/);
    const probe = thirdPartyAttempts(report.attempts.filter((a) => a.phase === 'probe')).map((a) => a.target);
    assert.ok(probe.includes(PROBE_ADDRESS) && probe.includes(PROBE_NAME), JSON.stringify(probe));
    const leaked = thirdParty(targets.filter((t) => t.timeS >= report.probeStartS)).map((t) => t.address);
    assert.ok(leaked.includes(PROBE_ADDRESS), `strace saw ${JSON.stringify(leaked)}`);
    // The resolver's query for the probe name went to the configured name server, which is not loopback here.
    const nameServers = [...readFileSync('/etc/resolv.conf', 'utf8').matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]);
    for (const server of nameServers.filter((s) => !LOOPBACK_ADDRESS.test(s))) assert.ok(leaked.includes(server), `query to ${server}`);
  });
});
