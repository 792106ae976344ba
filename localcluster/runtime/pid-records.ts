// Pid files of running containers (<stateDir>/pids/<uid>-<container>.json: pid + start time) and
// the recovery step that kills what a crashed supervisor left running, only when both still match.

import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './exec';
import { pidDir, pidFileName } from './names';
import { readProcStat } from './proc-stat';

export interface PidRecord {
  pid: number;
  /** /proc/<pid>/stat field 22 when the container started. */
  startTime: string;
  /** The container leads its own process group (spawned detached). */
  pgid: number;
  netns: string;
  podUID: string;
  container: string;
  command: string[];
}

export async function writePidRecord(stateDir: string, record: PidRecord): Promise<void> {
  await mkdir(pidDir(stateDir), { recursive: true });
  await writeFile(join(pidDir(stateDir), pidFileName(record.podUID, record.container)), `${JSON.stringify(record)}\n`);
}

export async function removePidRecord(stateDir: string, podUID: string, container: string): Promise<void> {
  await rm(join(pidDir(stateDir), pidFileName(podUID, container)), { force: true });
}

function asPidRecord(value: unknown): PidRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const { pid, startTime, pgid, netns, podUID, container, command } = v;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return null;
  if (typeof pgid !== 'number' || !Number.isInteger(pgid) || pgid <= 1) return null;
  if (typeof startTime !== 'string' || typeof netns !== 'string' || typeof podUID !== 'string' || typeof container !== 'string') return null;
  if (!Array.isArray(command) || !command.every((c): c is string => typeof c === 'string')) return null;
  return { pid, startTime, pgid, netns, podUID, container, command };
}

export interface StoredPidRecord {
  path: string;
  /** Null when the file is not a valid record. */
  record: PidRecord | null;
}

/** Every pid file under `<stateDir>/pids`. */
export async function readPidRecords(stateDir: string): Promise<StoredPidRecord[]> {
  let names: string[];
  try {
    names = await readdir(pidDir(stateDir));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
  const out: StoredPidRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const path = join(pidDir(stateDir), name);
    try {
      out.push({ path, record: asPidRecord(JSON.parse(await readFile(path, 'utf8'))) });
    } catch {
      out.push({ path, record: null });
    }
  }
  return out;
}

/** True when the recorded process still runs: same pid and same start time. */
export async function isRecordAlive(record: PidRecord): Promise<boolean> {
  const stat = await readProcStat(record.pid);
  return stat !== null && stat.startTime === record.startTime;
}

/** Sends `signal` to a pid (a negative pid names a process group); false when it no longer exists. */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ESRCH') return false;
    throw e;
  }
}

/** Sends `signal` to a process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  return sendSignal(-pgid, signal);
}

/** Resolves once none of `pids` is alive (zombies count as gone), or after `timeoutMs`. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const alive = await Promise.all(pids.map((p) => readProcStat(p)));
    if (alive.every((s) => s === null)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Recovery after a supervisor crash: SIGKILLs the process group of every recorded container
 * whose pid and start time still match, removes all pid files, and returns how many were killed.
 */
export async function killRecordedLeftovers(stateDir: string): Promise<number> {
  const killed: number[] = [];
  for (const { path, record } of await readPidRecords(stateDir)) {
    if (record && (await isRecordAlive(record))) {
      const stat = await readProcStat(record.pid);
      // Kill the whole group only when the process still leads the group it was started in.
      if (stat && stat.pgrp === record.pgid && record.pgid === record.pid) signalGroup(record.pgid, 'SIGKILL');
      else sendSignal(record.pid, 'SIGKILL');
      killed.push(record.pid);
    }
    await rm(path, { force: true });
  }
  if (killed.length) await waitGone(killed, 5_000);
  try {
    await rmdir(pidDir(stateDir));
  } catch {
    // not empty (a container started meanwhile) or already gone
  }
  return killed.length;
}
