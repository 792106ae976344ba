// Parsers for the Linux /proc files the harness samples: /proc/<pid>/stat (CPU ticks, threads)
// and /proc/<pid>/status (VmRSS), plus the async readers around them. Pure parsing is separated
// from the file reads so it can be tested on fixed text.

import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { splitProcStat } from '../../localcluster/runtime/proc-stat';

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
  const split = splitProcStat(text);
  // utime is field 14, stime 15, num_threads 20 (proc(5) numbering).
  if (!split || split.field(20) === undefined) return undefined;
  const { pid, comm, field } = split;
  const utimeTicks = Number(field(14));
  const stimeTicks = Number(field(15));
  const numThreads = Number(field(20));
  if (![utimeTicks, stimeTicks, numThreads].every(Number.isFinite)) return undefined;
  return { pid, comm, state: field(3) as string, utimeTicks, stimeTicks, numThreads };
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
