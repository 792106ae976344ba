// What a person reads from the l7-rps scenario (pure): the saturation rate of every path (closed
// loop), what set it, and what the proxies cost — the waypoint's vCPU per 1000 req/s against the
// goal (Istio's Envoy waypoint, 0.25) and its RSS beside HAProxy's, at 1000 req/s and at
// saturation — problems, and the chart panels.

import { markdownTable } from '../harness/results-writer';
import type { BarPanel } from '../harness/svg-chart';
import type { CostLevel } from './l4-figures';
import { n, problemsSection, times } from './l4-report-common';
import {
  ENVOY_WAYPOINT_RSS_MB, proxyCosts, saturationRows, WAYPOINT_CPU_GOAL_VCPU_PER_1000, type CoreIndices, type L7CostFigure, type L7PathInfo,
} from './l7-figures';
import { labelOf, l7TopologySection, type L7TopologyNote } from './l7-report-common';

export interface L7RpsFigures {
  readonly paths: readonly L7PathInfo[];
  readonly levels: readonly CostLevel[];
  /** One figure per (path, level): the median round (by rate at saturation, by proxy CPU at a fixed rate). */
  readonly cost: readonly L7CostFigure[];
  /** The proxy core and the load core (for reading `coreBusy`). */
  readonly cores?: CoreIndices;
}

export interface L7RpsSettings {
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly topology: L7TopologyNote;
}

export function rpsLevelTitle(l: CostLevel): string {
  return l.targetRps === null ? `saturation (closed loop, ${l.connections} connections)` : `${l.targetRps} req/s (${l.connections} connections × ${Math.round(l.targetRps / l.connections)} req/s)`;
}

function goalSection(f: L7RpsFigures): string {
  const out = ['## Goal', ''];
  const costs = proxyCosts(f.cost, f.levels);
  out.push(`Goal: the waypoint takes at most ${WAYPOINT_CPU_GOAL_VCPU_PER_1000} vCPU per 1000 req/s (Istio's Envoy waypoint with 2 workers, 1 KiB requests). Memory for reference: Istio's Envoy waypoint ~${ENVOY_WAYPOINT_RSS_MB} MB. Beside it, the HAProxy process of the plain path and of the mTLS path (one thread, the same core).`, '');
  if (!f.paths.some((p) => p.id === 'waypoint')) {
    out.push('**not measured**: the waypoint path was left out of this run.', '');
  }
  out.push(markdownTable(
    ['rate', 'waypoint vCPU per 1000 req/s', 'goal', 'waypoint RSS max (MB)', 'HAProxy vCPU per 1000 (no mTLS / mTLS)', 'HAProxy RSS max (MB)', 'waypoint ÷ HAProxy CPU (no mTLS / mTLS)', 'waypoint ÷ HAProxy RSS'],
    costs.map((c) => [
      c.level, n(c.waypoint?.vcpuPer1000Rps, 3), `**${c.cpuVerdict}**`, n(c.waypoint?.rssMaxMb, 0),
      `${n(c.haproxy?.vcpuPer1000Rps, 3)} / ${n(c.haproxyTls?.vcpuPer1000Rps, 3)}`, n(c.haproxy?.rssMaxMb ?? c.haproxyTls?.rssMaxMb, 0),
      `${times(c.cpuRatio)} / ${times(c.cpuRatioTls)}`, times(c.rssRatio),
    ]),
    ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right'],
  ), '');
  return out.join('\n');
}

function saturationSection(f: L7RpsFigures): string {
  const sat = f.levels.find((l) => l.targetRps === null);
  if (!sat) return '';
  const out = ['## Saturation', ''];
  out.push(`${rpsLevelTitle(sat)}: the next request goes out as soon as the last one is answered, so the achieved rate is what the whole path sustains. ` +
    'All proxy processes of a path share the proxy core; h2load and the server pod share the load core. "Proxies" is the CPU of the path\'s own proxy processes; "core busy" is how busy each core was over the window with all work on the machine included (/proc/stat), so other work shows there. ' +
    'A core at least 0.9 busy is taken to be what set the rate; with neither full, the round trip through the chain (each hop waiting its turn on its core) did.', '');
  out.push(markdownTable(
    ['path', 'achieved req/s', 'rounds (req/s)', 'ratio to no mesh', 'proxies (vCPU)', 'proxy core busy', 'load core busy', 'limit', 'proxies vCPU per 1000 req/s'],
    saturationRows(f.cost, f.paths, sat.level, f.cores).map((r) => [
      labelOf(f.paths, r.path), n(r.achievedRps, 0), r.perRound.map((v) => n(v, 0)).join(', '), times(r.toDirect), n(r.proxyCoreBusy, 2), n(r.proxyCoreAll, 2), n(r.loadCoreAll, 2), r.limit, n(r.vcpuPer1000Rps, 3),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'right'],
  ), '');
  return out.join('\n');
}

function perProcessRows(f: L7RpsFigures): string[][] {
  const rows: string[][] = [];
  for (const level of f.levels) {
    for (const p of f.paths) {
      const c = f.cost.find((x) => x.path === p.id && x.level === level.level);
      if (!c) continue;
      const common = [level.level, labelOf(f.paths, p.id), c.error && c.requests === 0 ? `failed: ${c.error}` : n(c.achievedRps, 0), `${n(c.latencyMs.p50, 2)} / ${n(c.latencyMs.p99, 2)}`];
      if (c.processes.length === 0) rows.push([...common, '–', '–', '–', '–', '–']);
      for (const q of c.processes) {
        rows.push([...common, q.name, n(q.vcpu, 3), n(q.vcpuPer1000Rps, 3), q.systemShare === null ? '–' : `${Math.round(q.systemShare * 100)} %`, `${n(q.rssMaxMb, 0)} / ${n(q.rssMeanMb, 0)}`]);
      }
    }
  }
  return rows;
}

export function renderL7RpsMarkdown(f: L7RpsFigures, s: L7RpsSettings): string {
  const out: string[] = [goalSection(f), saturationSection(f), l7TopologySection(f.paths, s.topology)];
  out.push(`## CPU and memory per proxy process (h2load --h1, 1 KiB responses, ${s.seconds} s after a ${s.warmupSeconds} s warm-up)`, '');
  out.push(`Rates: ${f.levels.map(rpsLevelTitle).join('; ')}. vCPU = CPU seconds ÷ wall seconds of the window; vCPU per 1000 req/s = CPU seconds per 1000 requests answered; kernel = the share spent in the kernel; RSS from /proc every 250 ms.`, '');
  out.push(markdownTable(
    ['rate', 'path', 'achieved req/s', 'latency p50 / p99 (ms)', 'process', 'vCPU', 'vCPU per 1000 req/s', 'kernel', 'RSS max / mean (MB)'],
    perProcessRows(f),
    ['left', 'left', 'right', 'right', 'left', 'right', 'right', 'right', 'right'],
  ), '');
  out.push(problemsSection(f.cost.filter((c) => c.error).map((c) => `${labelOf(f.paths, c.path)} at ${c.level}: ${c.error}`)));
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

export function l7RpsPanels(f: L7RpsFigures): BarPanel[] {
  const panels: BarPanel[] = [];
  const sat = f.levels.find((l) => l.targetRps === null);
  if (sat) {
    panels.push({
      title: 'Saturation rate, closed loop of 16 connections (higher is better)',
      unit: 'req/s',
      series: ['achieved'],
      decimals: 0,
      groups: saturationRows(f.cost, f.paths, sat.level).map((r) => ({ label: labelOf(f.paths, r.path), values: [r.achievedRps] })),
    });
  }
  const series = f.levels.map((l) => (l.targetRps === null ? 'saturation' : `${l.targetRps} req/s`));
  const withProxies = f.paths.filter((p) => p.processes.length > 0);
  const l7 = [
    { label: 'waypoint', path: 'waypoint' },
    { label: 'HAProxy', path: 'haproxy' },
    { label: 'HAProxy (mTLS path)', path: 'haproxy-tls' },
  ].filter((x) => f.paths.some((p) => p.id === x.path));
  const value = (path: string, level: string, pick: 'vcpuPer1000Rps' | 'rssMaxMb'): number | null =>
    f.cost.find((c) => c.path === path && c.level === level)?.processes.find((p) => p.name === (path === 'waypoint' ? 'waypoint' : 'haproxy'))?.[pick] ?? null;
  panels.push(
    {
      title: 'vCPU per 1000 req/s, all proxy processes of the path together (lower is better)',
      unit: 'vCPU / 1000 req/s',
      series,
      decimals: 3,
      groups: withProxies.map((p) => ({ label: p.label, values: f.levels.map((l) => saturationRows(f.cost, [p], l.level)[0]?.vcpuPer1000Rps ?? null) })),
    },
    {
      title: `vCPU per 1000 req/s of the L7 proxy process alone (goal for the waypoint ≤ ${WAYPOINT_CPU_GOAL_VCPU_PER_1000})`,
      unit: 'vCPU / 1000 req/s',
      series,
      decimals: 3,
      groups: l7.map((x) => ({ label: x.label, values: f.levels.map((l) => value(x.path, l.level, 'vcpuPer1000Rps')) })),
    },
    {
      title: `RSS max of the L7 proxy process (Istio's Envoy waypoint: ~${ENVOY_WAYPOINT_RSS_MB} MB)`,
      unit: 'MB',
      series,
      decimals: 0,
      groups: l7.map((x) => ({ label: x.label, values: f.levels.map((l) => value(x.path, l.level, 'rssMaxMb')) })),
    },
  );
  return panels;
}
