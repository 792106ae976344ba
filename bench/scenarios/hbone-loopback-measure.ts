// The two measurements of the hbone-loopback scenario, each run against one path while the CPU
// and memory of its tunnel processes (and, for context, the backends) are sampled:
//   bulk:    iperf3 for N seconds (1 or more parallel streams) → Gbit/s, CPU seconds per GB;
//   latency: h2load --h1 at a fixed request rate after a separate warm-up run → percentiles from
//            the per-request log, vCPU per 1000 req/s.
// A failed measurement is a figure with an `error`, so one broken path does not lose the others.

import { join } from 'node:path';
import { readFile, rm } from 'node:fs/promises';
import { describeError } from '../../pkg/errors/mesh-error';
import { h2loadArgs, parseH2loadLog, parseH2loadRequests } from '../harness/h2load';
import { iperf3ClientArgs, parseIperf3Json } from '../harness/iperf3';
import { startWindow, type ProcessUsage, type SampleTarget } from '../harness/sampler';
import type { ScenarioContext } from '../harness/scenario';
import { round, summarize } from '../harness/stats';
import { cpuPerGB, processFigure, vcpuPer1000, type BulkFigure, type LatencyFigure } from './hbone-loopback-figures';
import { LOOPBACK, type Backends, type Cores, type Path } from './hbone-loopback-topology';

export interface BulkSettings {
  readonly seconds: number;
  readonly parallel: number;
}

export interface LatencySettings {
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly connections: number;
  /** Total request rate over all connections. */
  readonly totalRps: number;
}

function targets(path: Path, backends: Backends): { tunnel: SampleTarget[]; backend: SampleTarget[] } {
  return {
    tunnel: path.processes.map((p) => ({ name: p.name, pid: p.pid })),
    backend: backends.processes.map((p) => ({ name: p.name, pid: p.pid })),
  };
}

function split(usage: readonly ProcessUsage[], tunnel: readonly SampleTarget[]): { tunnel: ProcessUsage[]; backend: ProcessUsage[] } {
  const names = new Set(tunnel.map((t) => t.name));
  return { tunnel: usage.filter((u) => names.has(u.name)), backend: usage.filter((u) => !names.has(u.name)) };
}

function exitedNote(usage: readonly ProcessUsage[]): string | undefined {
  const gone = usage.filter((u) => u.exited).map((u) => u.name);
  return gone.length > 0 ? `process(es) exited during the measurement: ${gone.join(', ')}` : undefined;
}

export async function measureBulk(ctx: ScenarioContext, cores: Cores, path: Path, backends: Backends, s: BulkSettings): Promise<BulkFigure> {
  const t = targets(path, backends);
  const empty: BulkFigure = { path: path.id, parallel: s.parallel, gbps: null, bytes: 0, seconds: 0, retransmits: 0, cpuSecondsPerGB: null, processes: [], backend: [] };
  const window = await startWindow([...t.tunnel, ...t.backend]);
  let stdout = '';
  let runError: string | undefined;
  try {
    const run = await ctx.supervisor.run({
      name: `iperf3 ${path.id} -P ${s.parallel}`,
      command: 'iperf3',
      args: iperf3ClientArgs({ host: LOOPBACK, port: path.iperfPort, seconds: s.seconds, parallel: s.parallel }),
      cpu: cores.load,
      timeoutMs: (s.seconds + 30) * 1000,
    });
    stdout = run.stdout;
  } catch (err) {
    runError = describeError(err);
  }
  const usage = await window.stop();
  if (runError !== undefined) return { ...empty, error: runError };
  const parsed = parseIperf3Json(stdout);
  if (typeof parsed === 'string') return { ...empty, error: parsed };
  const { tunnel, backend } = split(usage.processes, t.tunnel);
  const tunnelCpu = tunnel.reduce((sum, u) => sum + u.cpuSeconds, 0);
  const note = exitedNote(usage.processes);
  return {
    path: path.id,
    parallel: s.parallel,
    gbps: round(parsed.bitsPerSecond / 1e9, 3),
    bytes: parsed.bytes,
    seconds: round(parsed.seconds, 3) ?? 0,
    retransmits: parsed.retransmits,
    cpuSecondsPerGB: tunnel.length > 0 ? cpuPerGB(tunnelCpu, parsed.bytes) : null,
    processes: tunnel.map((u) => ({ ...processFigure(u), cpuSecondsPerGB: cpuPerGB(u.cpuSeconds, parsed.bytes) })),
    backend: backend.map(processFigure),
    ...(note ? { error: note } : {}),
  };
}

let logSequence = 0;

export async function measureLatency(ctx: ScenarioContext, cores: Cores, path: Path, backends: Backends, s: LatencySettings): Promise<LatencyFigure> {
  const t = targets(path, backends);
  const url = `http://${LOOPBACK}:${path.httpPort}/`;
  const ratePerConnection = Math.max(1, Math.round(s.totalRps / s.connections));
  // h2load appends to an existing log file, so every measurement gets a fresh one.
  const logFile = join(ctx.tmpDir, `h2load-${path.id}-${++logSequence}.log`);
  const empty: LatencyFigure = {
    path: path.id, requests: 0, failed: 0, achievedRps: null,
    latencyMs: { p50: null, p90: null, p99: null, p999: null, max: null, mean: null },
    vcpuPer1000Rps: null, processes: [], backend: [],
  };
  const h2load = (seconds: number, log?: string): Promise<{ stdout: string }> =>
    ctx.supervisor.run({
      name: `h2load ${path.id}`,
      command: 'h2load',
      args: h2loadArgs({ url, connections: s.connections, ratePerConnection, durationSeconds: seconds, http1: true, ...(log ? { logFile: log } : {}) }),
      cpu: cores.load,
      timeoutMs: (seconds + 30) * 1000,
    });
  try {
    await h2load(s.warmupSeconds); // connections, tunnels, JIT and caches warm; not measured
  } catch (err) {
    return { ...empty, error: `warm-up: ${describeError(err)}` };
  }
  const window = await startWindow([...t.tunnel, ...t.backend]);
  let stdout = '';
  let runError: string | undefined;
  try {
    stdout = (await h2load(s.seconds, logFile)).stdout;
  } catch (err) {
    runError = describeError(err);
  }
  const usage = await window.stop();
  if (runError !== undefined) return { ...empty, error: runError };
  let logText: string;
  try {
    logText = await readFile(logFile, 'utf8');
  } catch (err) {
    return { ...empty, error: `h2load wrote no log: ${describeError(err)}` };
  } finally {
    await rm(logFile, { force: true });
  }
  const log = parseH2loadLog(logText);
  const counts = parseH2loadRequests(stdout);
  const requests = log.okDurationsUs.length;
  const failed = Math.max(log.failed, counts?.failed ?? 0);
  if (requests === 0) return { ...empty, failed, error: `no successful requests (h2load: ${stdout.split('\n').find((l) => l.startsWith('requests:')) ?? 'no report'})` };
  const sum = summarize(log.okDurationsUs);
  const ms = (us: number): number | null => round(us / 1000, 3);
  const { tunnel, backend } = split(usage.processes, t.tunnel);
  const tunnelCpu = tunnel.reduce((acc, u) => acc + u.cpuSeconds, 0);
  const note = exitedNote(usage.processes);
  return {
    path: path.id,
    requests,
    failed,
    achievedRps: log.spanSeconds > 0 ? round(requests / log.spanSeconds, 1) : null,
    latencyMs: { p50: ms(sum.p50), p90: ms(sum.p90), p99: ms(sum.p99), p999: ms(sum.p999), max: ms(sum.max), mean: ms(sum.mean) },
    vcpuPer1000Rps: tunnel.length > 0 ? vcpuPer1000(tunnelCpu, requests) : null,
    processes: tunnel.map((u) => ({ ...processFigure(u), vcpuPer1000Rps: vcpuPer1000(u.cpuSeconds, requests) })),
    backend: backend.map(processFigure),
    ...(note ? { error: note } : {}),
  };
}
