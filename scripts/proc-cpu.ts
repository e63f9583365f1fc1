/**
 * CPU time from Linux /proc, for benchmarks that must say where a process's CPU went (its main thread, worker
 * threads, WebRTC's threads, child processes) and how busy the whole machine was.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ, 100 on every Linux build

/** utime + stime (s), name and parent of a /proc/…/stat line. */
function parseStat(text: string): { name: string; ppid: number; cpuS: number } {
  const close = text.lastIndexOf(')');
  const name = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' '); // from field 3 (state) on
  return { name, ppid: Number(fields[1]), cpuS: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S };
}

function readStat(path: string): ReturnType<typeof parseStat> | undefined {
  try {
    return parseStat(readFileSync(path, 'utf8'));
  } catch {
    return undefined; // the thread or process ended meanwhile
  }
}

/** CPU and runqueue-wait seconds of one thread, under the name threadTimes reports it by. */
interface ThreadReading {
  name: string;
  cpuS: number;
  waitS: number;
}

/**
 * CPU seconds of each thread of process `pid`, and the seconds each waited for a core while runnable (/proc
 * schedstat: a thread that waits long there is starved by other work on the machine, not blocked), summed by thread
 * name; the main thread is called "main". Threads end while a benchmark runs (a flow's decoder and encoder go with
 * the flow), so `sample()` it while they live: a thread that ended keeps its last reading.
 */
export class ThreadTimes {
  private readonly threads = new Map<string, ThreadReading>();

  constructor(private readonly pid: number = process.pid) {
    this.sample();
  }

  /** Reads every live thread. */
  sample(): void {
    for (const tid of readdirSync(`/proc/${this.pid}/task`)) {
      const stat = readStat(`/proc/${this.pid}/task/${tid}/stat`);
      let waitS: number;
      try {
        waitS = Number(readFileSync(`/proc/${this.pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
      } catch {
        continue;
      }
      if (stat) this.threads.set(tid, { name: Number(tid) === this.pid ? 'main' : stat.name, cpuS: stat.cpuS, waitS });
    }
  }

  /** Samples, then the totals by thread name of every thread seen so far. */
  totals(): { cpu: Record<string, number>; wait: Record<string, number> } {
    this.sample();
    const cpu: Record<string, number> = {};
    const wait: Record<string, number> = {};
    for (const { name, cpuS, waitS } of this.threads.values()) {
      cpu[name] = (cpu[name] ?? 0) + cpuS;
      wait[name] = (wait[name] ?? 0) + waitS;
    }
    return { cpu, wait };
  }
}

/** CPU seconds of the direct child processes of `pid` (e.g. the mediasoup worker), summed by name. */
export function childCpu(pid: number = process.pid): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(`/proc/${entry}/stat`);
    if (stat?.ppid === pid) out[stat.name] = (out[stat.name] ?? 0) + stat.cpuS;
  }
  return out;
}

/** Busy and total CPU seconds of the whole machine (every core) since boot, from /proc/stat. */
export function machineCpu(): { busyS: number; totalS: number } {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = ticks.slice(0, 8).map(Number); // user nice system idle iowait irq softirq steal
  const totalS = n.reduce((a, b) => a + b, 0) / TICKS_PER_S;
  return { busyS: totalS - (n[3] + n[4]) / TICKS_PER_S, totalS };
}

/** `after − before` per name, as percent of one core over `seconds`, largest first, small ones dropped. */
export function cpuPercentDelta(
  before: Record<string, number>,
  after: Record<string, number>,
  seconds: number,
  minPercent = 0.5,
): Record<string, number> {
  const rows = Object.entries(after)
    .map(([name, s]) => [name, Number((((s - (before[name] ?? 0)) / seconds) * 100).toFixed(1))] as const)
    .filter(([, p]) => p >= minPercent)
    .sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(rows);
}
