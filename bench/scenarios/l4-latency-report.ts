// What a person reads from the l4-latency scenario (pure): the goal (the ambit path adds at most
// 0.2 ms p99 over no mesh) met or not, the latency table, ambit against stunnel per percentile,
// CPU-profile summaries, problems, and the chart panels.

import { markdownTable } from '../harness/results-writer';
import type { BarPanel } from '../harness/svg-chart';
import { round } from '../harness/stats';
import type { LatencyFigure } from './hbone-loopback-figures';
import { latencyTable } from './hbone-loopback-report';
import { ratio, verdict, type L4PathInfo, type Verdict } from './l4-figures';
import { labelOf, n, problemsSection, profilesSection, times, topologySection, type NamedProfile, type TopologyNote } from './l4-report-common';

/** Istio's published figure for ambient L4 (two ztunnels): +0.20 ms p99 at 1000 req/s. */
export const LATENCY_GOAL_ADDED_P99_MS = 0.2;

export interface L4LatencyFigures {
  readonly paths: readonly L4PathInfo[];
  /** One figure per path (the median round), with `addedMs` over the direct path. */
  readonly latency: readonly LatencyFigure[];
  readonly profiles?: readonly NamedProfile[];
}

export interface L4LatencySettings {
  readonly totalRps: number;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly topology: TopologyNote;
}

type Percentile = 'p50' | 'p90' | 'p99';
const PERCENTILES: readonly Percentile[] = ['p50', 'p90', 'p99'];

export interface PercentileComparison {
  readonly percentile: Percentile;
  readonly ambitAddedMs: number | null;
  readonly stunnelAddedMs: number | null;
  /** ambit added − stunnel added (ms): below 0 means ambit adds less. */
  readonly differenceMs: number | null;
  /** ambit added ÷ stunnel added. */
  readonly ratio: number | null;
}

function ok(figures: L4LatencyFigures, path: string): LatencyFigure | undefined {
  return figures.latency.find((f) => f.path === path && f.error === undefined);
}

export function compareWithStunnel(figures: L4LatencyFigures): PercentileComparison[] {
  const a = ok(figures, 'ambit')?.addedMs;
  const s = ok(figures, 'stunnel')?.addedMs;
  return PERCENTILES.map((p) => {
    const x = a?.[p] ?? null;
    const y = s?.[p] ?? null;
    // A ratio only means something when both tunnels add latency; a noisy round can make one negative.
    const r = x !== null && y !== null && x >= 0 && y > 0 ? ratio(x, y) : null;
    return { percentile: p, ambitAddedMs: x, stunnelAddedMs: y, differenceMs: x !== null && y !== null ? round(x - y, 3) : null, ratio: r };
  });
}

export function latencyGoal(figures: L4LatencyFigures): { readonly addedP99Ms: number | null; readonly verdict: Verdict } {
  const added = ok(figures, 'ambit')?.addedMs?.p99 ?? null;
  return { addedP99Ms: added, verdict: verdict(added, { atMost: LATENCY_GOAL_ADDED_P99_MS }) };
}

function goalSection(figures: L4LatencyFigures, s: L4LatencySettings): string {
  const goal = latencyGoal(figures);
  const cmp = compareWithStunnel(figures);
  const p99 = cmp.find((c) => c.percentile === 'p99');
  const lines = ['## Goal', ''];
  lines.push(`Goal: the ambit path adds at most ${LATENCY_GOAL_ADDED_P99_MS} ms p99 over no mesh at ${s.totalRps} req/s (Istio's figure for two ztunnels). **${goal.verdict}**` +
    (goal.addedP99Ms !== null ? `: ambit adds ${n(goal.addedP99Ms, 3)} ms p99` : '') +
    (p99?.stunnelAddedMs != null ? `; stunnel on the same path adds ${n(p99.stunnelAddedMs, 3)} ms (ambit ÷ stunnel ${times(p99.ratio)})` : '') + '.', '');
  const a = ok(figures, 'ambit')?.addedMs;
  if (a) lines.push(`Added by ambit at p50 / p90 / p99: ${n(a.p50, 3)} / ${n(a.p90, 3)} / ${n(a.p99, 3)} ms.`, '');
  return lines.join('\n');
}

export function renderLatencyMarkdown(figures: L4LatencyFigures, s: L4LatencySettings): string {
  const out: string[] = [goalSection(figures, s), topologySection(figures.paths, s.topology)];
  out.push(`## Request/response at ${s.totalRps} req/s (h2load --h1, ${s.connections} connections × ${Math.round(s.totalRps / s.connections)} req/s, 1 KiB responses, ${s.seconds} s after a ${s.warmupSeconds} s warm-up)`, '');
  out.push('Latency in ms from h2load\'s per-request log (nearest-rank percentiles). Added = this path minus no mesh at the same percentile, taken in each round (the paths run back to back) and then the median over rounds — so it need not equal the difference of the columns, which come from each path\'s median round by p99. vCPU per 1000 req/s = CPU seconds of the path\'s tunnel processes per 1000 requests.', '');
  out.push(latencyTable(figures.latency, (id) => labelOf(figures.paths, id)), '');
  out.push('## ambit against stunnel on the same path', '');
  out.push('Added latency over no mesh. Difference below 0 and ratio below 1: ambit adds less than stunnel.', '');
  out.push(markdownTable(
    ['percentile', 'ambit adds (ms)', 'stunnel adds (ms)', 'ambit − stunnel (ms)', 'ambit ÷ stunnel'],
    compareWithStunnel(figures).map((c) => [c.percentile, n(c.ambitAddedMs, 3), n(c.stunnelAddedMs, 3), n(c.differenceMs, 3), times(c.ratio)]),
    ['left', 'right', 'right', 'right', 'right'],
  ), '');
  out.push('## Reading', '');
  const intervalMs = 1000 / (s.totalRps / s.connections);
  const over = figures.latency.filter((f) => f.latencyMs.p99 !== null && f.latencyMs.p99 > intervalMs).map((f) => labelOf(figures.paths, f.path));
  out.push(
    `- A fixed rate meant to stay well below saturation: h2load keeps at most one request in flight per HTTP/1.1 connection, so latencies above the ${n(intervalMs, 0)} ms send interval hide queueing (coordinated omission). ` +
      (over.length === 0 ? 'Here every path\'s p99 stays below it.' : `Here p99 went above it on ${over.join(', ')}: read those p99 values as lower bounds.`),
    '- On a shared machine p99 mostly measures other work scheduled on the same cores: compare the rounds and the load average in the header; p50 and p90 are the stable view of what a tunnel costs.',
    '- The ambit path has two ztunnels (one per node) where stunnel has two stunnel processes: the same number of hops and TLS sessions, pinned to the same core.',
    '',
  );
  out.push(problemsSection(figures.latency.filter((f) => f.error).map((f) => `${labelOf(figures.paths, f.path)}: ${f.error}`)));
  out.push(profilesSection(figures.profiles ?? []));
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

export function latencyPanels(figures: L4LatencyFigures, s: L4LatencySettings): BarPanel[] {
  const f = (path: string): LatencyFigure | undefined => figures.latency.find((x) => x.path === path);
  return [
    {
      title: `Latency at ${s.totalRps} req/s, 1 KiB responses, client and server on different nodes (lower is better)`,
      unit: 'ms',
      series: ['p50', 'p90', 'p99'],
      decimals: 3,
      groups: figures.paths.map((p) => ({ label: p.label, values: PERCENTILES.map((q) => f(p.id)?.latencyMs[q] ?? null) })),
    },
    {
      title: `Latency added over no mesh (goal for ambit: ≤ ${LATENCY_GOAL_ADDED_P99_MS} ms at p99)`,
      unit: 'ms',
      series: ['p50', 'p90', 'p99'],
      decimals: 3,
      groups: figures.paths.filter((p) => p.id !== 'direct').map((p) => ({ label: p.label, values: PERCENTILES.map((q) => f(p.id)?.addedMs?.[q] ?? null) })),
    },
  ];
}
