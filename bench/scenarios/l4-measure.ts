// The measurements of the L4 scenarios, run from a path's client pod on the local cluster while
// the CPU and memory of the path's tunnel processes are sampled:
//   requests: h2load --h1 at a fixed total rate (or closed loop) after a separate warm-up run,
//             per-request log → latency, achieved rate, tunnel CPU and RSS;
//   bulk:     iperf3 for N seconds with 1 or more streams → Gbit/s, tunnel CPU.
// Raw results only (l4-figures.ts derives the figures); a failure is a result with an `error`.

import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../pkg/errors/mesh-error';
import type { L4Cluster, L4Path } from '../cluster/l4-cluster-types';
import { h2loadArgs, parseH2loadLog, parseH2loadRequests } from '../harness/h2load';
import { iperf3ClientArgs, parseIperf3Json } from '../harness/iperf3';
import { startWindow, type WindowUsage } from '../harness/sampler';
import type { ScenarioContext } from '../harness/scenario';
import { summarize } from '../harness/stats';
import type { BulkRun, RequestRun } from './l4-figures';

export interface RequestLoad {
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly connections: number;
  /** Total request rate over all connections; null = closed loop (as fast as the path answers). */
  readonly totalRps: number | null;
}

/** h2load's arguments: `--rps` per connection for a fixed rate, none for a closed loop. */
export function requestLoadArgs(url: string, load: RequestLoad, seconds: number, logFile?: string): string[] {
  if (load.totalRps !== null) {
    const ratePerConnection = Math.max(1, Math.round(load.totalRps / load.connections));
    return h2loadArgs({ url, connections: load.connections, ratePerConnection, durationSeconds: seconds, http1: true, ...(logFile ? { logFile } : {}) });
  }
  return ['--h1', '-c', String(load.connections), '-t', '1', '-D', String(seconds), ...(logFile ? ['--log-file', logFile] : []), url];
}

let sequence = 0;

function emptyUsage(): WindowUsage {
  return { wallSeconds: 0, processes: [] };
}

export async function measureRequests(ctx: ScenarioContext, cluster: L4Cluster, path: L4Path, load: RequestLoad): Promise<RequestRun> {
  const failed = (error: string, usage: WindowUsage = emptyUsage()): RequestRun =>
    ({ path: path.id, requests: 0, failed: 0, spanSeconds: 0, wallSeconds: usage.wallSeconds, latencyUs: null, processes: usage.processes, error });
  if (!path.http) return failed('the path has no HTTP server');
  const url = `http://${path.http.host}:${path.http.port}/`;
  // h2load appends to an existing log file, so every measurement gets a fresh one.
  const logFile = join(ctx.tmpDir, `h2load-${path.id}-${++sequence}.log`);
  const h2load = (seconds: number, log?: string): Promise<{ stdout: string }> =>
    cluster.runInClient(path.id, 'h2load', requestLoadArgs(url, load, seconds, log), { timeoutMs: (seconds + 30) * 1000 });
  try {
    await h2load(load.warmupSeconds); // tunnels, JIT and caches warm; not measured
  } catch (err) {
    return failed(`warm-up: ${describeError(err)}`);
  }
  const window = await startWindow(path.tunnels);
  let stdout = '';
  let runError: string | undefined;
  try {
    stdout = (await h2load(load.seconds, logFile)).stdout;
  } catch (err) {
    runError = describeError(err);
  }
  const usage = await window.stop();
  if (runError !== undefined) return failed(runError, usage);
  let text: string;
  try {
    text = await readFile(logFile, 'utf8');
  } catch (err) {
    return failed(`h2load wrote no log: ${describeError(err)}`, usage);
  } finally {
    await rm(logFile, { force: true });
  }
  const log = parseH2loadLog(text);
  const counts = parseH2loadRequests(stdout);
  const requests = log.okDurationsUs.length;
  const run: RequestRun = {
    path: path.id,
    requests,
    failed: Math.max(log.failed, counts?.failed ?? 0),
    spanSeconds: log.spanSeconds,
    wallSeconds: usage.wallSeconds,
    latencyUs: requests > 0 ? summarize(log.okDurationsUs) : null,
    processes: usage.processes,
  };
  if (requests === 0) return { ...run, error: `no successful requests (h2load: ${stdout.split('\n').find((l) => l.startsWith('requests:')) ?? 'no report'})` };
  const gone = usage.processes.filter((u) => u.exited).map((u) => u.name);
  return gone.length > 0 ? { ...run, error: `process(es) exited during the measurement: ${gone.join(', ')}` } : run;
}

export async function measureBulk(cluster: L4Cluster, path: L4Path, seconds: number, parallel: number): Promise<BulkRun> {
  if (!path.iperf) return { path: path.id, parallel, result: null, processes: [], error: 'the path has no iperf3 server' };
  const window = await startWindow(path.tunnels);
  let stdout = '';
  let runError: string | undefined;
  try {
    const args = iperf3ClientArgs({ host: path.iperf.host, port: path.iperf.port, seconds, parallel });
    stdout = (await cluster.runInClient(path.id, 'iperf3', args, { timeoutMs: (seconds + 30) * 1000 })).stdout;
  } catch (err) {
    runError = describeError(err);
  }
  const usage = await window.stop();
  if (runError !== undefined) return { path: path.id, parallel, result: null, processes: usage.processes, error: runError };
  const parsed = parseIperf3Json(stdout);
  if (typeof parsed === 'string') return { path: path.id, parallel, result: null, processes: usage.processes, error: parsed };
  const gone = usage.processes.filter((u) => u.exited).map((u) => u.name);
  return { path: path.id, parallel, result: parsed, processes: usage.processes, ...(gone.length > 0 ? { error: `process(es) exited during the measurement: ${gone.join(', ')}` } : {}) };
}
