import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU time (user + system, all threads) and resident memory of a process, from /proc. */
export interface ProcessSample {
  at: number;
  cpuMs: number;
  rssBytes: number;
}

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

const ticksPerSecond = clockTicksPerSecond();

/** Reads /proc/<pid>/stat (utime, stime) and /proc/<pid>/status (VmRSS). Linux only. */
export function sampleProcess(pid: number): ProcessSample {
  const at = performance.now();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  return { at, cpuMs: (ticks * 1000) / ticksPerSecond, rssBytes: rssKiB * 1024 };
}

/** CPU used between two samples, as a share of one core (1 = one core busy all the time). */
export function coreShare(before: ProcessSample, after: ProcessSample): number {
  return (after.cpuMs - before.cpuMs) / (after.at - before.at);
}

/** The load generator's own CPU over a window, as a share of one core. */
export function startSelfCpu(): () => number {
  const start = performance.now();
  const usage = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(usage);
    return (used.user + used.system) / 1000 / (performance.now() - start);
  };
}
