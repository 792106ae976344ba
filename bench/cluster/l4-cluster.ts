// The L4 benchmark topology (contract: l4-cluster-types.ts): a two-node local cluster of its own
// (state in the run's temp dir, `ambit local up` + `ambit install`, torn down and checked for
// leftovers on every exit path), client pods on node1 and server pods on node2 in the ambient
// namespace `mesh` and the plain namespace `plain`, the stunnel pair in the node namespaces,
// CPU pinning (tunnels on core 0, servers and load on core 1), and the three paths checked
// end to end before anything is measured.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';
import { findLeftovers, nodeAddresses, planAddresses } from '../../localcluster/runtime';
import { readPidRecords } from '../../localcluster/runtime/pid-records';
import type { ScenarioContext } from '../harness/scenario';
import { whichBinary } from '../harness/tools';
import { ambit, clusterHandle, kubectl, listPods, runCommand, until, type ClusterHandle, type PodInfo } from './kube-cli';
import type { L4Cluster, L4ClusterOptions, L4Path, L4PathId } from './l4-cluster-types';
import {
  CLIENT_POD, L4_NAMESPACES, renderNamespaceManifests, serverPodName, serversAsked, SERVER_PORTS, type L4Namespace, type ServerKind,
} from './l4-manifests';
import { benchClusterIdentity, interfaceWithAddress, planCores, planStunnelRoutes, recordOf, type Cores } from './l4-plan';
import { checkPaths } from './path-check';
import { placeProcess } from './pins';
import { startStunnelPair } from './stunnel-pair';
import { enableZtunnelProfiles, findZtunnels, nodeNetns, stopZtunnels, summarizeZtunnelProfiles, waitMeshReady, type NamedProfile, type ZtunnelProcess } from './ztunnel-control';

export const ALL_L4_PATHS: readonly L4PathId[] = ['direct', 'ambit', 'stunnel'];
const POD_READY_TIMEOUT_MS = 120_000;

/** What the scenarios of this repository get beyond the shared contract. */
export interface L4BenchCluster extends L4Cluster {
  readonly cores: Cores;
  readonly ztunnels: readonly ZtunnelProcess[];
  /**
   * With `cpuProfileDir`: stops the ztunnels (the ambit path is gone after this) so they write
   * their profiles, and returns one summary per ztunnel. Without it: [].
   */
  collectProfiles(): Promise<NamedProfile[]>;
}

async function clusterContext(c: ClusterHandle): Promise<string> {
  const pods = await kubectl(c, ['get', 'pods', '-A', '-o', 'wide']).catch((e: unknown) => describeError(e));
  const log = (await readFile(join(c.stateDir, 'logs', 'cluster.log'), 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');
  return `${pods}\ncluster log (last lines):\n${log}`;
}

function registerTeardown(ctx: ScenarioContext, c: ClusterHandle): void {
  ctx.addCleanup(async () => {
    ctx.log(`tearing down local cluster '${c.name}'`);
    try {
      await ambit(c, ['local', 'down'], 180_000);
    } catch (err) {
      ctx.log(`problem: 'ambit local down' failed: ${describeError(err)}`);
    }
    const left = await findLeftovers(c.name, c.stateDir).catch((err: unknown) => [`(leftover check failed: ${describeError(err)})`]);
    if (left.length > 0) ctx.log(`problem: local cluster '${c.name}' left behind: ${left.join(', ')}`);
  });
}

async function waitPodsReady(c: ClusterHandle, ns: L4Namespace, names: readonly string[]): Promise<Map<string, PodInfo>> {
  return until(`pods ${names.join(', ')} ready in ${ns}`, async () => {
    const pods = await listPods(c, ns);
    const ready = new Map(pods.filter((p) => p.ready && p.ip !== '').map((p) => [p.name, p]));
    return names.every((n) => ready.has(n)) ? ready : undefined;
  }, POD_READY_TIMEOUT_MS, () => clusterContext(c));
}

interface NamespacePods {
  readonly client: PodInfo;
  readonly clientNetns: string;
  readonly servers: Partial<Record<ServerKind, PodInfo>>;
}

async function deployNamespace(ctx: ScenarioContext, c: ClusterHandle, ns: L4Namespace, opts: L4ClusterOptions, cores: Cores): Promise<NamespacePods> {
  const file = join(ctx.tmpDir, `l4-${ns}.yaml`);
  await writeFile(file, renderNamespaceManifests({ namespace: ns, ambient: ns === L4_NAMESPACES.mesh, servers: opts.servers, repoRoot: ctx.repoRoot, nodeBinary: process.execPath }));
  await kubectl(c, ['apply', '-f', file]);
  const kinds = serversAsked(opts.servers);
  const pods = await waitPodsReady(c, ns, [CLIENT_POD, ...kinds.map(serverPodName)]);
  const records = (await readPidRecords(c.stateDir)).map((r) => r.record);
  const recordFor = (p: PodInfo): { pid: number; netns: string } => {
    const r = recordOf(records, p.uid);
    if (!r) throw new MeshError(ErrorCode.NotFound, `no pid record for pod ${ns}/${p.name} (uid ${p.uid}) in ${c.stateDir}/pids`);
    return r;
  };
  const client = pods.get(CLIENT_POD) as PodInfo;
  const servers: Partial<Record<ServerKind, PodInfo>> = {};
  for (const kind of kinds) {
    const pod = pods.get(serverPodName(kind)) as PodInfo;
    servers[kind] = pod;
    await placeProcess(recordFor(pod).pid, cores.load, ctx.supervisor.nice);
  }
  return { client, clientNetns: recordFor(client).netns, servers };
}

function endpoints(servers: Partial<Record<ServerKind, PodInfo>>): Pick<L4Path, ServerKind> {
  const out: { -readonly [K in ServerKind]?: { host: string; port: number } } = {};
  for (const [kind, pod] of Object.entries(servers) as [ServerKind, PodInfo][]) out[kind] = { host: pod.ip, port: SERVER_PORTS[kind] };
  return out;
}

export async function startL4Cluster(ctx: ScenarioContext, opts: L4ClusterOptions): Promise<L4BenchCluster> {
  const want = new Set(opts.paths ?? ALL_L4_PATHS);
  if (serversAsked(opts.servers).length === 0) throw new MeshError(ErrorCode.InvalidArgument, 'startL4Cluster: ask for at least one server (iperf, http or echo)');
  if ((await whichBinary('kubectl')) === undefined) throw new MeshError(ErrorCode.Unavailable, 'the L4 benchmarks drive the local cluster with kubectl, which is not on PATH');
  const { name, block } = benchClusterIdentity(process.env);
  const stateRoot = join(ctx.tmpDir, 'cluster');
  await mkdir(stateRoot, { recursive: true });
  const c = clusterHandle(ctx.repoRoot, stateRoot, name, block);
  const cores = planCores(cpus().length);
  const nice = ctx.supervisor.nice;

  // `ambit local up` only sees clusters under its own state root; one started elsewhere on the
  // same block would share our addresses, so look at the machine's interfaces first.
  const gateway = planAddresses(block, 2).gatewayIP;
  const holder = interfaceWithAddress(await runCommand('ip', ['-o', '-4', 'addr', 'show'], { timeoutMs: 10_000 }), gateway);
  if (holder !== undefined) {
    const ours = holder === `${name}0` ? `; if it is left over from an interrupted benchmark run, remove it with: AMBIT_CLUSTER=${name} ambit local down --block ${block}` : '';
    throw new MeshError(ErrorCode.Unavailable, `address block ${block} is in use on this machine (${holder} holds ${gateway}); run with AMBIT_BENCH_BLOCK=${1 - block} or stop that cluster${ours}`);
  }
  // Registered before `up`: a half-started cluster is torn down too (down is idempotent).
  registerTeardown(ctx, c);
  ctx.log(`starting local cluster '${name}' (2 nodes, address block ${block}, state in ${stateRoot})`);
  await ambit(c, ['local', 'up', '--nodes', '2', '--block', String(block)]);
  await ambit(c, ['install', '--timeout', '180s']);
  if (opts.cpuProfileDir) {
    await mkdir(opts.cpuProfileDir, { recursive: true });
    ctx.log('restarting the ztunnels under --cpu-prof');
    await enableZtunnelProfiles(c, ctx.repoRoot, opts.cpuProfileDir);
  }
  const node1 = nodeAddresses(block, 1);
  const node2 = nodeAddresses(block, 2);

  const plain = want.has('direct') || want.has('stunnel') ? await deployNamespace(ctx, c, L4_NAMESPACES.plain, opts, cores) : undefined;
  const mesh = want.has('ambit') ? await deployNamespace(ctx, c, L4_NAMESPACES.mesh, opts, cores) : undefined;
  if (mesh) {
    ctx.log('waiting until the ztunnels capture the mesh pods and know them as HBONE workloads');
    await waitMeshReady(nodeNetns(c, 1), nodeNetns(c, 2), mesh.client.ip, Object.values(mesh.servers).map((p) => p.ip));
  }
  const ztunnels = await findZtunnels(c, ['node1', 'node2']);
  for (const z of ztunnels) await placeProcess(z.pid, cores.tunnel, nice);

  const paths: L4Path[] = [];
  if (plain && want.has('direct')) {
    paths.push({ id: 'direct', label: 'no mesh', description: 'plain client pod (node1) → plain server pod (node2), pod IPs, no tunnel: the physical limit', ...endpoints(plain.servers), tunnels: [] });
  }
  if (mesh) {
    paths.push({
      id: 'ambit', label: 'ambit',
      description: 'ambient client pod (node1) → captured by node1 ztunnel → HBONE (mTLS, HTTP/2 CONNECT, port 15008) → node2 ztunnel → ambient server pod',
      ...endpoints(mesh.servers), tunnels: ztunnels.map((z) => ({ name: z.name, pid: z.pid })),
    });
  }
  let stunnelRoutes: ReturnType<typeof planStunnelRoutes> = [];
  if (plain && want.has('stunnel')) {
    const ips: Partial<Record<ServerKind, string>> = {};
    for (const [k, p] of Object.entries(plain.servers) as [ServerKind, PodInfo][]) ips[k] = p.ip;
    stunnelRoutes = planStunnelRoutes(opts.servers, node1.nodeIP, node2.nodeIP, ips);
    const pair = await startStunnelPair(ctx, { routes: stunnelRoutes, clientNetns: nodeNetns(c, 1), serverNetns: nodeNetns(c, 2), core: cores.tunnel });
    const out: { -readonly [K in ServerKind]?: { host: string; port: number } } = {};
    for (const r of stunnelRoutes) out[r.kind] = r.clientAccept;
    paths.push({
      id: 'stunnel', label: 'stunnel',
      description: 'plain client pod (node1) → stunnel4 client in node1 netns → TLS 1.3 mTLS → stunnel4 server in node2 netns → plain server pod',
      ...out, tunnels: [{ name: pair.client.name, pid: pair.client.pid }, { name: pair.server.name, pid: pair.server.pid }],
    });
  }

  const netnsOf = (id: L4PathId): string => {
    const ns = id === 'ambit' ? mesh : plain;
    if (!ns) throw new MeshError(ErrorCode.InvalidArgument, `path ${id} was not set up (paths: ${[...want].join(', ')})`);
    return ns.clientNetns;
  };
  const runInClient: L4Cluster['runInClient'] = (id, command, args, o) => ctx.supervisor.run({
    name: `${basename(command)} ${id}`, command: 'ip', args: ['netns', 'exec', netnsOf(id), command, ...args], cpu: cores.load, timeoutMs: o.timeoutMs,
  });
  await checkPaths(paths, { netnsOf, metricsNetns: nodeNetns(c, 2), log: ctx.log });
  ctx.log(`paths up and answering: ${paths.map((p) => p.label).join(', ')}`);

  const podIPs = (p: NamespacePods | undefined): Record<string, string> | undefined =>
    p && { client: p.client.ip, ...Object.fromEntries(Object.entries(p.servers).map(([k, v]) => [k, v.ip])) };
  const settings = {
    cluster: name, block, nodes: [{ name: 'node1', ip: node1.nodeIP, role: 'clients' }, { name: 'node2', ip: node2.nodeIP, role: 'servers' }],
    cores, nice, pinning: cores.tunnel === undefined ? 'none (fewer than 2 cores)' : `ztunnels and stunnels on core ${cores.tunnel}; server pods and load generators on core ${cores.load}`,
    pods: { ...(mesh ? { mesh: podIPs(mesh) } : {}), ...(plain ? { plain: podIPs(plain) } : {}) },
    ztunnels: ztunnels.map((z) => ({ name: z.name, pid: z.pid })),
    ...(stunnelRoutes.length > 0 ? { stunnel: stunnelRoutes.map((r) => `${r.kind}: ${r.clientAccept.host}:${r.clientAccept.port} → ${r.serverAccept.host}:${r.serverAccept.port} → ${r.target.host}:${r.target.port}`) } : {}),
    cpuProfile: opts.cpuProfileDir !== undefined,
  };
  let collected: Promise<NamedProfile[]> | undefined;
  return {
    paths, settings, runInClient, cores, ztunnels,
    collectProfiles(): Promise<NamedProfile[]> {
      const dir = opts.cpuProfileDir;
      if (!dir) return Promise.resolve([]);
      collected ??= (async () => {
        if (!(await stopZtunnels(c, ztunnels))) ctx.log('problem: a ztunnel did not exit within 60 s; its profile may be missing');
        return summarizeZtunnelProfiles(dir, ztunnels, ctx.log);
      })();
      return collected;
    },
  };
}
