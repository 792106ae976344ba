// The figures of the L4 scenarios (l4-latency, l4-throughput, l4-cost) as plain data, derived
// purely from raw measurement runs: latency and bulk figures in hbone-loopback's shapes (so its
// median-round and added-latency helpers apply), cost figures per tunnel process (vCPU, vCPU per
// 1000 req/s, RSS), the median round of a cost cell, ratios and goal verdicts.

import type { L4Path } from '../cluster/l4-cluster-types';
import type { Iperf3Result } from '../harness/iperf3';
import type { ProcessUsage } from '../harness/sampler';
import { percentileSorted, round, type Summary } from '../harness/stats';
import { cpuPerGB, medianRound, processFigure, vcpuPer1000, type BulkFigure, type LatencyFigure } from './hbone-loopback-figures';

export interface L4PathInfo {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly tunnels: readonly string[];
}

export function pathInfos(paths: readonly L4Path[]): L4PathInfo[] {
  return paths.map((p) => ({ id: p.id, label: p.label, description: p.description, tunnels: p.tunnels.map((t) => t.name) }));
}

/** One h2load run as measured (see l4-measure.ts). */
export interface RequestRun {
  readonly path: string;
  /** Requests answered 2xx. */
  readonly requests: number;
  readonly failed: number;
  /** First request start to last response end (s). */
  readonly spanSeconds: number;
  /** The sampling window (s). */
  readonly wallSeconds: number;
  readonly latencyUs: Summary | null;
  /** The path's tunnel processes over the window. */
  readonly processes: readonly ProcessUsage[];
  readonly error?: string;
}

export interface BulkRun {
  readonly path: string;
  readonly parallel: number;
  readonly result: Iperf3Result | null;
  readonly processes: readonly ProcessUsage[];
  readonly error?: string;
}

const ms = (us: number | undefined): number | null => (us === undefined ? null : round(us / 1000, 3));

export function latencyFigure(run: RequestRun): LatencyFigure {
  const l = run.latencyUs;
  const total = run.processes.reduce((sum, u) => sum + u.cpuSeconds, 0);
  return {
    path: run.path,
    requests: run.requests,
    failed: run.failed,
    achievedRps: run.spanSeconds > 0 ? round(run.requests / run.spanSeconds, 1) : null,
    latencyMs: { p50: ms(l?.p50), p90: ms(l?.p90), p99: ms(l?.p99), p999: ms(l?.p999), max: ms(l?.max), mean: ms(l?.mean) },
    vcpuPer1000Rps: run.processes.length > 0 ? vcpuPer1000(total, run.requests) : null,
    processes: run.processes.map((u) => ({ ...processFigure(u), vcpuPer1000Rps: vcpuPer1000(u.cpuSeconds, run.requests) })),
    backend: [],
    ...(run.error !== undefined ? { error: run.error } : {}),
  };
}

export function bulkFigure(run: BulkRun): BulkFigure {
  const r = run.result;
  const bytes = r?.bytes ?? 0;
  const total = run.processes.reduce((sum, u) => sum + u.cpuSeconds, 0);
  return {
    path: run.path,
    parallel: run.parallel,
    gbps: r ? round(r.bitsPerSecond / 1e9, 3) : null,
    bytes,
    seconds: r ? (round(r.seconds, 3) ?? 0) : 0,
    retransmits: r?.retransmits ?? 0,
    cpuSecondsPerGB: r && run.processes.length > 0 ? cpuPerGB(total, bytes) : null,
    processes: run.processes.map((u) => ({ ...processFigure(u), cpuSecondsPerGB: r ? cpuPerGB(u.cpuSeconds, bytes) : null })),
    backend: [],
    ...(run.error !== undefined ? { error: run.error } : {}),
  };
}

export interface CostProcess {
  readonly name: string;
  /** Average cores busy over the window (CPU seconds ÷ wall seconds). */
  readonly vcpu: number | null;
  /** vCPU per 1000 req/s = CPU seconds per 1000 requests. */
  readonly vcpuPer1000Rps: number | null;
  /** Share of the CPU spent in the kernel, 0..1. */
  readonly systemShare: number | null;
  readonly rssMaxMb: number | null;
  readonly rssMeanMb: number | null;
}

export interface CostFigure {
  readonly path: string;
  /** `1000`, `5000`, `saturation`. */
  readonly level: string;
  /** The rate asked for (null: closed loop). */
  readonly targetRps: number | null;
  readonly connections: number;
  readonly requests: number;
  readonly failed: number;
  readonly achievedRps: number | null;
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
  readonly processes: readonly CostProcess[];
  /** Achieved req/s of every round, in run order (the figure is the median round). */
  readonly achievedRpsPerRound?: readonly (number | null)[];
  readonly error?: string;
}

export interface CostLevel {
  readonly level: string;
  readonly targetRps: number | null;
  readonly connections: number;
}

export function costFigure(run: RequestRun, level: CostLevel): CostFigure {
  const wall = run.wallSeconds;
  return {
    path: run.path,
    level: level.level,
    targetRps: level.targetRps,
    connections: level.connections,
    requests: run.requests,
    failed: run.failed,
    achievedRps: run.spanSeconds > 0 ? round(run.requests / run.spanSeconds, 1) : null,
    latencyMs: { p50: ms(run.latencyUs?.p50), p99: ms(run.latencyUs?.p99) },
    processes: run.processes.map((u) => ({
      name: u.name,
      vcpu: wall > 0 ? round(u.cpuSeconds / wall, 4) : null,
      vcpuPer1000Rps: vcpuPer1000(u.cpuSeconds, run.requests),
      systemShare: u.cpuSeconds > 0 ? round(u.systemSeconds / u.cpuSeconds, 2) : null,
      rssMaxMb: u.rssMaxKb > 0 ? round(u.rssMaxKb / 1024, 1) : null,
      rssMeanMb: u.rssMeanKb > 0 ? round(u.rssMeanKb / 1024, 1) : null,
    })),
    ...(run.error !== undefined ? { error: run.error } : {}),
  };
}

/** vCPU per 1000 req/s of all the figure's tunnel processes together (null without processes). */
export function totalVcpuPer1000(f: CostFigure): number | null {
  if (f.processes.length === 0 || f.processes.some((p) => p.vcpuPer1000Rps === null)) return null;
  return round(f.processes.reduce((s, p) => s + (p.vcpuPer1000Rps ?? 0), 0), 4);
}

/**
 * The median round of one cost cell: by achieved rate at saturation (that is what it measures), by
 * the tunnels' total CPU per 1000 req/s at a fixed rate (by achieved rate for the direct path).
 */
export function pickCost(rounds: readonly CostFigure[]): CostFigure | undefined {
  const first = rounds[0];
  if (!first) return undefined;
  const byRate = first.targetRps === null || first.processes.length === 0;
  const chosen = medianRound(rounds, (r) => (r.error !== undefined ? null : byRate ? r.achievedRps : totalVcpuPer1000(r)));
  return chosen && { ...chosen, achievedRpsPerRound: rounds.map((r) => r.achievedRps) };
}

/** `a / b` rounded to 2 decimals; null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : round(a / b, 2);
}

export type Verdict = 'met' | 'not met' | 'not measured';

/** `value` against a goal: at most `limit` (`atMost`) or at least (`atLeast`). */
export function verdict(value: number | null | undefined, goal: { readonly atMost?: number; readonly atLeast?: number }): Verdict {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'not measured';
  if (goal.atMost !== undefined && value > goal.atMost) return 'not met';
  if (goal.atLeast !== undefined && value < goal.atLeast) return 'not met';
  return 'met';
}

export interface AddedMs {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}

/**
 * Latency a path adds over `directId`, taken per round (the two were measured back to back, so a
 * noisy moment hits both) and then the median over rounds, per percentile. `rounds` lists each
 * path's figures in round order; rounds where either side failed are skipped.
 */
export function addedLatencyByRounds(rounds: ReadonlyMap<string, readonly LatencyFigure[]>, directId = 'direct'): Map<string, AddedMs> {
  const direct = rounds.get(directId) ?? [];
  const out = new Map<string, AddedMs>();
  for (const [path, figures] of rounds) {
    if (path === directId) continue;
    const diffs: Record<keyof AddedMs, number[]> = { p50: [], p90: [], p99: [] };
    figures.forEach((f, i) => {
      const d = direct[i];
      if (!d || d.error !== undefined || f.error !== undefined) return;
      for (const q of ['p50', 'p90', 'p99'] as const) {
        const a = f.latencyMs[q];
        const b = d.latencyMs[q];
        if (a !== null && b !== null) diffs[q].push(a - b);
      }
    });
    const median = (xs: number[]): number | null => (xs.length === 0 ? null : round(percentileSorted(Float64Array.from(xs).sort(), 50), 3));
    out.set(path, { p50: median(diffs.p50), p90: median(diffs.p90), p99: median(diffs.p99) });
  }
  return out;
}
