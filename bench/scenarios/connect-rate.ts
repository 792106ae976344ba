// Scenario `connect-rate`: new connections per second through the mesh, where tunnel pooling is
// what is measured — on the two-node L4 cluster, direct (no mesh), ambit (HBONE between the nodes'
// ztunnels) and stunnel (mutual TLS 1.3, a TLS connection per TCP connection) side by side in one
// run. A closed-loop client (connect → 64 B echo → close) at concurrency 1 (the latency of a fresh
// connection) and 8 and 32 (the rate); tunnel CPU per 1000 new connections; TCP open counters of
// the tunnels' namespaces as evidence of whether each connection cost a handshake.

import { cpus } from 'node:os';
import { join } from 'node:path';
import { startL4Cluster } from '../cluster/l4-cluster';
import type { L4Path } from '../cluster/l4-cluster-types';
import type { Scenario, ScenarioContext, ScenarioReport } from '../harness/scenario';
import { failedFigure, pickRate, withAddedLatency, type ConnectRateFigures, type RateFigure } from './connect-rate-figures';
import { checkPath, enableTimeWaitReuse, measureRate, type WindowSettings } from './connect-rate-measure';
import { connectRatePanels, renderConnectRateMarkdown, type ConnectRateSettings } from './connect-rate-report';
import { CPU_PROF_FLAG, cpuProfileDir, L4_TOOL_VERSIONS, L4_TOOLS, roundCount, topologyNote } from './l4-common';
import { pathInfos } from './l4-figures';

const CONCURRENCIES = [1, 8, 32] as const;
const NOT_NEEDED: ReadonlySet<string> = new Set(['iperf3', 'h2load']);

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  // Windows stay ≤ 10 s in all (TIME_WAIT: see the report's "How it is measured").
  const window: WindowSettings = ctx.quick
    ? { warmupSeconds: 1, seconds: 3, payloadBytes: 64, timeoutMs: 5000 }
    : { warmupSeconds: 2, seconds: 8, payloadBytes: 64, timeoutMs: 5000 };
  const rounds = roundCount(ctx);
  const profileDir = cpuProfileDir(ctx);
  const agentJs = join(ctx.repoRoot, 'dist', 'bench', 'agents', 'connect-load.js');

  ctx.log('starting the two-node L4 cluster (echo server on node2)');
  const cluster = await startL4Cluster(ctx, { servers: { echo: true }, ...(profileDir ? { cpuProfileDir: profileDir } : {}) });
  const twReuse: Record<string, string> = {};
  const usable: L4Path[] = [];
  const broken = new Map<string, string>();
  for (const p of cluster.paths) {
    twReuse[p.id] = await enableTimeWaitReuse(cluster, p.id);
    const problem = await checkPath(cluster, p, agentJs);
    if (problem === undefined) usable.push(p);
    else {
      broken.set(p.id, problem);
      ctx.log(`${p.label}: not measured: ${problem}`);
    }
  }
  ctx.log(`paths carrying connections: ${usable.map((p) => p.label).join(', ') || 'none'}`);

  // Every round runs every path back to back per concurrency, so a noisy moment hits all alike.
  const kept = new Map<string, RateFigure[]>();
  for (let round = 1; round <= rounds; round++) {
    const tag = rounds > 1 ? `round ${round}/${rounds}, ` : '';
    for (const c of CONCURRENCIES) {
      for (const p of usable) {
        ctx.log(`${tag}${p.label}: concurrency ${c}, ${window.warmupSeconds} s + ${window.seconds} s`);
        const f = await measureRate(cluster, p, agentJs, c, window);
        ctx.log(f.completed === 0 && f.error
          ? `  failed: ${f.error}`
          : `  ${f.connectionsPerSecond} conn/s, p50 ${f.latencyMs.p50} / p99 ${f.latencyMs.p99} ms, ${f.cpuMsPer1000 ?? '–'} CPU ms per 1000, tunnel conns per 1000: ${f.tunnelOpensPer1000 ?? '–'}${f.error ? ` (${f.error})` : ''}`);
        kept.set(`${p.id}|${c}`, [...(kept.get(`${p.id}|${c}`) ?? []), f]);
      }
    }
  }
  const rates = cluster.paths.flatMap((p) => CONCURRENCIES.map((c) => {
    const why = broken.get(p.id);
    return why !== undefined ? failedFigure(p.id, c, why) : pickRate(kept.get(`${p.id}|${c}`) ?? []);
  })).filter((f): f is RateFigure => f !== undefined);

  // The ztunnels write their profiles when stopped: the ambit path is gone after this.
  const profiles = profileDir ? await cluster.collectProfiles() : undefined;
  const figures: ConnectRateFigures = { paths: pathInfos(cluster.paths), rates: withAddedLatency(rates), ...(profiles ? { profiles } : {}) };
  const settings: ConnectRateSettings = { concurrencies: CONCURRENCIES, ...window, twReuse, topology: topologyNote(cluster, rounds, ctx.supervisor.nice) };
  const problems = [
    ...[...broken.entries()].map(([id, why]) => `${id}: not measured: ${why}`),
    ...[...kept.values()].flat().filter((f) => f.error).map((f) => `${f.path} at concurrency ${f.concurrency}: ${f.error}`),
    ...Object.entries(twReuse).filter(([, v]) => v !== '=1').map(([id, v]) => `${id}: tcp_tw_reuse ${v}`),
  ];
  return {
    settings: { ...settings, rounds, cluster: cluster.settings, cpuProfile: profileDir !== undefined },
    figures,
    markdown: renderConnectRateMarkdown(figures, settings),
    chart: {
      title: 'connect-rate: new connections through direct, ambit and stunnel paths',
      subtitle: `two-node local cluster, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}${ctx.quick ? ' — quick smoke run' : ''}`,
      panels: connectRatePanels(figures, settings),
    },
    problems,
  };
}

export const connectRate: Scenario = {
  name: 'connect-rate',
  summary: 'New connections per second (connect → 64 B echo → close) on a two-node local cluster: direct vs ambit (pooled HBONE) vs stunnel mTLS.',
  flags: [CPU_PROF_FLAG],
  // What the cluster needs, without the load tools of the other L4 scenarios; sysctl for TIME_WAIT reuse.
  tools: [...L4_TOOLS.filter((t) => !NOT_NEEDED.has(t.bin)), { bin: 'sysctl', debianPackage: 'procps' }],
  toolVersions: L4_TOOL_VERSIONS.filter((t) => !NOT_NEEDED.has(t.name)),
  run,
};
