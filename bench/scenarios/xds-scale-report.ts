// Turns xds-scale figures into what a person reads (pure): the goal check, how the run works, the
// change-to-ACK tables per size, the policy changes (selected Workloads, deletion), initial sync
// and istiod start, growth, CPU/RSS per phase, what cannot be measured yet, CPU profile
// summaries, and the chart panels.

import { markdownTable } from '../harness/results-writer';
import type { BarPanel } from '../harness/svg-chart';
import {
  BENCH_PROCESS, summarizePolicyChanges, type LatencySummary, type PhaseUsage, type ProcessFigure, type SizeFigures, type WorkloadSummary, type XdsScaleFigures,
} from './xds-scale-figures';
import { CHANGE_KINDS } from './xds-scale-plan';

function n(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

function kib(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '–' : bytes >= 10 * 1024 ? `${(bytes / 1024).toFixed(0)} KiB` : `${bytes.toFixed(0)} B`;
}

const podsLabel = (pods: number): string => `${pods.toLocaleString('en-US')} pods`;

function goalSection(f: XdsScaleFigures): string[] {
  const g = f.goal;
  const verdict = g.met === null ? 'not measured' : g.met ? '**met**' : '**not met**';
  return [
    '## Goal',
    '',
    `Change → every client ACKed, p99 ≤ ${g.p99LimitMs} ms at the largest size (${g.pods === null ? '–' : podsLabel(g.pods)}): ${verdict} — p99 ${n(g.p99Ms, 0)} ms.`,
    '',
  ];
}

function howSection(f: XdsScaleFigures): string[] {
  const p = f.plan;
  return [
    '## How it runs',
    '',
    `- The local cluster's API server alone, in the bench process on 127.0.0.1 (no controllers, no kubelets): pods are objects, created with \`spec.nodeName\` over ${p.clients} nodes, then given \`phase: Running\`, an IP in 198.18.0.0/16 and Ready=True through the status subresource; ten ambient namespaces (\`istio.io/dataplane-mode=ambient\`); one selector Service per ten pods with a VIP in 198.19.0.0/16. ${p.concurrency} writes in flight.`,
    '- istiod is its own OS process (`node dist/istiod/main.js`, default debounce 100 ms quiet / 1 s max) with a kubeconfig for that API server.',
    `- ${p.clients} simulated ztunnels in one separate process (\`bench/agents/xds-clients\`): a \`DeltaXdsClient\` each, node id \`ztunnel~<ip>~ztunnel-nodeK.istio-system~…\`, a TokenRequest token of istio-system/ztunnel bound to its ztunnel pod (audience istio-ca), subscribed to Address and Authorization. Every Address is decoded and validated as ztunnel's store does before the ACK; the time of a response is taken right before its ACK is written.`,
    `- Sizes ${p.sizes.map(podsLabel).join(' then ')}: at the first size istiod starts on the populated API server, the clients connect once it is ready, then ${p.changes} changes; the cluster then grows to the second size with everyone connected; istiod is restarted on the full set (time to /ready), fresh clients connect, ${p.changes} more changes.`,
    `- Changes run one at a time: the next starts ${p.gapMs} ms after every client applied the previous one (or after ${p.changeTimeoutMs / 1000} s). t0 is the machine's wall clock just before the write; the agent stamps with the same clock.`,
    '- AuthorizationPolicies: the API server serves the AuthorizationPolicy and PeerAuthentication CRDs (`manifests/crds`, registered before istiod starts). A policy change is done when every client has applied the Authorization resource (decoded and validated with `pkg/api/authorization-codec`, its name checked against the policy, as ztunnel\'s policy handler does). For a selector policy the agent also reports the `authorizationPolicies` of the Workloads it receives, so the table below says whether and when the selected Workloads arrived listing it (watched up to 3 s after the policy). Each policy is deleted right after its measurement — timed the same way — and the next change starts only once the deletion reached every client.',
    '',
    markdownTable(['change', 'what is written (t0)', 'done when every client applied'], CHANGE_KINDS.map((k) => [
      k.label, k.notMeasurable ? `not measurable yet: ${k.notMeasurable}` : k.what, k.expect,
    ])),
    '',
  ];
}

function changesSection(sizes: readonly SizeFigures[]): string[] {
  const rows: string[][] = [];
  for (const s of sizes) {
    for (const c of s.changeSummaries) {
      rows.push([
        podsLabel(s.pods), c.kind === 'all' ? '**all**' : c.label, String(c.changes), String(c.timedOut),
        n(c.allClients.p50, 0), n(c.allClients.p99, 0), n(c.allClients.max, 0), n(c.firstClient.p50, 0), kib(c.bytesPerClient),
      ]);
    }
  }
  return [
    '## Change → every client ACKed',
    '',
    'Milliseconds from t0 until the last of the clients had applied the change (and until the first had), nearest-rank percentiles over changes (below 100 changes p99 is the slowest one). The 100 ms debounce of istiod is the floor. Bytes: what one client received for it (agent count).',
    '',
    markdownTable(['size', 'change', 'n', 'timed out', 'p50 ms', 'p99 ms', 'max ms', 'first client p50 ms', 'bytes / client'], rows,
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right']),
    '',
    ...sizes.map((s) => `istiod's Address bytes over the ${podsLabel(s.pods)} changes ÷ clients ÷ changes: ${kib(s.metricBytesPerClientPerChange)} per client per change${s.metricAuthorizationBytesPerClient === undefined ? '' : `; Authorization bytes over those changes (policies applied and deleted): ${kib(s.metricAuthorizationBytesPerClient)} per client`}.`),
    '',
  ];
}

function latency(l: LatencySummary): string {
  return l.count === 0 ? '–' : `${n(l.p50, 0)} / ${n(l.max, 0)}`;
}

function workloads(w: WorkloadSummary | null): string {
  return w === null ? 'none expected' : `${w.complete}/${w.changes} changes, ${latency(w.allClients)} ms`;
}

function policySection(sizes: readonly SizeFigures[]): string[] {
  const rows = sizes.flatMap((s) => summarizePolicyChanges(s.changes).map((p) => [
    podsLabel(s.pods), p.label, String(p.changes), workloads(p.workloadsListed), `${p.deleted.complete}/${p.changes} changes, ${latency(p.deleted.allClients)} ms`,
    workloads(p.workloadsUnlisted),
  ]));
  if (rows.length === 0) return [];
  return [
    '## AuthorizationPolicy changes: Workloads and deletion',
    '',
    'Beside the Authorization figures above: whether every client received the selected Workloads with the policy in `authorizationPolicies` (t0 → the last client, p50 / max ms over changes; a namespace-wide policy changes no Workload), and the policy\'s deletion right after (t0 just before the DELETE → every client applied the removal, and the Workloads no longer listing it).',
    '',
    markdownTable(['size', 'change', 'n', 'selected Workloads listing it', 'deleted → every client', 'Workloads without it after the deletion'], rows,
      ['left', 'left', 'right', 'left', 'left', 'left']),
    '',
  ];
}

function notMeasurableSection(f: XdsScaleFigures): string[] {
  if (f.notMeasurable.length === 0) return [];
  return ['## Not measurable yet', '', ...f.notMeasurable.map((m) => `- **${m.label}**: ${m.why}.`), ''];
}

function syncSection(sizes: readonly SizeFigures[]): string[] {
  return [
    '## istiod start and initial sync',
    '',
    'istiod ready: from spawn until `/ready` answered 200 (informers listed, address index built). Initial sync: from the agent starting all clients at once until the last had applied and ACKed both types — on this machine that wall time includes the clients decoding every Address on the same two cores; istiod CPU per client is istiod\'s own cost. Bytes per client: the agent\'s count, and istiod\'s `pilot_xds_sent_bytes_total` delta ÷ clients.',
    '',
    markdownTable(
      ['size', 'istiod', 'ready (s)', 'clients synced', 'all synced (ms)', 'per client p50 (ms)', 'istiod CPU per client (ms)', 'Addresses expected / held', 'bytes / client (agent)', 'Address bytes / client (istiod)', 'NACKs'],
      sizes.map((s) => {
        const i = s.initialSync;
        const held = i.heldMin === i.heldMax ? n(i.heldMin, 0) : `${n(i.heldMin, 0)}..${n(i.heldMax, 0)}`;
        const syncCpu = s.usage.find((u) => u.phase.startsWith('initial sync'));
        const istiodCpu = syncCpu ? proc(syncCpu, 'istiod')?.cpuSeconds : undefined;
        return [
          podsLabel(s.pods), s.istiodStart.kind, n(s.istiodStart.readySeconds, 2), `${i.synced}/${i.clients}`, n(i.allClientsMs, 0), n(i.perClient.p50, 0),
          n(istiodCpu === undefined ? null : (istiodCpu * 1000) / i.clients, 0),
          `${i.expectedAddresses} / ${held}`, kib(i.agentBytesPerClient), kib(i.metricBytesPerClient?.address), String(i.nacks),
        ];
      }),
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
  ];
}

function proc(u: PhaseUsage, name: string): ProcessFigure | undefined {
  return u.processes.find((p) => p.name === name);
}

function usageSection(f: XdsScaleFigures): string[] {
  const rows: string[][] = [];
  const add = (size: string, u: PhaseUsage): void => {
    const i = proc(u, 'istiod');
    const a = proc(u, 'xds-clients');
    const b = proc(u, BENCH_PROCESS);
    rows.push([size, u.phase, n(u.wallSeconds, 1), n(i?.cpuSeconds, 2), n(i?.cpuPercent, 0), n(i?.rssMaxMb, 0), n(i?.rssMeanMb, 0), n(a?.cpuSeconds, 2), n(b?.cpuSeconds, 2)]);
  };
  f.sizes.forEach((s, i) => {
    for (const u of s.usage) add(podsLabel(s.pods), u);
    if (i === 0 && f.growth) add('growth', f.growth.usage);
  });
  return [
    '## CPU and memory per phase',
    '',
    `CPU seconds (user + system) inside each phase; CPU % = CPU seconds per wall second (100 = one core). RSS sampled every 250 ms. \`${BENCH_PROCESS}\` is this process: the API server serving istiod's watches and the writes, plus its state-file snapshots.`,
    '',
    markdownTable(['size', 'phase', 'wall (s)', 'istiod CPU (s)', 'istiod CPU %', 'istiod RSS max (MB)', 'istiod RSS mean (MB)', 'xds-clients CPU (s)', 'bench CPU (s)'], rows,
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right']),
    '',
  ];
}

function growthSection(f: XdsScaleFigures): string[] {
  const g = f.growth;
  if (!g) return [];
  return [
    '## Growth with everyone connected',
    '',
    `${g.toPods - g.fromPods} pods (and their Services) written in ${n(g.writeSeconds, 1)} s (${g.writes} writes) while istiod and the ${f.plan.clients} clients were connected; every client held all ${g.expectedAddresses} Addresses ${g.convergedAfterLastWriteMs === null ? `— never (held ${g.heldAtEnd.min}..${g.heldAtEnd.max} at the end)` : `${g.convergedAfterLastWriteMs} ms after the last write`}.`,
    '',
  ];
}

function setupSection(f: XdsScaleFigures): string[] {
  const rows = f.setup.map((s) => [s.what, String(s.writes), n(s.seconds, 1), n(s.seconds > 0 ? s.writes / s.seconds : null, 0)]);
  const g = f.growth;
  if (g) rows.push([`${g.fromPods} → ${g.toPods} pods, istiod and clients connected`, String(g.writes), n(g.writeSeconds, 1), n(g.writeSeconds > 0 ? g.writes / g.writeSeconds : null, 0)]);
  return [
    '## Setup cost',
    '',
    'Pod create + status write, Service create, over HTTPS to the API server in this process.',
    '',
    markdownTable(['what', 'writes', 'seconds', 'writes/s'], rows, ['left', 'right', 'right', 'right']),
    '',
  ];
}

function profileSection(f: XdsScaleFigures): string[] {
  if (!f.profiles || f.profiles.length === 0) return [];
  const out = [
    '## Where the time goes (--cpu-prof)',
    '',
    'Each profile covers a whole process lifetime: istiod at the first size (start, initial sync, changes, growth) and at the second (restart, initial sync, changes); the client agents likewise. Profiler overhead inflates the totals — read the shares.',
    '',
  ];
  for (const p of f.profiles) {
    out.push(`### ${p.process}: ${n(p.summary.busyMs / 1000, 1)} s busy of ${n(p.summary.totalMs / 1000, 1)} s`, '');
    out.push(markdownTable(['file / package', 'self ms', '% of busy'], p.byFile.map((x) => [x.file, n(x.selfMs, 0), n(x.percent, 1)]), ['left', 'right', 'right']), '');
    out.push(markdownTable(['top frame (self time)', 'ms', '%'], p.summary.top.map((x) => [x.frame, n(x.selfMs, 0), n(x.percent, 1)]), ['left', 'right', 'right']), '');
  }
  return out;
}

export function renderXdsScaleMarkdown(f: XdsScaleFigures): string {
  const out = [
    ...goalSection(f),
    ...changesSection(f.sizes),
    ...policySection(f.sizes),
    ...syncSection(f.sizes),
    ...growthSection(f),
    ...usageSection(f),
    ...setupSection(f),
    ...notMeasurableSection(f),
    ...howSection(f),
    '## Reading the figures',
    '',
    '- Two cores are shared by istiod, the client agent and the bench process (which is also the API server); the clients\' decoding and the API server\'s work compete with istiod, as a node agent on the same machine would.',
    '- The API server writes its whole state file (JSON + fsync) shortly after every change; at 10 000 pods that is several MB per write in the bench process, while istiod works.',
    '- Every client receives every Address (no per-node filtering), as Istio\'s ztunnel does without on-demand discovery; a change costs about the same for each client.',
    '',
    ...profileSection(f),
  ];
  return out.join('\n');
}

export function xdsScalePanels(f: XdsScaleFigures): BarPanel[] {
  const series = f.sizes.map((s) => podsLabel(s.pods));
  const labels = [...new Set(f.sizes.flatMap((s) => s.changeSummaries.map((c) => c.label)))];
  const pick = (label: string, which: 'p50' | 'p99'): (number | null)[] => f.sizes.map((s) => s.changeSummaries.find((c) => c.label === label)?.allClients[which] ?? null);
  return [
    { title: 'change → every client ACKed, p99', unit: 'ms', series, groups: labels.map((l) => ({ label: l, values: pick(l, 'p99') })), decimals: 0 },
    { title: 'change → every client ACKed, p50', unit: 'ms', series, groups: labels.map((l) => ({ label: l, values: pick(l, 'p50') })), decimals: 0 },
    {
      title: 'istiod ready and initial sync of all clients', unit: 's', series,
      groups: [
        { label: 'istiod /ready', values: f.sizes.map((s) => s.istiodStart.readySeconds) },
        { label: 'all clients synced', values: f.sizes.map((s) => (s.initialSync.allClientsMs === null ? null : s.initialSync.allClientsMs / 1000)) },
      ],
      decimals: 2,
    },
    {
      title: 'istiod RSS max', unit: 'MB', series,
      groups: ['istiod', 'initial sync', 'changes'].map((key, i) => ({
        label: key === 'istiod' ? 'to /ready' : key,
        values: f.sizes.map((s) => s.usage[i]?.processes.find((p) => p.name === 'istiod')?.rssMaxMb ?? null),
      })),
      decimals: 0,
    },
  ];
}
