// Scenario `l7-latency`: request latency across two nodes of the local cluster at a fixed
// 1000 req/s of 1 KiB responses over 4 connections, for no mesh, ztunnel only, the waypoint path
// (ztunnel → waypoint → ztunnel) and HAProxy without and with mTLS on the same hops — percentiles,
// latency added over no mesh, the L7 hop's share, against the goal of at most 1.5 ms added p99.

import { cpus } from 'node:os';
import { startL7Cluster } from '../cluster/l7-cluster';
import type { Scenario, ScenarioContext, ScenarioReport } from '../harness/scenario';
import { pickLatency, type LatencyFigure } from './hbone-loopback-figures';
import { Rounds, roundCount, roundTag } from './l4-common';
import { addedLatencyByRounds, latencyFigure } from './l4-figures';
import type { RequestLoad } from './l4-measure';
import { L7_TOOLS, L7_TOOL_VERSIONS, WITHOUT_WAYPOINT_FLAG, l7Paths, l7TopologyNote } from './l7-common';
import { l7PathInfos } from './l7-figures';
import { l7LatencyPanels, renderL7LatencyMarkdown, type L7LatencyFigures, type L7LatencySettings } from './l7-latency-report';
import { measureL7 } from './l7-measure';

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const rounds = roundCount(ctx);
  const load: RequestLoad = { warmupSeconds: ctx.quick ? 1 : 3, seconds: ctx.quick ? 3 : 10, connections: 4, totalRps: 1000 };
  const cluster = await startL7Cluster(ctx, { paths: l7Paths(ctx.flags) });

  const cells = new Rounds<LatencyFigure>();
  for (let r = 1; r <= rounds; r++) {
    for (const p of cluster.paths) {
      ctx.log(`${roundTag(r, rounds)}latency: ${p.label}, ${load.totalRps} req/s over ${load.connections} connections, ${load.seconds} s`);
      const f = latencyFigure(await measureL7(ctx, cluster, p, load));
      ctx.log(f.error && f.requests === 0 ? `  failed: ${f.error}` : `  p50 ${f.latencyMs.p50} / p90 ${f.latencyMs.p90} / p99 ${f.latencyMs.p99} ms, ${f.vcpuPer1000Rps ?? '–'} vCPU per 1000 req/s`);
      cells.add(p.id, f);
    }
  }
  const added = addedLatencyByRounds(new Map(cluster.paths.map((p) => [p.id, cells.get(p.id)])));
  const latency = cluster.paths
    .map((p) => pickLatency(cells.get(p.id)))
    .filter((f): f is LatencyFigure => f !== undefined)
    .map((f) => {
      const a = added.get(f.path);
      return a ? { ...f, addedMs: a } : f;
    });

  const figures: L7LatencyFigures = { paths: l7PathInfos(cluster.paths), latency };
  const settings: L7LatencySettings = {
    totalRps: load.totalRps ?? 0, connections: load.connections, seconds: load.seconds, warmupSeconds: load.warmupSeconds,
    topology: l7TopologyNote(cluster.cores, rounds, ctx.supervisor.nice),
  };
  return {
    settings: { ...settings, paths: cluster.paths.map((p) => p.id), cluster: cluster.settings },
    figures,
    markdown: renderL7LatencyMarkdown(figures, settings),
    chart: {
      title: 'l7-latency: no mesh vs ztunnel vs waypoint vs HAProxy, across two nodes',
      subtitle: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}${ctx.quick ? ' — quick smoke run' : ''}`,
      panels: l7LatencyPanels(figures, settings),
    },
    problems: cells.all().filter((f) => f.error).map((f) => `latency ${f.path}: ${f.error}`),
  };
}

export const l7Latency: Scenario = {
  name: 'l7-latency',
  summary: 'Request latency at 1000 req/s (1 KiB, 4 connections) between two nodes of the local cluster: no mesh vs ztunnel only vs waypoint vs HAProxy (without and with mTLS).',
  flags: [WITHOUT_WAYPOINT_FLAG],
  tools: L7_TOOLS,
  toolVersions: L7_TOOL_VERSIONS,
  run,
};
