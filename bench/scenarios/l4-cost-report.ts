// What a person reads from the l4-cost scenario (pure): per ztunnel (node1 = source side, node2 =
// destination side) and per stunnel process, the vCPU and RSS it takes at 1000 and 5000 req/s and
// at the saturation rate; the goal (≤ 0.06 vCPU per 1000 req/s per ztunnel) and the memory budget
// met or not, ratios against the stunnel process on the same side, and the chart panels.

import { markdownTable } from '../harness/results-writer';
import type { BarPanel } from '../harness/svg-chart';
import { round } from '../harness/stats';
import { ratio, verdict, type CostFigure, type CostLevel, type CostProcess, type L4PathInfo, type Verdict } from './l4-figures';
import { labelOf, n, problemsSection, profilesSection, times, topologySection, type NamedProfile, type TopologyNote } from './l4-report-common';

/** Istio's ztunnel: ~0.06 vCPU per 1000 req/s (1 KiB) per ztunnel. */
export const CPU_GOAL_VCPU_PER_1000 = 0.06;
/** This repository's memory budget for a node agent (reference/performance.md: ≤ 64 MB idle). */
export const MEMORY_BUDGET_MB = 64;
/** Above this many cores busy, the tunnel core is taken to be the bottleneck at saturation. */
const SATURATED_CORE = 0.9;

/** Which stunnel process sits on the same side as a ztunnel. */
export const SAME_SIDE: Readonly<Record<string, string>> = { 'ztunnel-node1': 'stunnel-client', 'ztunnel-node2': 'stunnel-server' };

export interface L4CostFigures {
  readonly paths: readonly L4PathInfo[];
  readonly levels: readonly CostLevel[];
  /** One figure per (path, level): the median round. */
  readonly cost: readonly CostFigure[];
  readonly profiles?: readonly NamedProfile[];
}

export interface L4CostSettings {
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly topology: TopologyNote;
}

export interface ZtunnelGoal {
  readonly level: string;
  readonly ztunnel: string;
  readonly vcpuPer1000Rps: number | null;
  readonly cpuVerdict: Verdict;
  readonly rssMaxMb: number | null;
  readonly memoryVerdict: Verdict;
  readonly stunnel: string;
  /** ztunnel ÷ the stunnel process on the same side: vCPU per 1000 req/s and RSS. */
  readonly cpuRatio: number | null;
  readonly rssRatio: number | null;
}

function cell(f: L4CostFigures, path: string, level: string): CostFigure | undefined {
  return f.cost.find((c) => c.path === path && c.level === level && c.error === undefined);
}

function proc(c: CostFigure | undefined, name: string): CostProcess | undefined {
  return c?.processes.find((p) => p.name === name);
}

export function ztunnelGoals(f: L4CostFigures): ZtunnelGoal[] {
  const out: ZtunnelGoal[] = [];
  for (const level of f.levels) {
    const ambit = cell(f, 'ambit', level.level);
    const stunnel = cell(f, 'stunnel', level.level);
    for (const z of Object.keys(SAME_SIDE)) {
      const zp = proc(ambit, z);
      const sp = proc(stunnel, SAME_SIDE[z]);
      out.push({
        level: level.level, ztunnel: z, stunnel: SAME_SIDE[z],
        vcpuPer1000Rps: zp?.vcpuPer1000Rps ?? null,
        cpuVerdict: verdict(zp?.vcpuPer1000Rps, { atMost: CPU_GOAL_VCPU_PER_1000 }),
        rssMaxMb: zp?.rssMaxMb ?? null,
        memoryVerdict: verdict(zp?.rssMaxMb, { atMost: MEMORY_BUDGET_MB }),
        cpuRatio: ratio(zp?.vcpuPer1000Rps, sp?.vcpuPer1000Rps),
        rssRatio: ratio(zp?.rssMaxMb, sp?.rssMaxMb),
      });
    }
  }
  return out;
}

/** Cores the path's tunnel processes kept busy together (vCPU summed). */
export function tunnelCoreBusy(c: CostFigure | undefined): number | null {
  if (!c || c.processes.length === 0 || c.processes.some((p) => p.vcpu === null)) return null;
  return round(c.processes.reduce((s, p) => s + (p.vcpu ?? 0), 0), 2);
}

export function levelTitle(l: CostLevel): string {
  return l.targetRps === null ? `saturation (closed loop, ${l.connections} connections)` : `${l.targetRps} req/s (${l.connections} connections × ${Math.round(l.targetRps / l.connections)} req/s)`;
}

function goalSection(f: L4CostFigures): string {
  const goals = ztunnelGoals(f);
  const out = ['## Goal', ''];
  out.push(`Goal: each ztunnel takes at most ${CPU_GOAL_VCPU_PER_1000} vCPU per 1000 req/s (Istio's ztunnel figure, 1 KiB requests) and modest memory — here: RSS within this repository's node-agent budget of ${MEMORY_BUDGET_MB} MB (Istio's ztunnel: ~12 MB at 1000 req/s). ` +
    'node1\'s ztunnel is the source side (it holds the client\'s connections and opens the HBONE tunnel), node2\'s the destination side; each is compared with the stunnel process on the same side.', '');
  out.push(markdownTable(
    ['rate', 'ztunnel', 'vCPU per 1000 req/s', 'CPU goal', 'RSS max (MB)', 'memory budget', 'same-side stunnel', 'CPU ÷ stunnel', 'RSS ÷ stunnel'],
    goals.map((g) => [g.level, g.ztunnel, n(g.vcpuPer1000Rps, 3), `**${g.cpuVerdict}**`, n(g.rssMaxMb, 0), `**${g.memoryVerdict}**`, g.stunnel, times(g.cpuRatio), times(g.rssRatio)]),
    ['left', 'left', 'right', 'left', 'right', 'left', 'left', 'right', 'right'],
  ), '');
  const misses = goals.filter((g) => g.cpuVerdict === 'not met');
  out.push(misses.length === 0 && goals.some((g) => g.cpuVerdict === 'met')
    ? 'In plain words: the CPU goal is met by both ztunnels at every rate measured.'
    : `In plain words: the CPU goal is ${misses.length === 0 ? 'not measured' : `not met in ${misses.length} of ${goals.length} cases (${misses.map((g) => `${g.ztunnel} at ${g.level}`).join(', ')})`}.`, '');
  return out.join('\n');
}

function perProcessRows(f: L4CostFigures): string[][] {
  const rows: string[][] = [];
  for (const level of f.levels) {
    for (const p of f.paths) {
      const c = f.cost.find((x) => x.path === p.id && x.level === level.level);
      if (!c) continue;
      const common = [level.level, labelOf(f.paths, p.id), c.error && c.requests === 0 ? `failed: ${c.error}` : n(c.achievedRps, 0), (c.achievedRpsPerRound ?? []).map((v) => n(v, 0)).join(', '), `${n(c.latencyMs.p50, 2)} / ${n(c.latencyMs.p99, 2)}`];
      if (c.processes.length === 0) rows.push([...common, '–', '–', '–', '–', '–']);
      for (const q of c.processes) {
        rows.push([...common, q.name, n(q.vcpu, 3), n(q.vcpuPer1000Rps, 3), q.systemShare === null ? '–' : `${Math.round(q.systemShare * 100)} %`, `${n(q.rssMaxMb, 0)} / ${n(q.rssMeanMb, 0)}`]);
      }
    }
  }
  return rows;
}

export function renderCostMarkdown(f: L4CostFigures, s: L4CostSettings): string {
  const out: string[] = [goalSection(f), topologySection(f.paths, s.topology)];
  out.push(`## CPU and memory per tunnel process (h2load --h1, 1 KiB responses, ${s.seconds} s after a ${s.warmupSeconds} s warm-up)`, '');
  out.push(`Rates: ${f.levels.map(levelTitle).join('; ')}. vCPU = CPU seconds ÷ wall seconds of the window; vCPU per 1000 req/s = CPU seconds per 1000 requests answered; kernel = the share of it spent in the kernel.`, '');
  out.push(markdownTable(
    ['rate', 'path', 'achieved req/s', 'rounds (req/s)', 'latency p50 / p99 (ms)', 'process', 'vCPU', 'vCPU per 1000 req/s', 'kernel', 'RSS max / mean (MB)'],
    perProcessRows(f),
    ['left', 'left', 'right', 'right', 'right', 'left', 'right', 'right', 'right', 'right'],
  ), '');
  const sat = f.levels.find((l) => l.targetRps === null);
  if (sat) {
    out.push('## Saturation', '');
    out.push('The closed loop sends the next request as soon as the last one is answered, so the achieved rate is what the whole path sustains. Both tunnel processes of a path share core 0; h2load and the server pod share core 1. When the tunnel processes keep core 0 busy (≥ 0.9 vCPU together), the tunnel is the limit; otherwise the load core or the round trip is.', '');
    out.push(markdownTable(
      ['path', 'achieved req/s', 'tunnel core busy (vCPU)', 'limit', 'ratio to no mesh'],
      f.paths.map((p) => {
        const c = cell(f, p.id, sat.level);
        const busy = tunnelCoreBusy(c);
        const direct = cell(f, 'direct', sat.level);
        const limit = p.tunnels.length === 0 ? 'load core / round trip' : busy === null ? '–' : busy >= SATURATED_CORE ? 'tunnel core' : 'load core / round trip';
        return [p.label, n(c?.achievedRps, 0), n(busy, 2), limit, times(ratio(c?.achievedRps, direct?.achievedRps))];
      }),
      ['left', 'right', 'right', 'left', 'right'],
    ), '');
  }
  out.push(problemsSection(f.cost.filter((c) => c.error).map((c) => `${labelOf(f.paths, c.path)} at ${c.level}: ${c.error}`)));
  out.push(profilesSection(f.profiles ?? []));
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

export function costPanels(f: L4CostFigures): BarPanel[] {
  const names = f.paths.flatMap((p) => p.tunnels.map((t) => ({ path: p.id, name: t })));
  const series = f.levels.map((l) => (l.targetRps === null ? 'saturation' : `${l.targetRps} req/s`));
  const value = (path: string, name: string, level: string, pick: 'vcpuPer1000Rps' | 'rssMaxMb'): number | null =>
    proc(f.cost.find((c) => c.path === path && c.level === level), name)?.[pick] ?? null;
  const panels: BarPanel[] = [
    {
      title: `vCPU per 1000 req/s per tunnel process (lower is better; goal per ztunnel ≤ ${CPU_GOAL_VCPU_PER_1000})`,
      unit: 'vCPU / 1000 req/s',
      series,
      decimals: 3,
      groups: names.map((x) => ({ label: x.name, values: f.levels.map((l) => value(x.path, x.name, l.level, 'vcpuPer1000Rps')) })),
    },
    {
      title: `RSS max per tunnel process (budget per ztunnel ${MEMORY_BUDGET_MB} MB)`,
      unit: 'MB',
      series,
      decimals: 0,
      groups: names.map((x) => ({ label: x.name, values: f.levels.map((l) => value(x.path, x.name, l.level, 'rssMaxMb')) })),
    },
  ];
  const sat = f.levels.find((l) => l.targetRps === null);
  if (sat) {
    panels.push({
      title: 'Saturation rate, closed loop (higher is better)',
      unit: 'req/s',
      series: ['achieved'],
      decimals: 0,
      groups: f.paths.map((p) => ({ label: p.label, values: [f.cost.find((c) => c.path === p.id && c.level === sat.level)?.achievedRps ?? null] })),
    });
  }
  return panels;
}
