// The measurements of the connect-rate scenario on the L4 cluster: one window runs the
// connect-load client in a path's client pod at one concurrency while the path's tunnel processes
// are sampled (CPU, memory) and their namespaces' TCP open counters read before and after. Also the
// per-path preparation: TIME_WAIT reuse in the client namespace and a short check that the path
// carries connections at all. A failed window is a figure with an `error`, never a throw.

import { describeError } from '../../pkg/errors/mesh-error';
import type { Endpoint, L4Cluster, L4Path, L4PathId } from '../cluster/l4-cluster-types';
import { parseConnectLoadResult, type ConnectLoadResult } from '../harness/connect-load-result';
import { startWindow } from '../harness/sampler';
import { failedFigure, rateFigure, type RateFigure } from './connect-rate-figures';
import { opensBetween, readTcpOpens } from './connect-rate-tcp-opens';

export interface WindowSettings {
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly payloadBytes: number;
  readonly timeoutMs: number;
}

/** The client command line (after the node binary) for one window. */
export function clientArgs(agentJs: string, echo: Endpoint, concurrency: number, s: WindowSettings): string[] {
  return [
    agentJs, '--mode', 'client',
    '--target', `${echo.host.includes(':') ? `[${echo.host}]` : echo.host}:${echo.port}`,
    '--concurrency', String(concurrency),
    '--duration', String(s.seconds),
    '--warmup', String(s.warmupSeconds),
    '--payload', String(s.payloadBytes),
    '--timeout-ms', String(s.timeoutMs),
  ];
}

/** How long the cluster may let one client run before killing it (its own hard stop plus slack). */
export function runTimeoutMs(s: WindowSettings): number {
  return (s.warmupSeconds + s.seconds) * 1000 + s.timeoutMs + 30_000;
}

async function runLoad(cluster: L4Cluster, path: L4Path, agentJs: string, concurrency: number, s: WindowSettings): Promise<ConnectLoadResult | string> {
  if (!path.echo) return `the ${path.id} path has no echo server endpoint`;
  try {
    const run = await cluster.runInClient(path.id, process.execPath, clientArgs(agentJs, path.echo, concurrency, s), { timeoutMs: runTimeoutMs(s) });
    if (run.code !== 0) return `the load client exited with ${run.code ?? run.signal}: ${run.stderr.trim().slice(-500) || run.stdout.trim().slice(-500)}`;
    return parseConnectLoadResult(run.stdout);
  } catch (err) {
    return describeError(err);
  }
}

/** One window: the client at `concurrency` against the path's echo server, tunnels sampled. */
export async function measureRate(cluster: L4Cluster, path: L4Path, agentJs: string, concurrency: number, s: WindowSettings): Promise<RateFigure> {
  const before = await readTcpOpens(path.tunnels);
  const window = await startWindow(path.tunnels);
  const result = await runLoad(cluster, path, agentJs, concurrency, s);
  const usage = await window.stop();
  const after = await readTcpOpens(path.tunnels);
  if (typeof result === 'string') return failedFigure(path.id, concurrency, result);
  return rateFigure(path.id, result, usage.processes, opensBetween(before, after));
}

/**
 * Lets the client namespace reuse TIME_WAIT ports for new connections (the client closes first,
 * so every connection leaves one for 60 s). Returns the setting as a person reads it.
 */
export async function enableTimeWaitReuse(cluster: L4Cluster, path: L4PathId): Promise<string> {
  try {
    const run = await cluster.runInClient(path, 'sysctl', ['-w', 'net.ipv4.tcp_tw_reuse=1'], { timeoutMs: 10_000 });
    return run.code === 0 ? '=1' : `not set (sysctl exited ${run.code ?? run.signal}: ${run.stderr.trim().slice(-200)})`;
  } catch (err) {
    return `not set (${describeError(err)})`;
  }
}

/** A half-second run at concurrency 1: undefined when the path carries connections, else why not. */
export async function checkPath(cluster: L4Cluster, path: L4Path, agentJs: string): Promise<string | undefined> {
  const r = await runLoad(cluster, path, agentJs, 1, { warmupSeconds: 0, seconds: 0.5, payloadBytes: 64, timeoutMs: 5000 });
  if (typeof r === 'string') return r;
  if (r.completed === 0) return `no connection completed in a 0.5 s check (errors: ${JSON.stringify(r.all.errors)})`;
  return undefined;
}
