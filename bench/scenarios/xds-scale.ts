// Scenario `xds-scale`: istiod against an API server holding 1 000 and then 10 000 ambient pods
// (objects only, no processes), with 20 simulated ztunnel xDS clients. Measures istiod's time to
// /ready, the clients' initial sync, single changes (pod added, pod deleted, Service added,
// AuthorizationPolicy applied namespace-wide or by selector) from the write to the last client's
// ACK (p50/p99 over changes), istiod's CPU and RSS per phase and the bytes each client receives;
// optionally a V8 CPU profile of istiod.

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { asCpuProfile, summarizeCpuProfile } from '../harness/cpu-profile';
import type { Scenario, ScenarioContext, ScenarioReport } from '../harness/scenario';
import { ChangeWriter } from './xds-scale-changes';
import { startScaleCluster } from './xds-scale-cluster';
import { goalCheck, type GrowthFigure, type ProfileFigure, type SetupFigure, type SizeFigures, type XdsScaleFigures } from './xds-scale-figures';
import { bringUp, measureChanges, measureGrowth, sizeFigures, tearDown } from './xds-scale-measure';
import { GROUP_SIZE } from './xds-scale-objects';
import { CHANGE_KINDS, runPlan, servicesFor } from './xds-scale-plan';
import { selfTimeByFile } from './xds-scale-profile';
import { renderXdsScaleMarkdown, xdsScalePanels } from './xds-scale-report';

async function summarizeProfiles(dir: string, log: (line: string) => void): Promise<ProfileFigure[]> {
  const out: ProfileFigure[] = [];
  let procs: string[];
  try {
    procs = (await readdir(dir)).sort();
  } catch {
    return out;
  }
  for (const proc of procs) {
    for (const file of (await readdir(join(dir, proc))).filter((f) => f.endsWith('.cpuprofile'))) {
      const profile = asCpuProfile(JSON.parse(await readFile(join(dir, proc, file), 'utf8')));
      if (typeof profile === 'string') {
        log(`${proc}: ${profile}`);
        continue;
      }
      out.push({ process: proc, summary: summarizeCpuProfile(profile, 20), byFile: selfTimeByFile(profile, 20) });
    }
  }
  return out;
}

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const plan = runPlan(ctx.quick);
  const [small, large] = plan.sizes;
  const profileRoot = ctx.flags.has('cpu-prof') ? join(ctx.tmpDir, 'profiles') : undefined;
  /** Separate directories per process, so each profile is labelled with what it profiled. */
  const profileDirs = async (pods: number): Promise<{ istiod: string; agent: string } | undefined> => {
    if (!profileRoot) return undefined;
    const dirs = { istiod: join(profileRoot, `istiod (${pods} pods)`), agent: join(profileRoot, `xds-clients (${pods} pods)`) };
    await mkdir(dirs.istiod, { recursive: true });
    await mkdir(dirs.agent, { recursive: true });
    return dirs;
  };
  const problems: string[] = [];
  const setup: SetupFigure[] = [];
  const sizes: SizeFigures[] = [];
  let growth: GrowthFigure | undefined;

  ctx.log(`API server on 127.0.0.1 (in this process), ${plan.clients} nodes with a ztunnel pod and token each`);
  const cluster = await startScaleCluster(ctx, plan.clients, plan.concurrency);
  ctx.addCleanup(() => cluster.close());
  const writer = new ChangeWriter(cluster.population);

  ctx.log(`writing ${small} pods and ${servicesFor(small, GROUP_SIZE)} Services (${plan.concurrency} writes in flight)`);
  const started = Date.now();
  const writes = await cluster.population.grow(0, small, ctx.log);
  setup.push({ what: `${small} pods + ${servicesFor(small, GROUP_SIZE)} Services, istiod not running`, objects: cluster.population.expectedAddresses(), writes, seconds: Math.round((Date.now() - started) / 100) / 10 });

  // Size 1: a fresh istiod, then the clients; changes; then growth with everyone connected.
  const up1 = await bringUp(ctx, cluster, plan, 'start', `${small}`, await profileDirs(small), problems);
  try {
    ctx.log(`${plan.changes} changes at ${small} pods`);
    const changes1 = await measureChanges(ctx, up1.session, cluster, writer, plan, `${small} pods`, problems);
    sizes.push(sizeFigures(up1, cluster.population.livePods(), cluster.population.liveServices(), changes1));
    growth = await measureGrowth(ctx, up1.session, cluster, plan, small, large, problems);
  } finally {
    await tearDown(up1.session);
  }

  // Size 2: istiod restarted on the full set, then fresh clients; changes.
  const up2 = await bringUp(ctx, cluster, plan, 'restart', `${large}`, await profileDirs(large), problems);
  try {
    ctx.log(`${plan.changes} changes at ${cluster.population.livePods()} pods`);
    const changes2 = await measureChanges(ctx, up2.session, cluster, writer, plan, `${large} pods`, problems);
    sizes.push(sizeFigures(up2, cluster.population.livePods(), cluster.population.liveServices(), changes2));
  } finally {
    await tearDown(up2.session);
  }
  for (const t of [...up1.session.agent.events.trouble, ...up2.session.agent.events.trouble].slice(0, 10)) problems.push(`xds client: ${t}`);

  const profiles = profileRoot ? await summarizeProfiles(profileRoot, ctx.log) : undefined;
  const figures: XdsScaleFigures = {
    plan,
    setup,
    sizes,
    ...(growth ? { growth } : {}),
    notMeasurable: CHANGE_KINDS.filter((k) => k.notMeasurable !== undefined).map((k) => ({ kind: k.kind, label: k.label, why: k.notMeasurable as string })),
    goal: goalCheck(sizes),
    ...(profiles ? { profiles } : {}),
  };
  return {
    settings: {
      ...plan, cpuProfile: profileRoot !== undefined, debounce: { afterMs: 100, maxMs: 1000 }, decodeAddresses: true, decodeAuthorizations: true,
      changeKinds: CHANGE_KINDS.filter((k) => k.notMeasurable === undefined).map((k) => k.kind),
    },
    figures,
    markdown: renderXdsScaleMarkdown(figures),
    chart: {
      title: 'xds-scale: change → every client ACKed, by cluster size',
      subtitle: `${plan.clients} simulated ztunnel clients; ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}${ctx.quick ? ' — quick smoke run' : ''}`,
      panels: xdsScalePanels(figures),
    },
    problems,
  };
}

export const xdsScale: Scenario = {
  name: 'xds-scale',
  summary: 'istiod with 1 000 and 10 000 ambient pods and 20 simulated ztunnel xDS clients: time from a change to every client\'s ACK, initial sync, istiod CPU/RSS, bytes per client.',
  flags: [
    { name: 'cpu-prof', help: 'run istiod under --cpu-prof and summarise where its time goes (figures inflated; results get a .cpu-prof suffix)' },
  ],
  tools: [],
  toolVersions: [],
  run,
};
