// Scenario `l4-latency`: request latency across two nodes of the local cluster at a fixed
// 1000 req/s of 1 KiB responses over 4 connections, for no mesh, ambit (two ztunnels, HBONE) and
// a stunnel pair on the same path — percentiles, latency added over no mesh, ambit against
// stunnel, against the goal of at most 0.2 ms added p99. Optional: ztunnel CPU profiles.

import { cpus } from 'node:os';
import { startL4Cluster } from '../cluster/l4-cluster';
import type { Scenario, ScenarioContext, ScenarioReport } from '../harness/scenario';
import { pickLatency, type LatencyFigure } from './hbone-loopback-figures';
import { CPU_PROF_FLAG, L4_TOOLS, L4_TOOL_VERSIONS, Rounds, cpuProfileDir, roundCount, roundTag, topologyNote } from './l4-common';
import { addedLatencyByRounds, latencyFigure, pathInfos } from './l4-figures';
import { latencyPanels, renderLatencyMarkdown, type L4LatencyFigures, type L4LatencySettings } from './l4-latency-report';
import { measureRequests, type RequestLoad } from './l4-measure';

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const rounds = roundCount(ctx);
  const load: RequestLoad = { warmupSeconds: ctx.quick ? 1 : 3, seconds: ctx.quick ? 3 : 10, connections: 4, totalRps: 1000 };
  const profileDir = cpuProfileDir(ctx);
  const cluster = await startL4Cluster(ctx, { servers: { http: true }, ...(profileDir ? { cpuProfileDir: profileDir } : {}) });

  const cells = new Rounds<LatencyFigure>();
  for (let r = 1; r <= rounds; r++) {
    for (const p of cluster.paths) {
      ctx.log(`${roundTag(r, rounds)}latency: ${p.label}, ${load.totalRps} req/s over ${load.connections} connections, ${load.seconds} s`);
      const f = latencyFigure(await measureRequests(ctx, cluster, p, load));
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
  const profiles = profileDir ? await cluster.collectProfiles() : undefined;

  const figures: L4LatencyFigures = { paths: pathInfos(cluster.paths), latency, ...(profiles ? { profiles } : {}) };
  const settings: L4LatencySettings = {
    totalRps: load.totalRps ?? 0, connections: load.connections, seconds: load.seconds, warmupSeconds: load.warmupSeconds,
    topology: topologyNote(cluster, rounds, ctx.supervisor.nice),
  };
  return {
    settings: { ...settings, cluster: cluster.settings, cpuProfile: profileDir !== undefined },
    figures,
    markdown: renderLatencyMarkdown(figures, settings),
    chart: {
      title: 'l4-latency: no mesh vs ambit vs stunnel, client and server on different nodes',
      subtitle: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}${ctx.quick ? ' — quick smoke run' : ''}`,
      panels: latencyPanels(figures, settings),
    },
    problems: cells.all().filter((f) => f.error).map((f) => `latency ${f.path}: ${f.error}`),
  };
}

export const l4Latency: Scenario = {
  name: 'l4-latency',
  summary: 'Request latency at 1000 req/s (1 KiB, 4 connections) between two nodes of the local cluster: no mesh vs ambit (ztunnel HBONE) vs stunnel.',
  flags: [CPU_PROF_FLAG],
  tools: L4_TOOLS,
  toolVersions: L4_TOOL_VERSIONS,
  run,
};
