// What a person reads from the l7-latency scenario (pure): the goal (the waypoint path adds at most
// 1.5 ms p99 over no mesh at 1000 req/s) met or not, the latency table per path, the latency each
// path adds and the L7 hop's share, the waypoint against HAProxy, problems, and the chart panels.

import { markdownTable } from '../harness/results-writer';
import type { BarPanel } from '../harness/svg-chart';
import type { LatencyFigure } from './hbone-loopback-figures';
import { latencyTable } from './hbone-loopback-report';
import { n, problemsSection, times } from './l4-report-common';
import { compareLatency, latencyGoal, L7_LATENCY_GOAL_ADDED_P99_MS, MIN_RATIO_BASE_MS, PERCENTILES, type L7PathInfo } from './l7-figures';
import { labelOf, l7TopologySection, type L7TopologyNote } from './l7-report-common';

export interface L7LatencyFigures {
  readonly paths: readonly L7PathInfo[];
  /** One figure per path (the median round by p99), with `addedMs` over no mesh. */
  readonly latency: readonly LatencyFigure[];
}

export interface L7LatencySettings {
  readonly totalRps: number;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly topology: L7TopologyNote;
}

function goalSection(f: L7LatencyFigures, s: L7LatencySettings): string {
  const goal = latencyGoal(f.latency);
  const cmp = compareLatency(f.latency).find((c) => c.percentile === 'p99');
  const out = ['## Goal', ''];
  const ran = f.paths.some((p) => p.id === 'waypoint');
  out.push(`Goal: the waypoint path (two ztunnels and the waypoint) adds at most ${L7_LATENCY_GOAL_ADDED_P99_MS} ms p99 over no mesh at ${s.totalRps} req/s (this repository's L4 + L7 target). ` +
    (ran ? `**${goal.verdict}**` : '**not measured**: the waypoint path was left out of this run') +
    (goal.value !== null ? `: the waypoint path adds ${n(goal.value, 3)} ms p99` : '') +
    (cmp?.haproxyTlsMs != null ? `; HAProxy with mTLS on the same hops adds ${n(cmp.haproxyTlsMs, 3)} ms${goal.value !== null ? ` (waypoint ÷ HAProxy + mTLS ${times(cmp.waypointOverHaproxyTls)})` : ''}` : '') +
    (cmp?.haproxyMs != null ? `; plain HAProxy (no mTLS) adds ${n(cmp.haproxyMs, 3)} ms` : '') + '.', '');
  const w = f.latency.find((x) => x.path === 'waypoint' && x.error === undefined)?.addedMs;
  if (w) out.push(`Added by the waypoint path at p50 / p90 / p99: ${n(w.p50, 3)} / ${n(w.p90, 3)} / ${n(w.p99, 3)} ms.`, '');
  return out.join('\n');
}

export function renderL7LatencyMarkdown(f: L7LatencyFigures, s: L7LatencySettings): string {
  const label = (id: string): string => labelOf(f.paths, id);
  const out: string[] = [goalSection(f, s), l7TopologySection(f.paths, s.topology)];
  out.push(`## Request/response at ${s.totalRps} req/s (h2load --h1, ${s.connections} connections × ${Math.round(s.totalRps / s.connections)} req/s, 1 KiB responses, ${s.seconds} s after a ${s.warmupSeconds} s warm-up)`, '');
  out.push('Latency in ms from h2load\'s per-request log (nearest-rank percentiles). Added = this path minus no mesh at the same percentile, taken in each round (the paths run back to back) and then the median over rounds — so it need not equal the difference of the columns, which come from each path\'s median round by p99. vCPU per 1000 req/s = CPU seconds of the path\'s proxy processes per 1000 requests.', '');
  out.push(latencyTable(f.latency, label), '');
  out.push('## Where the added latency comes from', '');
  out.push(`Added over no mesh, ms. L7 hop = waypoint path − ztunnel-only path: the waypoint process and the extra HBONE leg. Ratios only where both add latency (at least ${MIN_RATIO_BASE_MS} ms for the divisor: below that an addition is noise).`, '');
  out.push(markdownTable(
    ['percentile', 'ztunnel only', 'waypoint', 'L7 hop (waypoint − ztunnel)', 'HAProxy (no mTLS)', 'HAProxy + mTLS', 'waypoint ÷ HAProxy + mTLS', 'waypoint ÷ HAProxy'],
    compareLatency(f.latency).map((c) => [c.percentile, n(c.ztunnelMs, 3), n(c.waypointMs, 3), n(c.l7HopMs, 3), n(c.haproxyMs, 3), n(c.haproxyTlsMs, 3), times(c.waypointOverHaproxyTls), times(c.waypointOverHaproxy)]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  ), '');
  const intervalMs = 1000 / (s.totalRps / s.connections);
  const over = f.latency.filter((x) => x.latencyMs.p99 !== null && x.latencyMs.p99 > intervalMs).map((x) => label(x.path));
  out.push('## Reading', '');
  out.push(
    `- A fixed rate well below saturation: h2load keeps at most one request in flight per HTTP/1.1 connection, so latencies above the ${n(intervalMs, 0)} ms send interval hide queueing (coordinated omission). ` +
      (over.length === 0 ? 'Here every path\'s p99 stays below it.' : `Here p99 went above it on ${over.join(', ')}: read those p99 values as lower bounds.`),
    '- The waypoint path has three proxy processes (node1\'s ztunnel, the waypoint, node2\'s ztunnel) and two mTLS legs; "HAProxy + mTLS" has three (stunnel, HAProxy, stunnel) and two mTLS legs; plain HAProxy one process and no TLS. All share core 0.',
    '- On a shared machine p99 mostly measures other work scheduled on the same cores: compare the rounds and the load average in the header; p50 and p90 are the stable view of what a hop costs.',
  );
  const below = f.latency.filter((x) => x.addedMs?.p50 != null && x.addedMs.p50 < 0).map((x) => label(x.path));
  if (below.length > 0) {
    out.push(`- ${below.join(', ')} came out faster than no mesh at p50. Most likely the cores: the kernel carries a packet across the veths and the bridge on the core that sent it, so without a proxy all of that work lands on core 1 beside h2load and the server, while a proxy on core 0 takes part of it there. Read such an addition as about zero.`);
  }
  out.push('');
  out.push(problemsSection(f.latency.filter((x) => x.error).map((x) => `${label(x.path)}: ${x.error}`)));
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

export function l7LatencyPanels(f: L7LatencyFigures, s: L7LatencySettings): BarPanel[] {
  const fig = (path: string): LatencyFigure | undefined => f.latency.find((x) => x.path === path);
  return [
    {
      title: `Latency at ${s.totalRps} req/s, 1 KiB responses, client and server on different nodes (lower is better)`,
      unit: 'ms',
      series: ['p50', 'p90', 'p99'],
      decimals: 3,
      groups: f.paths.map((p) => ({ label: p.label, values: PERCENTILES.map((q) => fig(p.id)?.latencyMs[q] ?? null) })),
    },
    {
      title: `Latency added over no mesh (goal for the waypoint path: ≤ ${L7_LATENCY_GOAL_ADDED_P99_MS} ms at p99)`,
      unit: 'ms',
      series: ['p50', 'p90', 'p99'],
      decimals: 3,
      groups: f.paths.filter((p) => p.id !== 'direct').map((p) => ({ label: p.label, values: PERCENTILES.map((q) => fig(p.id)?.addedMs?.[q] ?? null) })),
    },
  ];
}
