/**
 * What the machine is and what it is doing: CPU time of processes and of the whole machine from /proc, waiting
 * for the shared cores to go idle before a measurement, resident memory of a process, and the code under test.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { log, sleep } from './log.js';
import { f2 } from './stats.js';

export let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* keep 100 */
}

/** Parent pid, CPU seconds (user + system) and command name of a process; undefined if it is gone. */
export function procStat(pid: number): { ppid: number; cpuS: number; comm: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text.slice(close + 2).split(' ');
    return { ppid: Number(f[1]), cpuS: (Number(f[11]) + Number(f[12])) / CLK_TCK, comm };
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine, summed over its cores, since boot. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy / CLK_TCK, total: (busy + idle! + iowait!) / CLK_TCK };
}

/** Machine-wide busy cores over the next `ms` milliseconds. */
export async function busyCores(ms = 1000): Promise<number> {
  const a = machineCpu();
  await sleep(ms);
  const b = machineCpu();
  return (b.busy - a.busy) / ((b.total - a.total) / os.cpus().length);
}

export interface QuietOptions {
  /** Give up (and measure anyway) after this long; 0 = do not wait at all. */
  maxSeconds: number;
  /** For the log line: what is about to be measured. */
  what: string;
  /** Idle seconds in a row that count as quiet (default 3). */
  idleSeconds?: number;
  /** Busy cores below which a second counts as idle (default 0.3). */
  threshold?: number;
  /** Stop waiting early (e.g. on Ctrl-C). */
  stop?: () => boolean;
}

/**
 * Other processes (other sessions' test runs share these cores) would distort the numbers: waits, bounded, for a
 * few idle seconds in a row. Returns the busy cores of the last second measured (NaN when it did not wait).
 */
export async function waitQuiet(o: QuietOptions): Promise<number> {
  if (o.maxSeconds <= 0) return NaN;
  const threshold = o.threshold ?? 0.3;
  const need = o.idleSeconds ?? 3;
  const deadline = performance.now() + o.maxSeconds * 1000;
  let quiet = 0;
  let said = false;
  let last = NaN;
  while (performance.now() < deadline && !o.stop?.()) {
    last = await busyCores(1000);
    quiet = last < threshold ? quiet + 1 : 0;
    if (quiet >= need) return last;
    if (!said && last >= threshold) {
      log(`waiting for the machine to go idle before ${o.what} (${f2(last)} cores busy)`);
      said = true;
    }
  }
  log(`machine still busy (${f2(last)} cores) after ${o.maxSeconds} s; measuring ${o.what} anyway (see the "other" CPU column)`);
  return last;
}

/** Resident set size (VmRSS) and its peak (VmHWM) of a process, in bytes; NaN if unreadable. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => {
      const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text);
      return m ? Number(m[1]) * 1024 : NaN;
    };
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

export const rssOf = (pid: number): number => memoryOf(pid).rss;

/** Soft limit on open files of this process (children inherit it). */
export function openFilesLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return !m ? NaN : m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return NaN;
  }
}

/** One line for the results: CPU model and count, memory, kernel, Node. */
export function machineFacts(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} logical CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** Commit and uncommitted changes of the server code measured (the work tree, as `haven start` loads it). */
export function codeVersion(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'packages', 'scripts'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean).length;
    return dirty ? `commit ${head} + ${dirty} uncommitted file(s) under apps/ packages/ scripts/` : `commit ${head} (clean)`;
  } catch {
    return 'unknown (not a git work tree)';
  }
}
