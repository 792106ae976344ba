// The one measurement of the L7 scenarios, run from a path's client pod on the local cluster while
// the path's proxy processes are sampled (/proc: CPU over the window, RSS polled): h2load --h1 at
// a fixed total rate or in a closed loop, after a separate warm-up run, with a per-request log →
// a raw RequestRun (l4-figures.ts derives latency and cost figures from it), plus how busy each
// core was over the window, all work included (/proc/stat). A failure is a run with an `error`,
// never an exception.

import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../../pkg/errors/mesh-error';
import type { L7Cluster, L7Path } from '../cluster/l7-cluster-types';
import { parseH2loadLog, parseH2loadRequests } from '../harness/h2load';
import { startWindow, type WindowUsage } from '../harness/sampler';
import type { ScenarioContext } from '../harness/scenario';
import { summarize } from '../harness/stats';
import type { RequestRun } from './l4-figures';
import { coreBusyShares } from './l7-figures';
import { requestLoadArgs, type RequestLoad } from './l4-measure';

let sequence = 0;

export interface L7RequestRun extends RequestRun {
  /** Busy share per core over the window (index = core); absent when /proc/stat was unreadable. */
  readonly coreBusy?: readonly number[];
}

const procStat = (): Promise<string> => readFile('/proc/stat', 'utf8').catch(() => '');

export async function measureL7(ctx: ScenarioContext, cluster: L7Cluster, path: L7Path, load: RequestLoad): Promise<L7RequestRun> {
  const failed = (error: string, usage: WindowUsage = { wallSeconds: 0, processes: [] }): RequestRun =>
    ({ path: path.id, requests: 0, failed: 0, spanSeconds: 0, wallSeconds: usage.wallSeconds, latencyUs: null, processes: usage.processes, error });
  // h2load appends to an existing log file, so every measurement gets a fresh one.
  const logFile = join(ctx.tmpDir, `h2load-${path.id}-${++sequence}.log`);
  const h2load = (seconds: number, log?: string): Promise<{ stdout: string }> =>
    cluster.runInClient(path.id, 'h2load', requestLoadArgs(path.url, load, seconds, log), { timeoutMs: (seconds + 30) * 1000 });
  try {
    await h2load(load.warmupSeconds); // connections, pools, JIT warm; not measured
  } catch (err) {
    return failed(`warm-up: ${describeError(err)}`);
  }
  const statBefore = await procStat();
  const window = await startWindow(path.processes);
  let stdout = '';
  let runError: string | undefined;
  try {
    stdout = (await h2load(load.seconds, logFile)).stdout;
  } catch (err) {
    runError = describeError(err);
  }
  const usage = await window.stop();
  const statAfter = await procStat();
  const coreBusy = statBefore && statAfter ? coreBusyShares(statBefore, statAfter) : [];
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
  const run: L7RequestRun = {
    path: path.id,
    requests,
    failed: Math.max(log.failed, counts?.failed ?? 0),
    spanSeconds: log.spanSeconds,
    wallSeconds: usage.wallSeconds,
    latencyUs: requests > 0 ? summarize(log.okDurationsUs) : null,
    processes: usage.processes,
    ...(coreBusy.length > 0 ? { coreBusy } : {}),
  };
  if (requests === 0) return { ...run, error: `no successful requests (h2load: ${stdout.split('\n').find((l) => l.startsWith('requests:')) ?? 'no report'})` };
  const gone = usage.processes.filter((u) => u.exited).map((u) => u.name);
  return gone.length > 0 ? { ...run, error: `process(es) exited during the measurement: ${gone.join(', ')}` } : run;
}
