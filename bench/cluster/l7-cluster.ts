// The L7 benchmark topology (contract: l7-cluster-types.ts): the two-node local cluster of the L4
// scenarios with namespaces `l7-plain` (no mesh; HAProxy's servers), `l7-mesh` (ambient, Service
// VIP, no waypoint) and `l7-waypoint` (ambient, a waypoint enrolled for the namespace, pinned to
// node2 — beside the servers, where HAProxy runs too, so both L7 hops sit at the same place —
// with an HTTPRoute), HAProxy (and its TLS variant) in node2's netns, CPU pinning (every proxy
// process on core 0, servers and load on core 1), and every path checked before it is measured.

import { cpus } from 'node:os';
import { basename } from 'node:path';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { nodeAddresses } from '../../localcluster/runtime';
import type { SampleTarget } from '../harness/sampler';
import type { ScenarioContext } from '../harness/scenario';
import { planCores } from './l4-plan';
import type { L7Cluster, L7ClusterOptions, L7Path, L7PathId } from './l7-cluster-types';
import { L7_PATH_IDS } from './l7-cluster-types';
import { bringUpCluster, deployL7Namespace, type NamespacePods } from './l7-cluster-up';
import { startHaproxy, type HaproxyProcesses } from './l7-haproxy';
import { L7_NAMESPACES, L7_SERVICE_PORT, L7_TARGET_PORT, SERVER_NODE } from './l7-manifests';
import { checkL7Paths } from './l7-path-check';
import { planHaproxy, urlOf } from './l7-plan';
import { deployWaypoint, waypointContext, type WaypointProcess } from './l7-waypoint';
import { placeProcess } from './pins';
import { findZtunnels, nodeNetns, waitMeshReady, type ZtunnelProcess } from './ztunnel-control';

/** The node the waypoint pod and HAProxy run on: node2, with the servers (see the header). */
export const L7_PROXY_NODE = SERVER_NODE;

export interface L7BenchCluster extends L7Cluster {
  readonly ztunnels: readonly ZtunnelProcess[];
  readonly waypoint?: WaypointProcess;
}

const target = (name: string, pid: number): SampleTarget => ({ name, pid });

export async function startL7Cluster(ctx: ScenarioContext, opts: L7ClusterOptions = {}): Promise<L7BenchCluster> {
  const want = new Set<L7PathId>(opts.paths ?? L7_PATH_IDS);
  const cores = planCores(cpus().length);
  const nice = ctx.supervisor.nice;
  const c = await bringUpCluster(ctx);
  const node1 = nodeAddresses(c.block, 1);
  const node2 = nodeAddresses(c.block, 2);
  const node1Netns = nodeNetns(c, 1);
  const node2Netns = nodeNetns(c, 2);

  const needPlain = want.has('direct') || want.has('haproxy') || want.has('haproxy-tls');
  const plain = needPlain ? await deployL7Namespace(ctx, c, L7_NAMESPACES.plain, false, cores.load) : undefined;
  const mesh = want.has('ztunnel') ? await deployL7Namespace(ctx, c, L7_NAMESPACES.mesh, true, cores.load) : undefined;
  const wp = want.has('waypoint') ? await deployL7Namespace(ctx, c, L7_NAMESPACES.waypoint, true, cores.load) : undefined;
  for (const ns of [mesh, wp]) {
    if (!ns) continue;
    ctx.log(`waiting until the ztunnels capture the ${ns.namespace} pods and know them as HBONE workloads`);
    await waitMeshReady(node1Netns, node2Netns, ns.client.ip, [ns.server.ip]);
  }
  const waypoint = wp ? await deployWaypoint(ctx, c, { namespace: wp.namespace, node: L7_PROXY_NODE, core: cores.tunnel, nice }) : undefined;
  const ztunnels = await findZtunnels(c, ['node1', 'node2']);
  for (const z of ztunnels) await placeProcess(z.pid, cores.tunnel, nice);
  const zt = (node: string): SampleTarget => {
    const z = ztunnels.find((x) => x.node === node) as ZtunnelProcess;
    return target(z.name, z.pid);
  };

  let proxies: HaproxyProcesses | undefined;
  const plan = plain ? planHaproxy(node1.nodeIP, node2.nodeIP, [{ host: plain.server.ip, port: L7_TARGET_PORT }]) : undefined;
  if (plan && (want.has('haproxy') || want.has('haproxy-tls'))) {
    proxies = await startHaproxy(ctx, { plan, plain: want.has('haproxy'), tls: want.has('haproxy-tls'), node1Netns, node2Netns, core: cores.tunnel });
  }

  const paths: L7Path[] = [];
  const nsOf = new Map<L7PathId, NamespacePods>();
  for (const id of opts.paths ?? L7_PATH_IDS) {
    if (id === 'direct' && plain) {
      nsOf.set(id, plain);
      paths.push({ id, label: 'no mesh', description: 'plain client pod (node1) → plain server pod (node2) by pod IP: no proxy', url: urlOf({ host: plain.server.ip, port: L7_TARGET_PORT }), processes: [] });
    } else if (id === 'ztunnel' && mesh?.vip) {
      nsOf.set(id, mesh);
      paths.push({
        id, label: 'ztunnel only', description: 'ambient client pod (node1) → Service VIP: node1 ztunnel → HBONE → node2 ztunnel → ambient server pod (L4 only)',
        url: urlOf({ host: mesh.vip, port: L7_SERVICE_PORT }), processes: [zt('node1'), zt('node2')],
      });
    } else if (id === 'waypoint' && wp?.vip && waypoint) {
      nsOf.set(id, wp);
      paths.push({
        id, label: 'waypoint', description: `ambient client pod (node1) → Service VIP: node1 ztunnel → HBONE → waypoint pod (${L7_PROXY_NODE}; HTTP/1.1 parsed, HTTPRoute applied) → HBONE → node2 ztunnel → ambient server pod`,
        url: urlOf({ host: wp.vip, port: L7_SERVICE_PORT }), processes: [zt('node1'), target('waypoint', waypoint.pid), zt('node2')],
      });
    } else if (id === 'haproxy' && plain && plan && proxies) {
      nsOf.set(id, plain);
      paths.push({
        id, label: 'HAProxy', description: `plain client pod (node1) → HAProxy (mode http) in ${L7_PROXY_NODE} netns → plain server pod; plain HTTP, no mTLS`,
        url: urlOf(plan.plain.bind), processes: [target('haproxy', proxies.haproxy.pid)],
      });
    } else if (id === 'haproxy-tls' && plain && plan && proxies?.stunnelClient && proxies.stunnelServer) {
      nsOf.set(id, plain);
      paths.push({
        id, label: 'HAProxy + mTLS', description: `plain client pod (node1) → stunnel4 client in node1 netns → TLS 1.3 mTLS → HAProxy (mode http) in ${L7_PROXY_NODE} netns → TLS 1.3 mTLS → stunnel4 server in ${L7_PROXY_NODE} netns → plain server pod`,
        url: urlOf(plan.tls.stunnelClient.accept),
        processes: [target('stunnel-client', proxies.stunnelClient.pid), target('haproxy', proxies.haproxy.pid), target('stunnel-server', proxies.stunnelServer.pid)],
      });
    }
  }

  const netnsOf = (id: L7PathId): string => {
    const ns = nsOf.get(id);
    if (!ns) throw new MeshError(ErrorCode.InvalidArgument, `path ${id} was not set up (paths: ${paths.map((p) => p.id).join(', ')})`);
    return ns.clientNetns;
  };
  const runInClient: L7Cluster['runInClient'] = (id, command, args, o) => ctx.supervisor.run({
    name: `${basename(command)} ${id}`, command: 'ip', args: ['netns', 'exec', netnsOf(id), command, ...args], cpu: cores.load, timeoutMs: o.timeoutMs,
  });
  await checkL7Paths(paths, {
    netnsOf, node2Netns, log: ctx.log,
    context: (id) => (id === 'waypoint' && wp ? waypointContext(c, wp.namespace) : Promise.resolve('')),
  });
  ctx.log(`paths up and answering: ${paths.map((p) => p.label).join(', ')}`);

  const pods = (p: NamespacePods | undefined): Record<string, string> | undefined => p && { client: p.client.ip, server: p.server.ip, ...(p.vip ? { vip: p.vip } : {}) };
  const settings = {
    cluster: c.name, block: c.block,
    nodes: [{ name: 'node1', ip: node1.nodeIP, role: 'clients' }, { name: 'node2', ip: node2.nodeIP, role: 'servers, waypoint, HAProxy' }],
    cores: { proxy: cores.tunnel, load: cores.load }, nice,
    pinning: cores.tunnel === undefined ? 'none (fewer than 2 cores)' : `ztunnels, waypoint, HAProxy and stunnels on core ${cores.tunnel}; server pods and load generators on core ${cores.load}`,
    pods: Object.fromEntries(Object.entries({ [L7_NAMESPACES.plain]: pods(plain), [L7_NAMESPACES.mesh]: pods(mesh), [L7_NAMESPACES.waypoint]: pods(wp) }).filter(([, v]) => v !== undefined)),
    ztunnels: ztunnels.map((z) => ({ name: z.name, pid: z.pid })),
    ...(waypoint ? { waypoint: { pod: `${L7_NAMESPACES.waypoint}/${waypoint.pod.name}`, node: waypoint.pod.node, ip: waypoint.pod.ip, pid: waypoint.pid } } : {}),
    ...(plan && proxies ? { haproxy: { plain: want.has('haproxy') ? urlOf(plan.plain.bind) : undefined, tls: want.has('haproxy-tls') ? `${urlOf(plan.tls.stunnelClient.accept)} → ${plan.tls.haproxyBind.host}:${plan.tls.haproxyBind.port} → ${plan.tls.stunnelServer.map((s) => `${s.accept.host}:${s.accept.port}`).join(', ')}` : undefined, threads: 1 } } : {}),
  };
  return { paths, settings, cores: { proxy: cores.tunnel, load: cores.load }, runInClient, ztunnels, ...(waypoint ? { waypoint } : {}) };
}
