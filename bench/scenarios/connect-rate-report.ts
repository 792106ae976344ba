// Turns connect-rate figures into what a person reads: Markdown (paths, rates, latency, ratios,
// CPU per 1000 new connections, the handshake evidence, problems) and the chart panels. Pure.

import { markdownTable } from '../harness/results-writer';
import type { BarPanel } from '../harness/svg-chart';
import { ratios, type ConnectRateFigures, type RateFigure } from './connect-rate-figures';
import type { HandshakeVerdict } from './connect-rate-tcp-opens';
import { labelOf as pathLabel, n, problemsSection, profilesSection, topologySection, type TopologyNote } from './l4-report-common';

export interface ConnectRateSettings {
  readonly concurrencies: readonly number[];
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly payloadBytes: number;
  readonly timeoutMs: number;
  /** Pinning, niceness and rounds, as every L4 scenario reports them. */
  readonly topology: TopologyNote;
  /** `net.ipv4.tcp_tw_reuse` in each path's client namespace, as set (or why it could not be). */
  readonly twReuse: Readonly<Record<string, string>>;
}

function labelOf(figures: ConnectRateFigures, id: string): string {
  return pathLabel(figures.paths, id);
}

function errorsCell(f: RateFigure): string {
  const e = Object.entries(f.errors);
  return e.length === 0 ? '0' : e.map(([k, v]) => `${v} ${k}`).join(', ');
}

const VERDICT_TEXT: Record<HandshakeVerdict, string> = {
  pooled: 'no handshake per connection (pooled)',
  'per-connection': 'a new tunnel connection per connection',
  partial: 'some connections opened a tunnel connection',
  'no-evidence': '–',
};

function byPathThenConcurrency(figures: ConnectRateFigures): RateFigure[] {
  const order = figures.paths.map((p) => p.id);
  return [...figures.rates].sort((a, b) => a.concurrency - b.concurrency || order.indexOf(a.path) - order.indexOf(b.path));
}

export function renderConnectRateMarkdown(figures: ConnectRateFigures, s: ConnectRateSettings): string {
  const out: string[] = [];
  const rows = byPathThenConcurrency(figures);
  out.push(topologySection(figures.paths, s.topology));
  if (s.topology.rounds > 1) out.push('Here a cell\'s median round is the one with the median connections/s.', '');
  out.push('## How it is measured', '', 'The echo server (`connect-load --mode server`, port 9100) runs in a server pod on node2; the load client in the path\'s client pod on node1.', '');
  out.push(
    `A closed loop per concurrent client (\`bench/agents/connect-load\`): connect → write ${s.payloadBytes} B → read them back → close → next. ` +
      `Concurrency ${s.concurrencies.join(', ')}; each run ${s.warmupSeconds} s warm-up + ${s.seconds} s measured (rate and latency from the measured window only); ` +
      `a connection not done within ${s.timeoutMs} ms is an error. Latency is connect() → last echoed byte. ` +
      'Windows stay ≤ 10 s because the client closes first and so keeps each connection in TIME_WAIT for 60 s: at thousands of connections per second the ' +
      `ephemeral port range (~28 k ports) runs out without \`net.ipv4.tcp_tw_reuse=1\` in the client namespace (set: ${Object.entries(s.twReuse).map(([k, v]) => `${k} ${v}`).join(', ') || '–'}).`,
    '',
  );

  out.push('## New connections per second', '');
  out.push(markdownTable(
    ['path', 'concurrency', 'connections/s', 'rounds', 'completed', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'added p50 / p99 ms'],
    rows.map((f) => [
      labelOf(figures, f.path),
      String(f.concurrency),
      f.completed === 0 && f.error ? `failed: ${f.error}` : n(f.connectionsPerSecond, 0),
      (f.ratePerRound ?? []).map((v) => n(v, 0)).join(', '),
      String(f.completed),
      errorsCell(f),
      n(f.latencyMs.p50, 3), n(f.latencyMs.p90, 3), n(f.latencyMs.p99, 3), n(f.latencyMs.max, 3),
      f.addedMs ? `${n(f.addedMs.p50, 3)} / ${n(f.addedMs.p99, 3)}` : '–',
    ]),
    ['left', 'right', 'right', 'right', 'right', 'left', 'right', 'right', 'right', 'right', 'right'],
  ), '');
  out.push('At concurrency 1 the latency is that of a fresh connection through the path; at 8 and 32 the rate shows what the path sustains (the client, the echo server and the tunnels share the machine\'s two cores).', '');

  const ids = new Set(figures.paths.map((p) => p.id));
  for (const other of ['stunnel', 'direct']) {
    if (!ids.has('ambit') || !ids.has(other)) continue;
    out.push(`## ambit against ${labelOf(figures, other)} (ratios)`, '');
    out.push('connections/s: above 1 is faster. Latency and CPU: above 1 costs more.', '');
    const rs = ratios(figures, 'ambit', other).filter((r) => other !== 'direct' || !r.what.startsWith('CPU'));
    out.push(markdownTable(['concurrency', `ambit ÷ ${labelOf(figures, other)}`, 'value'], rs.map((r) => [String(r.concurrency), r.what, n(r.value, 2)]), ['right', 'left', 'right']), '');
  }

  const tunnelled = rows.filter((f) => f.processes.length > 0);
  out.push('## Tunnel CPU per 1000 new connections', '');
  out.push('CPU milliseconds (user + system) of the path\'s tunnel processes over the whole client run, divided by every connection of that run (warm-up included); kernel share in parentheses.', '');
  out.push(markdownTable(
    ['path', 'concurrency', 'CPU ms per 1000', 'per process (kernel share)', 'RSS max (MB)'],
    tunnelled.map((f) => [
      labelOf(figures, f.path),
      String(f.concurrency),
      n(f.cpuMsPer1000, 1),
      f.processes.map((p) => `${p.name} ${n(p.cpuMsPer1000, 1)} (${p.systemShare === null ? '–' : `${Math.round(p.systemShare * 100)} %`})`).join(', '),
      f.processes.map((p) => `${p.name} ${n(p.rssMaxMb, 0)}`).join(', '),
    ]),
    ['left', 'right', 'right', 'left', 'left'],
  ), '');

  out.push('## Were new mTLS handshakes made per connection?', '');
  out.push(
    'Evidence: the kernel\'s TCP counters (ActiveOpens / PassiveOpens in `/proc/<pid>/net/snmp`) of each tunnel process\'s network namespace, before and after the window. ' +
      'Every TLS handshake needs a new TCP connection, and a new tunnel connection is an active open in one namespace and a passive open in the other, so ' +
      'max over namespaces of min(active, passive) bounds the handshakes from above (other traffic of the node, e.g. xDS, only adds to it). ' +
      'Under 5 % of the app connections: pooled; from 90 %: one per connection. ztunnel exports no handshake or pool counter, so this is the best evidence available.',
    '',
  );
  out.push(markdownTable(
    ['path', 'concurrency', 'app connections (run)', 'TCP opens per namespace (active / passive)', 'tunnel connections per 1000', 'reading'],
    tunnelled.map((f) => [
      labelOf(figures, f.path),
      String(f.concurrency),
      String(f.runConnections),
      f.tcpOpens.map((o) => `${o.processes.join('+')}: ${o.activeOpens} / ${o.passiveOpens}`).join('; ') || '–',
      n(f.tunnelOpensPer1000, 1),
      VERDICT_TEXT[f.handshakes],
    ]),
    ['left', 'right', 'right', 'left', 'right', 'left'],
  ), '');

  out.push(problemsSection(rows.filter((f) => f.error).map((f) => `${labelOf(figures, f.path)} at concurrency ${f.concurrency}: ${f.error}`)));
  out.push(profilesSection(figures.profiles ?? []));
  return out.join('\n');
}

export function connectRatePanels(figures: ConnectRateFigures, s: ConnectRateSettings): BarPanel[] {
  const at = (path: string, c: number): RateFigure | undefined => figures.rates.find((f) => f.path === path && f.concurrency === c);
  const series = s.concurrencies.map((c) => `concurrency ${c}`);
  const lowest = Math.min(...s.concurrencies);
  return [
    {
      title: `New connections per second, connect → ${s.payloadBytes} B echo → close (higher is better)`,
      unit: 'conn/s',
      series,
      decimals: 0,
      groups: figures.paths.map((p) => ({ label: p.label, values: s.concurrencies.map((c) => at(p.id, c)?.connectionsPerSecond ?? null) })),
    },
    {
      title: `Latency of a fresh connection at concurrency ${lowest} (lower is better)`,
      unit: 'ms',
      series: ['p50', 'p90', 'p99'],
      decimals: 3,
      groups: figures.paths.map((p) => {
        const f = at(p.id, lowest);
        return { label: p.label, values: [f?.latencyMs.p50 ?? null, f?.latencyMs.p90 ?? null, f?.latencyMs.p99 ?? null] };
      }),
    },
    {
      title: 'Tunnel CPU per 1000 new connections (lower is better)',
      unit: 'CPU ms',
      series,
      decimals: 0,
      groups: figures.paths.filter((p) => p.tunnels.length > 0).map((p) => ({ label: p.label, values: s.concurrencies.map((c) => at(p.id, c)?.cpuMsPer1000 ?? null) })),
    },
  ];
}
