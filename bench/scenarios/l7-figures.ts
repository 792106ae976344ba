// The figures of the L7 scenarios as plain data, derived purely from the measured runs (the
// latency and cost shapes of the L4 scenarios, l4-figures.ts): the goals (waypoint path added
// latency, waypoint CPU per 1000 req/s), latency added per path and the L7 hop's share of it,
// the waypoint against HAProxy, saturation rates, and the proxy processes' cost.

import type { L7Path } from '../cluster/l7-cluster-types';
import { round } from '../harness/stats';
import type { LatencyFigure } from './hbone-loopback-figures';
import { pickCost, ratio, verdict, type CostFigure, type CostLevel, type CostProcess, type Verdict } from './l4-figures';

/** This repository's target for L4 + L7 (reference/performance.md): ≤ +1.5 ms p99 at 1000 req/s. */
export const L7_LATENCY_GOAL_ADDED_P99_MS = 1.5;
/** Istio's Envoy waypoint (2 workers): ~0.25 vCPU per 1000 req/s of 1 KiB. */
export const WAYPOINT_CPU_GOAL_VCPU_PER_1000 = 0.25;
/** Istio's Envoy waypoint memory at 1000 req/s, for reference (no budget of our own yet). */
export const ENVOY_WAYPOINT_RSS_MB = 60;

/** 1000 req/s as l4-cost runs it (4 connections × 250 req/s) and a closed loop of 16 connections. */
export const L7_RPS_LEVELS: readonly CostLevel[] = [
  { level: '1000', targetRps: 1000, connections: 4 },
  { level: 'saturation', targetRps: null, connections: 16 },
];

export interface L7PathInfo {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** Names of the sampled proxy processes. */
  readonly processes: readonly string[];
}

export function l7PathInfos(paths: readonly L7Path[]): L7PathInfo[] {
  return paths.map((p) => ({ id: p.id, label: p.label, description: p.description, processes: p.processes.map((t) => t.name) }));
}

type Percentile = 'p50' | 'p90' | 'p99';
export const PERCENTILES: readonly Percentile[] = ['p50', 'p90', 'p99'];

function okLatency(latency: readonly LatencyFigure[], path: string): LatencyFigure | undefined {
  return latency.find((f) => f.path === path && f.error === undefined);
}

export interface LatencyComparison {
  readonly percentile: Percentile;
  /** Added over no mesh (ms), per path. */
  readonly ztunnelMs: number | null;
  readonly waypointMs: number | null;
  readonly haproxyMs: number | null;
  readonly haproxyTlsMs: number | null;
  /** waypoint − ztunnel only: what the L7 hop (waypoint, one more HBONE leg) adds. */
  readonly l7HopMs: number | null;
  /** waypoint ÷ HAProxy with mTLS (same hops, same TLS sessions), when both add latency. */
  readonly waypointOverHaproxyTls: number | null;
  /** waypoint ÷ plain HAProxy (an L7 hop without mTLS). */
  readonly waypointOverHaproxy: number | null;
}

/** Below this, an addition is within the noise of a round: no ratio is taken against it. */
export const MIN_RATIO_BASE_MS = 0.05;

function positiveRatio(a: number | null, b: number | null): number | null {
  // A ratio only means something when both add latency; a noisy round can make one negative, and
  // a near-zero one (plain HAProxy) would give an absurd multiple.
  return a !== null && b !== null && a >= 0 && b >= MIN_RATIO_BASE_MS ? ratio(a, b) : null;
}

export function compareLatency(latency: readonly LatencyFigure[]): LatencyComparison[] {
  const added = (path: string, q: Percentile): number | null => okLatency(latency, path)?.addedMs?.[q] ?? null;
  return PERCENTILES.map((q) => {
    const z = added('ztunnel', q);
    const w = added('waypoint', q);
    const h = added('haproxy', q);
    const t = added('haproxy-tls', q);
    return {
      percentile: q, ztunnelMs: z, waypointMs: w, haproxyMs: h, haproxyTlsMs: t,
      l7HopMs: w !== null && z !== null ? round(w - z, 3) : null,
      waypointOverHaproxyTls: positiveRatio(w, t),
      waypointOverHaproxy: positiveRatio(w, h),
    };
  });
}

export interface Goal {
  readonly value: number | null;
  readonly verdict: Verdict;
}

export function latencyGoal(latency: readonly LatencyFigure[]): Goal {
  const v = okLatency(latency, 'waypoint')?.addedMs?.p99 ?? null;
  return { value: v, verdict: verdict(v, { atMost: L7_LATENCY_GOAL_ADDED_P99_MS }) };
}

function okCost(cost: readonly CostFigure[], path: string, level: string): CostFigure | undefined {
  return cost.find((c) => c.path === path && c.level === level && c.error === undefined);
}

function proc(c: CostFigure | undefined, name: string): CostProcess | undefined {
  return c?.processes.find((p) => p.name === name);
}

export interface ProxyCost {
  readonly level: string;
  readonly waypoint: CostProcess | undefined;
  readonly cpuVerdict: Verdict;
  /** HAProxy's process on the plain path and on the mTLS path at the same level. */
  readonly haproxy: CostProcess | undefined;
  readonly haproxyTls: CostProcess | undefined;
  /** waypoint ÷ HAProxy: vCPU per 1000 req/s and RSS max. */
  readonly cpuRatio: number | null;
  readonly cpuRatioTls: number | null;
  readonly rssRatio: number | null;
}

/** The waypoint process against the goal and against HAProxy, per level. */
export function proxyCosts(cost: readonly CostFigure[], levels: readonly CostLevel[]): ProxyCost[] {
  return levels.map((l) => {
    const w = proc(okCost(cost, 'waypoint', l.level), 'waypoint');
    const h = proc(okCost(cost, 'haproxy', l.level), 'haproxy');
    const t = proc(okCost(cost, 'haproxy-tls', l.level), 'haproxy');
    return {
      level: l.level, waypoint: w, cpuVerdict: verdict(w?.vcpuPer1000Rps, { atMost: WAYPOINT_CPU_GOAL_VCPU_PER_1000 }),
      haproxy: h, haproxyTls: t,
      cpuRatio: ratio(w?.vcpuPer1000Rps, h?.vcpuPer1000Rps),
      cpuRatioTls: ratio(w?.vcpuPer1000Rps, t?.vcpuPer1000Rps),
      rssRatio: ratio(w?.rssMaxMb, h?.rssMaxMb),
    };
  });
}

/** A cost figure with how busy each core was over the window, all work included (/proc/stat). */
export interface L7CostFigure extends CostFigure {
  /** Busy share 0..1 per core index; absent when /proc/stat could not be read. */
  readonly coreBusy?: readonly number[];
}

/** Busy and total jiffies per core (`cpuN` lines of /proc/stat); busy = all but idle and iowait. */
export function parseCoreTimes(procStat: string): Map<number, { readonly busy: number; readonly total: number }> {
  const out = new Map<number, { busy: number; total: number }>();
  for (const line of procStat.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    if (v.length < 4 || v.some((x) => !Number.isFinite(x))) continue;
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out.set(Number(m[1]), { busy: total - v[3] - (v[4] ?? 0), total });
  }
  return out;
}

/** Per core, the share of the time between two /proc/stat readings it was busy (rounded, 0..1). */
export function coreBusyShares(before: string, after: string): number[] {
  const a = parseCoreTimes(before);
  const b = parseCoreTimes(after);
  const cores = Math.max(-1, ...b.keys()) + 1;
  const out: number[] = [];
  for (let i = 0; i < cores; i++) {
    const x = a.get(i);
    const y = b.get(i);
    const dt = x && y ? y.total - x.total : 0;
    out.push(x && y && dt > 0 ? (round(Math.min(1, Math.max(0, (y.busy - x.busy) / dt)), 2) ?? 0) : 0);
  }
  return out;
}

/** The median round of a cell (pickCost), keeping its core shares. */
export function pickL7Cost(rounds: readonly L7CostFigure[]): L7CostFigure | undefined {
  const chosen = pickCost(rounds);
  const coreBusy = chosen && rounds.find((r) => r.processes === chosen.processes)?.coreBusy;
  return chosen && { ...chosen, ...(coreBusy ? { coreBusy } : {}) };
}

/** At or above this share a core is taken to be full: what set the saturation rate. */
const SATURATED_CORE = 0.9;

export interface SaturationRow {
  readonly path: string;
  readonly achievedRps: number | null;
  readonly perRound: readonly (number | null)[];
  readonly toDirect: number | null;
  /** vCPU of the path's proxy processes together (they share the proxy core). */
  readonly proxyCoreBusy: number | null;
  /** Busy share of the proxy core and of the load core, all work on the machine included. */
  readonly proxyCoreAll: number | null;
  readonly loadCoreAll: number | null;
  readonly limit: string;
  /** vCPU per 1000 req/s of all the path's proxies together. */
  readonly vcpuPer1000Rps: number | null;
}

export interface CoreIndices {
  readonly proxy?: number;
  readonly load?: number;
}

function limitOf(hasProxies: boolean, proxies: number | null, proxyAll: number | null, loadAll: number | null): string {
  if (proxyAll !== null && loadAll !== null) {
    const proxyFull = hasProxies && proxyAll >= SATURATED_CORE;
    const loadFull = loadAll >= SATURATED_CORE;
    if (proxyFull && loadFull) return 'both cores';
    if (proxyFull) return 'proxy core';
    if (loadFull) return 'load core';
    return 'neither core full: round trip';
  }
  if (!hasProxies) return 'load core / round trip';
  return proxies === null ? '–' : proxies >= SATURATED_CORE ? 'proxy core' : 'load core / round trip';
}

export function saturationRows(cost: readonly L7CostFigure[], paths: readonly L7PathInfo[], level = 'saturation', cores: CoreIndices = {}): SaturationRow[] {
  const direct = okCost(cost, 'direct', level);
  return paths.map((p) => {
    const c = cost.find((x) => x.path === p.id && x.level === level);
    const ok = c && c.error === undefined ? c : undefined;
    const vcpus = ok?.processes.map((x) => x.vcpu) ?? [];
    const busy = ok && vcpus.length > 0 && vcpus.every((v) => v !== null) ? round(vcpus.reduce((s: number, v) => s + (v ?? 0), 0), 2) : null;
    const per1000 = ok?.processes.map((x) => x.vcpuPer1000Rps) ?? [];
    const share = (i: number | undefined): number | null => (i === undefined ? null : ok?.coreBusy?.[i] ?? null);
    const proxyAll = share(cores.proxy);
    const loadAll = share(cores.load);
    return {
      path: p.id,
      achievedRps: ok?.achievedRps ?? null,
      perRound: c?.achievedRpsPerRound ?? [],
      toDirect: ratio(ok?.achievedRps, direct?.achievedRps),
      proxyCoreBusy: busy,
      proxyCoreAll: proxyAll,
      loadCoreAll: loadAll,
      limit: ok ? limitOf(p.processes.length > 0, busy, proxyAll, loadAll) : '–',
      vcpuPer1000Rps: per1000.length > 0 && per1000.every((v) => v !== null) ? round(per1000.reduce((s: number, v) => s + (v ?? 0), 0), 3) : null,
    };
  });
}
