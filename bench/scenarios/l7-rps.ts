// Scenario `l7-rps`: how many requests per second each path sustains between two nodes of the
// local cluster (closed-loop h2load, bounded duration) — no mesh, ztunnel only, the waypoint path
// and HAProxy without and with mTLS — and what the proxies cost: the waypoint's vCPU per 1000
// req/s (goal ≤ 0.25) and RSS beside HAProxy's, at 1000 req/s and at saturation.

import { cpus } from 'node:os';
import { startL7Cluster } from '../cluster/l7-cluster';
import type { Scenario, ScenarioContext, ScenarioReport } from '../harness/scenario';
import { Rounds, roundCount, roundTag } from './l4-common';
import { costFigure } from './l4-figures';
import { L7_TOOLS, L7_TOOL_VERSIONS, WITHOUT_WAYPOINT_FLAG, l7Paths, l7TopologyNote } from './l7-common';
import { L7_RPS_LEVELS, l7PathInfos, pickL7Cost, type L7CostFigure } from './l7-figures';
import { measureL7 } from './l7-measure';
import { l7RpsPanels, renderL7RpsMarkdown, rpsLevelTitle, type L7RpsFigures, type L7RpsSettings } from './l7-rps-report';

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const rounds = roundCount(ctx);
  const warmupSeconds = ctx.quick ? 1 : 3;
  const seconds = ctx.quick ? 3 : 10;
  const cluster = await startL7Cluster(ctx, { paths: l7Paths(ctx.flags) });

  const cells = new Rounds<L7CostFigure>();
  for (let r = 1; r <= rounds; r++) {
    for (const level of L7_RPS_LEVELS) {
      for (const p of cluster.paths) {
        ctx.log(`${roundTag(r, rounds)}rps: ${p.label} at ${rpsLevelTitle(level)}, ${seconds} s`);
        const run = await measureL7(ctx, cluster, p, { warmupSeconds, seconds, connections: level.connections, totalRps: level.targetRps });
        const f: L7CostFigure = { ...costFigure(run, level), ...(run.coreBusy ? { coreBusy: run.coreBusy } : {}) };
        const procs = f.processes.map((x) => `${x.name} ${x.vcpuPer1000Rps ?? '–'} vCPU/1000, ${x.rssMaxMb ?? '–'} MB`).join('; ');
        ctx.log(f.error && f.requests === 0 ? `  failed: ${f.error}` : `  ${f.achievedRps} req/s${procs ? `; ${procs}` : ''}`);
        cells.add(`${p.id}|${level.level}`, f);
      }
    }
  }
  const cost = L7_RPS_LEVELS.flatMap((l) => cluster.paths.map((p) => pickL7Cost(cells.get(`${p.id}|${l.level}`)))).filter((f): f is L7CostFigure => f !== undefined);

  const figures: L7RpsFigures = { paths: l7PathInfos(cluster.paths), levels: L7_RPS_LEVELS, cost, cores: cluster.cores };
  const settings: L7RpsSettings = { warmupSeconds, seconds, topology: l7TopologyNote(cluster.cores, rounds, ctx.supervisor.nice) };
  return {
    settings: { ...settings, levels: L7_RPS_LEVELS, paths: cluster.paths.map((p) => p.id), cluster: cluster.settings },
    figures,
    markdown: renderL7RpsMarkdown(figures, settings),
    chart: {
      title: 'l7-rps: saturation rate and proxy cost, waypoint vs HAProxy',
      subtitle: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}${ctx.quick ? ' — quick smoke run' : ''}`,
      panels: l7RpsPanels(figures),
    },
    problems: cells.all().filter((f) => f.error).map((f) => `rps ${f.path} at ${f.level}: ${f.error}`),
  };
}

export const l7Rps: Scenario = {
  name: 'l7-rps',
  summary: 'Saturation req/s (closed loop, 16 connections) per path between two nodes of the local cluster, and the waypoint\'s vCPU per 1000 req/s and RSS beside HAProxy\'s: no mesh, ztunnel only, waypoint, HAProxy without and with mTLS.',
  flags: [WITHOUT_WAYPOINT_FLAG],
  tools: L7_TOOLS,
  toolVersions: L7_TOOL_VERSIONS,
  run,
};
