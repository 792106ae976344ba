// Starting, finding and stopping a local cluster's supervisor process from the CLI: the pid file
// (pid + start time, so a reused pid is never mistaken for ours), readiness and shutdown waits.

import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readProcStat } from '../runtime/proc-stat';
import { ClusterConfig, statePaths } from './config';

export interface DaemonRecord {
  pid: number;
  startTime: string;
  config: ClusterConfig;
}

export interface ReadyRecord {
  pid: number;
  kubeconfig: string;
  apiServer: string;
  nodes: string[];
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The running supervisor of this cluster, or undefined (no pid file, or the process is gone). */
export async function runningDaemon(stateDir: string): Promise<DaemonRecord | undefined> {
  const rec = await readJson<DaemonRecord>(statePaths(stateDir).daemonPid);
  if (!rec || typeof rec.pid !== 'number') return undefined;
  const stat = await readProcStat(rec.pid);
  return stat && stat.startTime === rec.startTime ? rec : undefined;
}

/** The settings of the cluster's last run (its supervisor record outlives a crash), if any. */
export async function savedConfig(stateDir: string): Promise<ClusterConfig | undefined> {
  return (await readJson<DaemonRecord>(statePaths(stateDir).daemonPid))?.config
    ?? readJson<ClusterConfig>(statePaths(stateDir).config);
}

/** True when a pid file exists but its process is gone: the last run crashed or was killed. */
export async function crashedBefore(stateDir: string): Promise<boolean> {
  const rec = await readJson<DaemonRecord>(statePaths(stateDir).daemonPid);
  return rec !== undefined && !(await runningDaemon(stateDir));
}

export async function readReady(stateDir: string): Promise<ReadyRecord | undefined> {
  return readJson<ReadyRecord>(statePaths(stateDir).ready);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the supervisor detached, logging to the cluster log; resolves once it reports ready. */
export async function startDaemon(config: ClusterConfig, daemonScript: string, timeoutMs = 120_000): Promise<ReadyRecord> {
  const paths = statePaths(config.stateDir);
  await mkdir(paths.logs, { recursive: true });
  await rm(paths.ready, { force: true });
  const log = await open(paths.daemonLog, 'a');
  const child = spawn(process.execPath, [daemonScript, JSON.stringify(config)], {
    detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...process.env },
  });
  await log.close();
  let exited: number | null | undefined;
  child.once('exit', (code) => { exited = code; });
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await readReady(config.stateDir);
    if (ready && ready.pid === child.pid) return ready;
    if (exited !== undefined) {
      throw new Error(`the local cluster failed to start (exit code ${exited}); its log:\n${await tail(paths.daemonLog, 25)}`);
    }
    await sleep(200);
  }
  throw new Error(`the local cluster did not become ready within ${timeoutMs / 1000} s; see ${paths.daemonLog}`);
}

/** Asks the supervisor to shut down (SIGTERM) and waits for it to exit; SIGKILL after the timeout. */
export async function stopDaemon(rec: DaemonRecord, timeoutMs = 60_000): Promise<'stopped' | 'killed'> {
  process.kill(rec.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const stat = await readProcStat(rec.pid);
    if (!stat || stat.startTime !== rec.startTime) return 'stopped';
    await sleep(100);
  }
  process.kill(rec.pid, 'SIGKILL');
  return 'killed';
}

export async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines - 1).join('\n');
}

export const daemonScriptPath = (distDir: string): string => join(distDir, 'localcluster', 'cluster', 'daemon-main.js');
