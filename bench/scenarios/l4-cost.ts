// Scenario `l4-cost`: what the tunnel processes cost between two nodes of the local cluster — the
// vCPU and RSS of each ztunnel (node1 = source side, node2 = destination side) and of each stunnel
// process at 1000 and 5000 req/s and at the saturation rate (closed-loop h2load), against the goal
// of at most 0.06 vCPU per 1000 req/s per ztunnel. Optional: ztunnel CPU profiles.

import { cpus } from 'node:os';
import { startL4Cluster } from '../cluster/l4-cluster';
import type { Scenario, ScenarioContext, ScenarioReport } from '../harness/scenario';
import { CPU_PROF_FLAG, L4_TOOLS, L4_TOOL_VERSIONS, Rounds, cpuProfileDir, roundCount, roundTag, topologyNote } from './l4-common';
import { costPanels, levelTitle, renderCostMarkdown, type L4CostFigures, type L4CostSettings } from './l4-cost-report';
import { costFigure, pathInfos, pickCost, type CostFigure, type CostLevel } from './l4-figures';
import { measureRequests } from './l4-measure';

/**
 * 250 req/s per connection at both fixed rates (4 and 20 connections), so each connection sees
 * the same 4 ms send interval; saturation: 16 connections in a closed loop (no --rps).
 */
export const COST_LEVELS: readonly CostLevel[] = [
  { level: '1000', targetRps: 1000, connections: 4 },
  { level: '5000', targetRps: 5000, connections: 20 },
  { level: 'saturation', targetRps: null, connections: 16 },
];

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const rounds = roundCount(ctx);
  const warmupSeconds = ctx.quick ? 1 : 3;
  const seconds = ctx.quick ? 3 : 10;
  const profileDir = cpuProfileDir(ctx);
  const cluster = await startL4Cluster(ctx, { servers: { http: true }, ...(profileDir ? { cpuProfileDir: profileDir } : {}) });

  const cells = new Rounds<CostFigure>();
  for (let r = 1; r <= rounds; r++) {
    for (const level of COST_LEVELS) {
      for (const p of cluster.paths) {
        ctx.log(`${roundTag(r, rounds)}cost: ${p.label} at ${levelTitle(level)}, ${seconds} s`);
        const f = costFigure(await measureRequests(ctx, cluster, p, { warmupSeconds, seconds, connections: level.connections, totalRps: level.targetRps }), level);
        const procs = f.processes.map((x) => `${x.name} ${x.vcpuPer1000Rps ?? '–'} vCPU/1000, ${x.rssMaxMb ?? '–'} MB`).join('; ');
        ctx.log(f.error && f.requests === 0 ? `  failed: ${f.error}` : `  ${f.achievedRps} req/s${procs ? `; ${procs}` : ''}`);
        cells.add(`${p.id}|${level.level}`, f);
      }
    }
  }
  const cost = COST_LEVELS.flatMap((l) => cluster.paths.map((p) => pickCost(cells.get(`${p.id}|${l.level}`)))).filter((f): f is CostFigure => f !== undefined);
  const profiles = profileDir ? await cluster.collectProfiles() : undefined;

  const figures: L4CostFigures = { paths: pathInfos(cluster.paths), levels: COST_LEVELS, cost, ...(profiles ? { profiles } : {}) };
  const settings: L4CostSettings = { warmupSeconds, seconds, topology: topologyNote(cluster, rounds, ctx.supervisor.nice) };
  return {
    settings: { ...settings, levels: COST_LEVELS, cluster: cluster.settings, cpuProfile: profileDir !== undefined },
    figures,
    markdown: renderCostMarkdown(figures, settings),
    chart: {
      title: 'l4-cost: CPU and memory per tunnel process, ambit ztunnels vs stunnel',
      subtitle: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}${ctx.quick ? ' — quick smoke run' : ''}`,
      panels: costPanels(figures),
    },
    problems: cells.all().filter((f) => f.error).map((f) => `cost ${f.path} at ${f.level}: ${f.error}`),
  };
}

export const l4Cost: Scenario = {
  name: 'l4-cost',
  summary: 'ztunnel CPU (vCPU per 1000 req/s) and RSS per node at 1000 and 5000 req/s and at saturation, between two nodes of the local cluster, beside a stunnel pair and no mesh.',
  flags: [CPU_PROF_FLAG],
  tools: L4_TOOLS,
  toolVersions: L4_TOOL_VERSIONS,
  run,
};
