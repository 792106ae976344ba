// Scenario `hbone-loopback`: the same traffic, in one run, over three paths on 127.0.0.1 —
// direct (the physical limit), an ambit HBONE agent pair, and a stunnel4 TLS 1.3 mTLS pair —
// measuring bulk throughput (iperf3, 1 and 4 streams) with CPU per GB, and request/response
// latency at a fixed 1000 req/s (h2load) with CPU per 1000 req/s. Optional: the HBONE pair with
// Node's default 64 KiB HTTP/2 windows, and V8 CPU profiles of the agents.

import { cpus } from 'node:os';
import { join } from 'node:path';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createTestMesh } from '../../pkg/testing/mesh-certs';
import { writeCertificateFile, writePemFiles } from '../agents/cert-file';
import { asCpuProfile, summarizeCpuProfile, type ProfileSummary } from '../harness/cpu-profile';
import type { Scenario, ScenarioContext, ScenarioReport } from '../harness/scenario';
import { pickBulk, pickLatency, withAddedLatency, type BulkFigure, type HboneLoopbackFigures, type LatencyFigure } from './hbone-loopback-figures';
import { measureBulk, measureLatency, type LatencySettings } from './hbone-loopback-measure';
import { renderReportMarkdown, reportPanels, type ReportSettings } from './hbone-loopback-report';
import { checkPath, directPath, startBackends, startHbonePath, startStunnelPath, type Certificates, type Cores, type Path } from './hbone-loopback-topology';

const DEFAULT_H2_WINDOW = 65_535;

async function makeCertificates(ctx: ScenarioContext): Promise<Certificates> {
  const mesh = await createTestMesh({ trustDomain: 'cluster.local' });
  const client = await mesh.issue('bench', 'client', { ttlSeconds: 12 * 3600 });
  const server = await mesh.issue('bench', 'server', { ttlSeconds: 12 * 3600 });
  const clientJson = join(ctx.tmpDir, 'client-cert.json');
  const serverJson = join(ctx.tmpDir, 'server-cert.json');
  await writeCertificateFile(clientJson, client);
  await writeCertificateFile(serverJson, server);
  return { client, server, clientJson, serverJson, clientPem: await writePemFiles(ctx.tmpDir, 'client', client), serverPem: await writePemFiles(ctx.tmpDir, 'server', server) };
}

async function summarizeProfiles(dir: string, log: (line: string) => void): Promise<{ process: string; summary: ProfileSummary }[]> {
  const out: { process: string; summary: ProfileSummary }[] = [];
  let agents: string[];
  try {
    agents = (await readdir(dir)).sort();
  } catch {
    return out;
  }
  for (const agent of agents) {
    const files = (await readdir(join(dir, agent))).filter((f) => f.endsWith('.cpuprofile'));
    for (const file of files) {
      const profile = asCpuProfile(JSON.parse(await readFile(join(dir, agent, file), 'utf8')));
      if (typeof profile === 'string') {
        log(`${agent}: ${profile}`);
        continue;
      }
      out.push({ process: agent, summary: summarizeCpuProfile(profile, 15) });
    }
  }
  return out;
}

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const quick = ctx.quick;
  const bulkSeconds = quick ? 2 : 10;
  const rounds = ctx.runs ?? (quick ? 1 : 3);
  const parallel = [1, 4] as const;
  const latency: LatencySettings = { warmupSeconds: quick ? 1 : 3, seconds: quick ? 3 : 10, connections: 4, totalRps: 1000 };
  const cores: Cores = cpus().length >= 2 ? { tunnel: 0, load: 1 } : {};
  const cpuProfileDir = ctx.flags.has('cpu-prof') ? join(ctx.tmpDir, 'profiles') : undefined;
  if (cpuProfileDir) await mkdir(cpuProfileDir, { recursive: true });

  ctx.log('issuing P-256 workload certificates from a throw-away mesh CA');
  const certs = await makeCertificates(ctx);
  const backends = await startBackends(ctx, cores);
  const paths: Path[] = [directPath(backends)];
  paths.push(await startHbonePath(ctx, cores, certs, backends, {
    id: 'hbone',
    label: 'ambit HBONE',
    description: 'client → client agent (TCP → HBONE stream from HbonePool, 4 MiB / 16 MiB windows) → server agent (createHboneServer) → backend',
    cpuProfileDir,
  }));
  if (ctx.flags.has('hbone-default-windows')) {
    paths.push(await startHbonePath(ctx, cores, certs, backends, {
      id: 'hbone-64k',
      label: 'HBONE 64 KiB windows',
      description: 'as ambit HBONE, but with HTTP/2 stream and connection windows at the 64 KiB protocol default',
      windows: { streamWindowBytes: DEFAULT_H2_WINDOW, connectionWindowBytes: DEFAULT_H2_WINDOW },
      cpuProfileDir,
    }));
  }
  paths.push(await startStunnelPath(ctx, cores, certs, backends));
  for (const p of paths) await checkPath(p);
  ctx.log(`paths up and answering: ${paths.map((p) => p.label).join(', ')}`);

  // Rounds run every path back to back, so a noisy moment hits all paths alike; the median round
  // of each cell is reported and every round's headline value is kept.
  const bulkRounds = new Map<string, BulkFigure[]>();
  const latencyRounds = new Map<string, LatencyFigure[]>();
  const keep = <T>(into: Map<string, T[]>, key: string, f: T): void => {
    into.set(key, [...(into.get(key) ?? []), f]);
  };
  for (let round = 1; round <= rounds; round++) {
    const tag = rounds > 1 ? `round ${round}/${rounds}, ` : '';
    for (const par of parallel) {
      for (const p of paths) {
        ctx.log(`${tag}bulk: ${p.label}, ${par} stream(s), ${bulkSeconds} s`);
        const f = await measureBulk(ctx, cores, p, backends, { seconds: bulkSeconds, parallel: par });
        ctx.log(f.error && f.gbps === null ? `  failed: ${f.error}` : `  ${f.gbps} Gbit/s, ${f.cpuSecondsPerGB ?? '–'} CPU-s per GB`);
        keep(bulkRounds, `${p.id}|${par}`, f);
      }
    }
    for (const p of paths) {
      ctx.log(`${tag}latency: ${p.label}, ${latency.totalRps} req/s over ${latency.connections} connections, ${latency.seconds} s`);
      const f = await measureLatency(ctx, cores, p, backends, latency);
      ctx.log(f.error && f.requests === 0 ? `  failed: ${f.error}` : `  p50 ${f.latencyMs.p50} / p90 ${f.latencyMs.p90} / p99 ${f.latencyMs.p99} ms, ${f.vcpuPer1000Rps ?? '–'} vCPU per 1000 req/s`);
      keep(latencyRounds, p.id, f);
    }
  }
  const bulk = parallel.flatMap((par) => paths.map((p) => pickBulk(bulkRounds.get(`${p.id}|${par}`) ?? []))).filter((f): f is BulkFigure => f !== undefined);
  const lat = paths.map((p) => pickLatency(latencyRounds.get(p.id) ?? [])).filter((f): f is LatencyFigure => f !== undefined);

  let profiles: { process: string; summary: ProfileSummary }[] | undefined;
  if (cpuProfileDir) {
    // The agents write their profiles when they exit cleanly on SIGTERM.
    for (const p of paths) for (const proc of p.processes) if (proc.name.includes('agent')) await proc.stop(10_000);
    profiles = await summarizeProfiles(cpuProfileDir, ctx.log);
  }

  const figures: HboneLoopbackFigures = {
    paths: paths.map((p) => ({ id: p.id, label: p.label, description: p.description, processes: p.processes.map((x) => x.name) })),
    bulk,
    latency: withAddedLatency(lat),
    ...(profiles ? { profiles } : {}),
  };
  const settings: ReportSettings = { bulkSeconds, parallel, latency, cores, rounds, nice: ctx.supervisor.nice };
  const problems = [
    ...[...bulkRounds.values()].flat().filter((b) => b.error).map((b) => `bulk ${b.path} ×${b.parallel}: ${b.error}`),
    ...[...latencyRounds.values()].flat().filter((f) => f.error).map((f) => `latency ${f.path}: ${f.error}`),
  ];
  return {
    settings: { ...settings, hboneWindows: { streamWindowBytes: 4 * 2 ** 20, connectionWindowBytes: 16 * 2 ** 20 }, cpuProfile: cpuProfileDir !== undefined },
    figures,
    markdown: renderReportMarkdown(figures, settings),
    chart: {
      title: 'hbone-loopback: direct vs ambit HBONE vs stunnel on 127.0.0.1',
      subtitle: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}${quick ? ' — quick smoke run' : ''}`,
      panels: reportPanels(figures, settings),
    },
    problems,
  };
}

export const hboneLoopback: Scenario = {
  name: 'hbone-loopback',
  summary: 'Bulk throughput and request latency over loopback: direct vs an ambit HBONE agent pair vs a stunnel TLS 1.3 mTLS pair.',
  flags: [
    { name: 'hbone-default-windows', help: 'also run an HBONE pair with 64 KiB HTTP/2 windows (Node/HTTP/2 default) to show what window tuning buys' },
    { name: 'cpu-prof', help: 'run the HBONE agents under --cpu-prof and summarise the top frames (figures inflated; results get a .cpu-prof suffix)' },
  ],
  tools: [
    { bin: 'iperf3', debianPackage: 'iperf3' },
    { bin: 'h2load', debianPackage: 'nghttp2-client' },
    { bin: 'stunnel4', debianPackage: 'stunnel4' },
    { bin: 'taskset', debianPackage: 'util-linux' },
  ],
  toolVersions: [
    { name: 'iperf3', command: 'iperf3', args: ['--version'] },
    { name: 'h2load', command: 'h2load', args: ['--version'] },
    { name: 'stunnel', command: 'stunnel4', args: ['-version'], line: /^stunnel \d/ },
  ],
  run,
};
