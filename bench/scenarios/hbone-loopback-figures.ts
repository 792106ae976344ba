// The figures of the hbone-loopback scenario as plain data, and the pure derivations on them:
// per-GB and per-1000-rps CPU, latency added over the direct path, HBONE-vs-stunnel ratios.

import type { ProcessUsage } from '../harness/sampler';
import type { ProfileSummary } from '../harness/cpu-profile';
import { round } from '../harness/stats';

export interface PathInfo {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly processes: readonly string[];
}

export interface ProcessFigure {
  readonly name: string;
  readonly cpuSeconds: number | null;
  /** Share of cpuSeconds spent in the kernel (syscalls, the loopback TCP stack), 0..1. */
  readonly systemShare: number | null;
  readonly rssMaxMb: number | null;
}

export interface BulkFigure {
  readonly path: string;
  readonly parallel: number;
  readonly gbps: number | null;
  readonly bytes: number;
  readonly seconds: number;
  readonly retransmits: number;
  /** CPU seconds of all tunnel processes of the path, per GB (1e9 bytes) received. */
  readonly cpuSecondsPerGB: number | null;
  readonly processes: readonly (ProcessFigure & { readonly cpuSecondsPerGB: number | null })[];
  readonly backend: readonly ProcessFigure[];
  /** Gbit/s of every round, in run order (the figure is the median round). */
  readonly gbpsPerRound?: readonly (number | null)[];
  readonly error?: string;
}

export interface LatencyFigure {
  readonly path: string;
  readonly requests: number;
  readonly failed: number;
  readonly achievedRps: number | null;
  readonly latencyMs: {
    readonly p50: number | null;
    readonly p90: number | null;
    readonly p99: number | null;
    readonly p999: number | null;
    readonly max: number | null;
    readonly mean: number | null;
  };
  /** Latency minus the direct path's, same percentile (filled in by `withAddedLatency`). */
  readonly addedMs?: { readonly p50: number | null; readonly p90: number | null; readonly p99: number | null };
  /** vCPU of all tunnel processes per 1000 req/s (= CPU seconds per 1000 requests). */
  readonly vcpuPer1000Rps: number | null;
  readonly processes: readonly (ProcessFigure & { readonly vcpuPer1000Rps: number | null })[];
  readonly backend: readonly ProcessFigure[];
  /** p99 (ms) of every round, in run order (the figure is the median round by p99). */
  readonly p99MsPerRound?: readonly (number | null)[];
  readonly error?: string;
}

export interface HboneLoopbackFigures {
  readonly paths: readonly PathInfo[];
  readonly bulk: readonly BulkFigure[];
  readonly latency: readonly LatencyFigure[];
  readonly profiles?: readonly { readonly process: string; readonly summary: ProfileSummary }[];
}

export function processFigure(u: ProcessUsage): ProcessFigure {
  return {
    name: u.name,
    cpuSeconds: round(u.cpuSeconds, 3),
    systemShare: u.cpuSeconds > 0 ? round(u.systemSeconds / u.cpuSeconds, 2) : null,
    rssMaxMb: u.rssMaxKb > 0 ? round(u.rssMaxKb / 1024, 1) : null,
  };
}

/** CPU seconds per GB (1e9 bytes); null without bytes. */
export function cpuPerGB(cpuSeconds: number, bytes: number): number | null {
  return bytes > 0 ? round(cpuSeconds / (bytes / 1e9), 3) : null;
}

/** vCPU per 1000 req/s — at a steady rate this is CPU seconds per 1000 requests. */
export function vcpuPer1000(cpuSeconds: number, requests: number): number | null {
  return requests > 0 ? round((cpuSeconds / requests) * 1000, 4) : null;
}

/**
 * The median round by `key` (lower middle for an even count), so every figure reported comes from
 * one consistent run. Rounds without a key value (failed) are only chosen when all failed.
 */
export function medianRound<T>(rounds: readonly T[], key: (t: T) => number | null): T | undefined {
  const ok = rounds.filter((r) => key(r) !== null).sort((a, b) => (key(a) ?? 0) - (key(b) ?? 0));
  if (ok.length === 0) return rounds[0];
  return ok[Math.floor((ok.length - 1) / 2)];
}

/** The median bulk round by throughput, carrying every round's Gbit/s. */
export function pickBulk(rounds: readonly BulkFigure[]): BulkFigure | undefined {
  const chosen = medianRound(rounds, (r) => (r.error === undefined ? r.gbps : null));
  return chosen && { ...chosen, gbpsPerRound: rounds.map((r) => r.gbps) };
}

/** The median latency round by p99, carrying every round's p99. */
export function pickLatency(rounds: readonly LatencyFigure[]): LatencyFigure | undefined {
  const chosen = medianRound(rounds, (r) => (r.error === undefined ? r.latencyMs.p99 : null));
  return chosen && { ...chosen, p99MsPerRound: rounds.map((r) => r.latencyMs.p99) };
}

/** Adds `addedMs` to every latency figure relative to the `direct` path's (when it has one). */
export function withAddedLatency(figures: readonly LatencyFigure[], directId = 'direct'): LatencyFigure[] {
  const direct = figures.find((f) => f.path === directId && f.error === undefined);
  return figures.map((f) => {
    if (!direct || f.path === directId || f.error !== undefined) return f;
    const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : round(a - b, 3));
    return { ...f, addedMs: { p50: diff(f.latencyMs.p50, direct.latencyMs.p50), p90: diff(f.latencyMs.p90, direct.latencyMs.p90), p99: diff(f.latencyMs.p99, direct.latencyMs.p99) } };
  });
}

export interface Ratio {
  readonly what: string;
  /** `a / b`, e.g. HBONE throughput ÷ stunnel throughput. */
  readonly value: number | null;
}

/** The ratios that carry across machines: path `a` against path `b` (HBONE against stunnel). */
export function ratios(figures: HboneLoopbackFigures, a: string, b: string): Ratio[] {
  const div = (x: number | null | undefined, y: number | null | undefined): number | null => (x == null || y == null || y === 0 ? null : round(x / y, 2));
  const bulk = (path: string, parallel: number): BulkFigure | undefined => figures.bulk.find((f) => f.path === path && f.parallel === parallel && f.error === undefined);
  const lat = (path: string): LatencyFigure | undefined => figures.latency.find((f) => f.path === path && f.error === undefined);
  const out: Ratio[] = [];
  for (const parallel of [...new Set(figures.bulk.map((f) => f.parallel))]) {
    out.push({ what: `throughput, ${parallel} stream(s)`, value: div(bulk(a, parallel)?.gbps, bulk(b, parallel)?.gbps) });
    out.push({ what: `CPU per GB, ${parallel} stream(s)`, value: div(bulk(a, parallel)?.cpuSecondsPerGB, bulk(b, parallel)?.cpuSecondsPerGB) });
  }
  out.push({ what: 'added p50 latency', value: div(lat(a)?.addedMs?.p50, lat(b)?.addedMs?.p50) });
  out.push({ what: 'added p99 latency', value: div(lat(a)?.addedMs?.p99, lat(b)?.addedMs?.p99) });
  out.push({ what: 'CPU per 1000 req/s', value: div(lat(a)?.vcpuPer1000Rps, lat(b)?.vcpuPer1000Rps) });
  return out;
}
