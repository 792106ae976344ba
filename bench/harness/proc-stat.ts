// Parsers for the Linux /proc files the harness samples: /proc/<pid>/stat (CPU ticks, threads)
// and /proc/<pid>/status (VmRSS), plus the async readers around them. Pure parsing is separated
// from the file reads so it can be tested on fixed text.

import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  /** User-mode CPU time of all threads, in clock ticks. */
  readonly utimeTicks: number;
  /** Kernel-mode CPU time of all threads, in clock ticks. */
  readonly stimeTicks: number;
  readonly numThreads: number;
}

/**
 * Parses the one line of /proc/<pid>/stat. The command name sits in parentheses and may itself
 * contain spaces and parentheses, so the fields are counted from the last ')'. Returns undefined
 * for text that is not a stat line.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); utime is field 14, stime 15, num_threads 20 (1-based, proc(5)).
  if (!Number.isInteger(pid) || rest.length < 18) return undefined;
  const utimeTicks = Number(rest[11]);
  const stimeTicks = Number(rest[12]);
  const numThreads = Number(rest[17]);
  if (![utimeTicks, stimeTicks, numThreads].every(Number.isFinite)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state: rest[0], utimeTicks, stimeTicks, numThreads };
}

/** The resident set size in KiB from /proc/<pid>/status text, or undefined (kernel threads, zombies). */
export function parseVmRssKb(statusText: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB\s*$/m.exec(statusText);
  return m ? Number(m[1]) : undefined;
}

/** CPU seconds (user + system) of a stat reading. */
export function cpuSeconds(stat: ProcStat, clockTicksPerSecond: number): number {
  return (stat.utimeTicks + stat.stimeTicks) / clockTicksPerSecond;
}

/** Reads and parses /proc/<pid>/stat; undefined when the process is gone. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Reads VmRSS of a process in KiB; undefined when the process is gone. */
export async function readVmRssKb(pid: number): Promise<number | undefined> {
  try {
    return parseVmRssKb(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

let clockTicks: Promise<number> | undefined;

/** The kernel's USER_HZ (`getconf CLK_TCK`), 100 when it cannot be asked. Cached. */
export function clockTicksPerSecond(): Promise<number> {
  clockTicks ??= new Promise((resolve) => {
    execFile('getconf', ['CLK_TCK'], { timeout: 5000 }, (err, stdout) => {
      const n = Number(String(stdout).trim());
      resolve(!err && Number.isInteger(n) && n > 0 ? n : 100);
    });
  });
  return clockTicks;
}
