// Turns hbone-loopback figures into what a person reads: Markdown tables (paths, bulk, latency,
// HBONE-vs-stunnel ratios, errors, CPU profile summaries) and the chart panels. Pure.

import { markdownTable } from '../harness/results-writer';
import type { BarPanel } from '../harness/svg-chart';
import { ratios, type HboneLoopbackFigures, type LatencyFigure } from './hbone-loopback-figures';

export interface ReportSettings {
  readonly bulkSeconds: number;
  readonly parallel: readonly number[];
  readonly latency: { readonly totalRps: number; readonly connections: number; readonly seconds: number; readonly warmupSeconds: number };
  readonly cores: { readonly tunnel?: number; readonly load?: number };
  readonly rounds: number;
  /** Niceness of every started process (undefined: normal priority). */
  readonly nice?: number;
}

function n(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

/** The request/response table both loopback and cluster latency reports show (one row per path). */
export function latencyTable(rows: readonly LatencyFigure[], label: (path: string) => string): string {
  return markdownTable(
    ['path', 'requests (failed)', 'p50', 'p90', 'p99', 'rounds (p99)', 'p99.9', 'added p50 / p90 / p99', 'vCPU per 1000 req/s', 'per process', 'RSS max (MB)'],
    rows.map((f) => [
      label(f.path),
      f.error && f.requests === 0 ? `failed: ${f.error}` : `${f.requests} (${f.failed})`,
      n(f.latencyMs.p50, 3), n(f.latencyMs.p90, 3), n(f.latencyMs.p99, 3),
      (f.p99MsPerRound ?? []).map((v) => n(v, 3)).join(', '),
      n(f.latencyMs.p999, 3),
      f.addedMs ? `${n(f.addedMs.p50, 3)} / ${n(f.addedMs.p90, 3)} / ${n(f.addedMs.p99, 3)}` : '–',
      n(f.vcpuPer1000Rps, 3),
      f.processes.map((p) => `${p.name} ${n(p.vcpuPer1000Rps, 3)}`).join(', ') || '–',
      f.processes.map((p) => `${p.name} ${n(p.rssMaxMb, 0)}`).join(', ') || '–',
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
  );
}

function labelOf(figures: HboneLoopbackFigures, id: string): string {
  return figures.paths.find((p) => p.id === id)?.label ?? id;
}

function pinning(s: ReportSettings): string {
  const pin = s.cores.tunnel === undefined
    ? 'no CPU pinning (fewer than 2 cores)'
    : `tunnel processes pinned to core ${s.cores.tunnel}; load generator and backends to core ${s.cores.load}`;
  return s.nice === undefined ? pin : `${pin}; all of them at nice ${s.nice}`;
}

export function renderReportMarkdown(figures: HboneLoopbackFigures, s: ReportSettings): string {
  const out: string[] = [];
  out.push('## Paths', '', `All traffic on 127.0.0.1; ${pinning(s)}.`, '');
  out.push(markdownTable(['path', 'what', 'tunnel processes'], figures.paths.map((p) => [p.label, p.description, p.processes.join(', ') || '–'])), '');
  if (s.rounds > 1) {
    out.push(`Every cell below is the median of ${s.rounds} rounds (bulk: by Gbit/s; latency: by p99), each round running all paths back to back; the other rounds' headline values are listed beside it and every figure is in the JSON.`, '');
  }

  out.push(`## Bulk throughput (iperf3, ${s.bulkSeconds} s per run)`, '');
  out.push('CPU-s per GB: CPU seconds (user + system) of all tunnel processes of the path per 10⁹ bytes received; per process, the share of it spent in the kernel (syscalls and the loopback TCP stack) in parentheses.', '');
  out.push(markdownTable(
    ['path', 'streams', 'Gbit/s', 'rounds (Gbit/s)', 'CPU-s per GB', 'per process CPU-s per GB (kernel share)', 'RSS max (MB)'],
    figures.bulk.map((b) => [
      labelOf(figures, b.path),
      String(b.parallel),
      b.error && b.gbps === null ? `failed: ${b.error}` : n(b.gbps, 2),
      (b.gbpsPerRound ?? []).map((v) => n(v, 2)).join(', '),
      n(b.cpuSecondsPerGB, 2),
      b.processes.map((p) => `${p.name} ${n(p.cpuSecondsPerGB, 2)} (${p.systemShare === null ? '–' : `${Math.round(p.systemShare * 100)} %`})`).join(', ') || '–',
      b.processes.map((p) => `${p.name} ${n(p.rssMaxMb, 0)}`).join(', ') || '–',
    ]),
    ['left', 'right', 'right', 'right', 'right', 'left', 'left'],
  ), '');

  const l = s.latency;
  out.push(`## Request/response at ${l.totalRps} req/s (h2load --h1, ${l.connections} connections, 1 KiB responses, ${l.seconds} s after a ${l.warmupSeconds} s warm-up)`, '');
  out.push('Latency in ms from the per-request log (nearest-rank percentiles); added = this path minus direct. vCPU per 1000 req/s = CPU seconds of the tunnel processes per 1000 requests.', '');
  out.push('On a shared machine p99 and above mostly measure other work scheduled on the same cores (compare the rounds and the load average); p50, p90 and the bulk ratios are the stable figures.', '');
  out.push(latencyTable(figures.latency, (id) => labelOf(figures, id)), '');

  const hbone = figures.paths.find((p) => p.id === 'hbone');
  const stunnel = figures.paths.find((p) => p.id === 'stunnel');
  if (hbone && stunnel) {
    out.push('## HBONE against stunnel (ratios: these, not the absolute numbers, carry across machines)', '');
    out.push('Throughput: above 1 is faster than stunnel. CPU and latency: above 1 costs more than stunnel.', '');
    out.push(markdownTable(['ratio (ambit HBONE ÷ stunnel)', 'value'], ratios(figures, 'hbone', 'stunnel').map((r) => [r.what, n(r.value, 2)]), ['left', 'right']), '');
  }
  const tuned = figures.paths.find((p) => p.id === 'hbone-64k');
  if (hbone && tuned) {
    out.push('## Default 64 KiB HTTP/2 windows against the pool defaults (4 MiB / 16 MiB)', '');
    out.push(markdownTable(['ratio (64 KiB ÷ 4 MiB windows)', 'value'], ratios(figures, 'hbone-64k', 'hbone').filter((r) => !r.what.includes('latency')).map((r) => [r.what, n(r.value, 2)]), ['left', 'right']), '');
  }

  const errors = [
    ...figures.bulk.filter((b) => b.error).map((b) => `bulk ${labelOf(figures, b.path)} ×${b.parallel}: ${b.error}`),
    ...figures.latency.filter((f) => f.error).map((f) => `latency ${labelOf(figures, f.path)}: ${f.error}`),
  ];
  if (errors.length > 0) out.push('## Problems during the run', '', ...errors.map((e) => `- ${e}`), '');

  for (const p of figures.profiles ?? []) {
    out.push(`## CPU profile: ${p.process} (busy ${n(p.summary.busyMs / 1000, 1)} s of ${n(p.summary.totalMs / 1000, 1)} s; profiler on, so the figures above are inflated)`, '');
    out.push(markdownTable(['where', 'ms', '% of busy'], p.summary.categories.map((c) => [c.category, n(c.ms, 0), n(c.percent, 1)]), ['left', 'right', 'right']), '');
    out.push(markdownTable(['top self-time frames', 'ms', '% of busy'], p.summary.top.map((f) => [`\`${f.frame}\``, n(f.selfMs, 0), n(f.percent, 1)]), ['left', 'right', 'right']), '');
  }
  return out.join('\n');
}

export function reportPanels(figures: HboneLoopbackFigures, s: ReportSettings): BarPanel[] {
  const series = s.parallel.map((p) => (p === 1 ? '1 stream' : `${p} streams`));
  const bulkValue = (path: string, parallel: number, pick: 'gbps' | 'cpuSecondsPerGB'): number | null =>
    figures.bulk.find((b) => b.path === path && b.parallel === parallel)?.[pick] ?? null;
  const latency = (path: string) => figures.latency.find((f) => f.path === path);
  return [
    {
      title: `Bulk throughput, iperf3 ${s.bulkSeconds} s (higher is better)`,
      unit: 'Gbit/s',
      series,
      groups: figures.paths.map((p) => ({ label: p.label, values: s.parallel.map((par) => bulkValue(p.id, par, 'gbps')) })),
    },
    {
      title: 'Tunnel CPU seconds per GB (lower is better)',
      unit: 'CPU-s / GB',
      series,
      groups: figures.paths.filter((p) => p.processes.length > 0).map((p) => ({ label: p.label, values: s.parallel.map((par) => bulkValue(p.id, par, 'cpuSecondsPerGB')) })),
    },
    {
      title: `Latency at ${s.latency.totalRps} req/s, 1 KiB responses (lower is better)`,
      unit: 'ms',
      series: ['p50', 'p90', 'p99'],
      decimals: 3,
      groups: figures.paths.map((p) => {
        const f = latency(p.id);
        return { label: p.label, values: [f?.latencyMs.p50 ?? null, f?.latencyMs.p90 ?? null, f?.latencyMs.p99 ?? null] };
      }),
    },
  ];
}
