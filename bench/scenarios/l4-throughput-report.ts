// What a person reads from the l4-throughput scenario (pure): the goal (ambit carries at least
// stunnel's Gbit/s) met or not per stream count, bulk throughput and the tunnel processes' CPU
// seconds per GB with each process's user/kernel split, ambit ÷ stunnel ratios, and the chart.

import { markdownTable } from '../harness/results-writer';
import type { BarPanel } from '../harness/svg-chart';
import { round } from '../harness/stats';
import type { BulkFigure } from './hbone-loopback-figures';
import { ratio, verdict, type L4PathInfo, type Verdict } from './l4-figures';
import { labelOf, n, problemsSection, times, topologySection, type TopologyNote } from './l4-report-common';

export interface L4ThroughputFigures {
  readonly paths: readonly L4PathInfo[];
  /** One figure per (path, streams): the median round by Gbit/s. */
  readonly bulk: readonly BulkFigure[];
}

export interface L4ThroughputSettings {
  readonly seconds: number;
  readonly parallel: readonly number[];
  readonly topology: TopologyNote;
}

export interface ThroughputGoal {
  readonly parallel: number;
  readonly ambitGbps: number | null;
  readonly stunnelGbps: number | null;
  /** ambit ÷ stunnel Gbit/s: the goal is ≥ 1. */
  readonly ratio: number | null;
  /** ambit ÷ stunnel CPU seconds per GB (below 1: ambit spends less per byte). */
  readonly cpuRatio: number | null;
  readonly verdict: Verdict;
}

function ok(f: L4ThroughputFigures, path: string, parallel: number): BulkFigure | undefined {
  return f.bulk.find((b) => b.path === path && b.parallel === parallel && b.error === undefined && b.gbps !== null);
}

export function throughputGoals(f: L4ThroughputFigures, parallel: readonly number[]): ThroughputGoal[] {
  return parallel.map((p) => {
    const a = ok(f, 'ambit', p);
    const s = ok(f, 'stunnel', p);
    const r = ratio(a?.gbps, s?.gbps);
    return { parallel: p, ambitGbps: a?.gbps ?? null, stunnelGbps: s?.gbps ?? null, ratio: r, cpuRatio: ratio(a?.cpuSecondsPerGB, s?.cpuSecondsPerGB), verdict: verdict(r, { atLeast: 1 }) };
  });
}

const streams = (p: number): string => (p === 1 ? 'one stream' : `${p} parallel streams`);

/** `name total (user u / kernel k)` in CPU seconds per GB. */
function perProcess(b: BulkFigure): string {
  return b.processes.map((p) => {
    const total = p.cpuSecondsPerGB;
    const kernel = total !== null && p.systemShare !== null ? round(total * p.systemShare, 2) : null;
    const user = total !== null && kernel !== null ? round(total - kernel, 2) : null;
    return `${p.name} ${n(total, 2)} (user ${n(user, 2)} / kernel ${n(kernel, 2)})`;
  }).join(', ') || '–';
}

export function renderThroughputMarkdown(f: L4ThroughputFigures, s: L4ThroughputSettings): string {
  const out: string[] = ['## Goal', ''];
  out.push('Goal: the ambit path carries at least as many Gbit/s as the stunnel pair on the same path.', '');
  for (const g of throughputGoals(f, s.parallel)) {
    out.push(`- ${streams(g.parallel)}: **${g.verdict}** — ambit ${n(g.ambitGbps, 2)} Gbit/s, stunnel ${n(g.stunnelGbps, 2)} Gbit/s (ambit ÷ stunnel ${times(g.ratio)}); CPU per GB ambit ÷ stunnel ${times(g.cpuRatio)}.`);
  }
  out.push('', topologySection(f.paths, s.topology));
  out.push(`## Bulk throughput (iperf3 -t ${s.seconds}, from the client pod on node1 to the server pod on node2)`, '');
  out.push('Gbit/s as the receiver counted it. CPU-s per GB: CPU seconds (user + system) of all the path\'s tunnel processes per 10⁹ bytes received; per process with its user/kernel split (kernel: syscalls and the TCP stacks of the node namespaces).', '');
  out.push(markdownTable(
    ['path', 'streams', 'Gbit/s', 'rounds (Gbit/s)', 'retransmits', 'CPU-s per GB', 'per process CPU-s per GB', 'RSS max (MB)'],
    f.bulk.map((b) => [
      labelOf(f.paths, b.path),
      String(b.parallel),
      b.error && b.gbps === null ? `failed: ${b.error}` : n(b.gbps, 2),
      (b.gbpsPerRound ?? []).map((v) => n(v, 2)).join(', '),
      String(b.retransmits),
      n(b.cpuSecondsPerGB, 2),
      perProcess(b),
      b.processes.map((p) => `${p.name} ${n(p.rssMaxMb, 0)}`).join(', ') || '–',
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
  ), '');
  out.push('## Reading', '');
  out.push(
    '- Both tunnels of a path share one core (core 0), as do iperf3 client and server (core 1): Gbit/s is what one core carries through both ends of the tunnel, so compare ratios, not absolute numbers, across machines.',
    '- With several streams, ambit carries the TCP connections as HTTP/2 streams of one pooled mTLS connection between the two ztunnels (same source pod, same destination), so one TLS session and one event loop per side, while stunnel opens one TLS connection per TCP connection — that is the design being measured.',
    '- No mesh is the limit of the pod → node → bridge → node → pod path on this machine (veth pairs and a bridge, no NIC).',
    '',
  );
  out.push(problemsSection(f.bulk.filter((b) => b.error).map((b) => `${labelOf(f.paths, b.path)} ×${b.parallel}: ${b.error}`)));
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

export function throughputPanels(f: L4ThroughputFigures, s: L4ThroughputSettings): BarPanel[] {
  const series = s.parallel.map((p) => (p === 1 ? '1 stream' : `${p} streams`));
  const value = (path: string, parallel: number, pick: 'gbps' | 'cpuSecondsPerGB'): number | null =>
    f.bulk.find((b) => b.path === path && b.parallel === parallel)?.[pick] ?? null;
  return [
    {
      title: `Bulk throughput between two nodes, iperf3 ${s.seconds} s (higher is better; goal: ambit ≥ stunnel)`,
      unit: 'Gbit/s',
      series,
      groups: f.paths.map((p) => ({ label: p.label, values: s.parallel.map((par) => value(p.id, par, 'gbps')) })),
    },
    {
      title: 'CPU seconds of the tunnel processes per GB (lower is better)',
      unit: 'CPU-s / GB',
      series,
      groups: f.paths.filter((p) => p.tunnels.length > 0).map((p) => ({ label: p.label, values: s.parallel.map((par) => value(p.id, par, 'cpuSecondsPerGB')) })),
    },
  ];
}
