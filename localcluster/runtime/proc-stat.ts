// Reading /proc/<pid>/stat: a process's state, process group and start time (field 22), which
// together with the pid identify a process safely across pid reuse. `splitProcStat` is the one
// place the line is split (bench/ reads its CPU fields through it too).

import { readFile } from 'node:fs/promises';

export interface ProcStat {
  pid: number;
  /** One-letter state (R, S, D, Z, ...). */
  state: string;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks after boot (field 22), kept as a string: it is only compared. */
  startTime: string;
}

/** A stat line split: pid, command name (may hold spaces and parentheses), and `field(n)` by proc(5) number. */
export interface StatFields {
  pid: number;
  comm: string;
  field(n: number): string | undefined;
}

/** Splits the content of /proc/<pid>/stat; null when it is not a stat line. */
export function splitProcStat(text: string): StatFields | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  if (!Number.isInteger(pid)) return null;
  // Fields after the command name start with field 3 (state).
  const rest = text.slice(close + 1).trim().split(/\s+/);
  return { pid, comm: text.slice(open + 1, close), field: (n) => rest[n - 3] };
}

/** Parses the content of /proc/<pid>/stat; null when malformed. The command name may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | null {
  const split = splitProcStat(text);
  if (!split) return null;
  const { pid, field } = split;
  const state = field(3);
  const ppid = Number(field(4));
  const pgrp = Number(field(5));
  const startTime = field(22);
  if (state === undefined || !Number.isInteger(ppid) || !Number.isInteger(pgrp) || startTime === undefined || !/^\d+$/.test(startTime)) {
    return null;
  }
  return { pid, state, ppid, pgrp, startTime };
}

/** The stat of a live process; null when it does not exist (or is a zombie). */
export async function readProcStat(pid: number): Promise<ProcStat | null> {
  try {
    const stat = parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
    return stat && stat.state !== 'Z' ? stat : null;
  } catch {
    return null;
  }
}
