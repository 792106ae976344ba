// Scenario `l4-throughput`: bulk TCP throughput between two nodes of the local cluster — one long
// iperf3 stream and 8 parallel streams — for no mesh, ambit (two ztunnels, HBONE) and a stunnel
// pair: Gbit/s and the tunnel processes' CPU seconds per GB, against the goal ambit ≥ stunnel.

import { cpus } from 'node:os';
import { startL4Cluster } from '../cluster/l4-cluster';
import type { Scenario, ScenarioContext, ScenarioReport } from '../harness/scenario';
import { pickBulk, type BulkFigure } from './hbone-loopback-figures';
import { L4_TOOLS, L4_TOOL_VERSIONS, Rounds, roundCount, roundTag, topologyNote } from './l4-common';
import { bulkFigure, pathInfos } from './l4-figures';
import { measureBulk } from './l4-measure';
import { renderThroughputMarkdown, throughputPanels, type L4ThroughputFigures, type L4ThroughputSettings } from './l4-throughput-report';

const PARALLEL = [1, 8] as const;

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const rounds = roundCount(ctx);
  const seconds = ctx.quick ? 3 : 10;
  const cluster = await startL4Cluster(ctx, { servers: { iperf: true } });

  const cells = new Rounds<BulkFigure>();
  for (let r = 1; r <= rounds; r++) {
    for (const parallel of PARALLEL) {
      for (const p of cluster.paths) {
        ctx.log(`${roundTag(r, rounds)}bulk: ${p.label}, ${parallel} stream(s), ${seconds} s`);
        const f = bulkFigure(await measureBulk(cluster, p, seconds, parallel));
        ctx.log(f.error && f.gbps === null ? `  failed: ${f.error}` : `  ${f.gbps} Gbit/s, ${f.cpuSecondsPerGB ?? '–'} CPU-s per GB`);
        cells.add(`${p.id}|${parallel}`, f);
      }
    }
  }
  const bulk = PARALLEL.flatMap((par) => cluster.paths.map((p) => pickBulk(cells.get(`${p.id}|${par}`)))).filter((f): f is BulkFigure => f !== undefined);

  const figures: L4ThroughputFigures = { paths: pathInfos(cluster.paths), bulk };
  const settings: L4ThroughputSettings = { seconds, parallel: PARALLEL, topology: topologyNote(cluster, rounds, ctx.supervisor.nice) };
  return {
    settings: { ...settings, cluster: cluster.settings },
    figures,
    markdown: renderThroughputMarkdown(figures, settings),
    chart: {
      title: 'l4-throughput: no mesh vs ambit vs stunnel between two nodes',
      subtitle: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}${ctx.quick ? ' — quick smoke run' : ''}`,
      panels: throughputPanels(figures, settings),
    },
    problems: cells.all().filter((f) => f.error).map((f) => `bulk ${f.path} ×${f.parallel}: ${f.error}`),
  };
}

export const l4Throughput: Scenario = {
  name: 'l4-throughput',
  summary: 'Bulk TCP throughput (iperf3, 1 and 8 streams) between two nodes of the local cluster, with tunnel CPU per GB: no mesh vs ambit vs stunnel.',
  flags: [],
  tools: L4_TOOLS,
  toolVersions: L4_TOOL_VERSIONS,
  run,
};
