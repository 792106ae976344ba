// Pod network namespaces: a netns per pod joined to its node netns by a veth (`av<hash>` on the
// node, `eth0` in the pod) with a /32 pod address routed by the node, so every pod packet crosses
// the node's IP stack. Addresses in use are read back from the node's routes (the ground truth).

import { allocatePodIP, isPodIPOf, type NodeAddresses } from './address-plan';
import { ip, ipIn } from './exec';
import { ensureDnsFiles, removeDnsFiles } from './netns-files';
import { ipBatch, killNetnsProcesses, listLinks, netnsExists, setSysctls } from './netns-ops';
import { nodeNetnsName, podNetnsName, podVethName } from './names';

export interface PodNetworkRequest {
  uid: string;
  nodeIndex: number;
  hostNetwork: boolean;
  /** Reused when it is a free pod address of the node (e.g. the IP in the pod's status). */
  preferredIP?: string;
}

export interface PodNetwork {
  podIP: string;
  netns: string;
}

interface RouteEntry {
  dst: string;
  dev: string;
}

async function routes(netns: string): Promise<RouteEntry[]> {
  const { stdout } = await ipIn(netns, ['-j', '-4', 'route', 'show']);
  const parsed: unknown = JSON.parse(stdout || '[]');
  if (!Array.isArray(parsed)) return [];
  return (parsed as unknown[]).flatMap((r) => {
    if (typeof r !== 'object' || r === null) return [];
    const { dst, dev } = r as Record<string, unknown>;
    return typeof dst === 'string' && typeof dev === 'string' ? [{ dst, dev }] : [];
  });
}

/** Pod IPs of a node: /32 routes through pod veths in the node netns. */
export async function podIPsInUse(cluster: string, node: NodeAddresses): Promise<Set<string>> {
  const inNode = await routes(nodeNetnsName(cluster, node.index));
  return new Set(inNode.filter((r) => r.dev.startsWith('av') && isPodIPOf(node, r.dst)).map((r) => r.dst));
}

/** The pod's address when its netns, both veth ends and the node route are all in place; else null. */
async function existingPodIP(cluster: string, node: NodeAddresses, uid: string): Promise<string | null> {
  const ns = podNetnsName(cluster, uid);
  if (!(await netnsExists(ns))) return null;
  const eth0 = (await listLinks(ns)).find((l) => l.name === 'eth0');
  const podIP = eth0?.addresses.find((a) => a.family === 'inet' && a.prefixlen === 32)?.local;
  if (!podIP || !isPodIPOf(node, podIP)) return null;
  const nodeRoutes = await routes(nodeNetnsName(cluster, node.index));
  return nodeRoutes.some((r) => r.dst === podIP && r.dev === podVethName(uid)) ? podIP : null;
}

/**
 * Creates the pod's netns and veth with a free address of the node (idempotent: an intact pod
 * network is returned as is, a half-built one is rebuilt). Callers serialize calls per node.
 */
export async function ensurePodNetwork(cluster: string, node: NodeAddresses, pod: PodNetworkRequest): Promise<PodNetwork> {
  const nodeNs = nodeNetnsName(cluster, node.index);
  if (pod.hostNetwork) return { podIP: node.nodeIP, netns: nodeNs };
  const ns = podNetnsName(cluster, pod.uid);
  const veth = podVethName(pod.uid);
  const existing = await existingPodIP(cluster, node, pod.uid);
  if (existing) return { podIP: existing, netns: ns };
  await deletePodLinks(cluster, pod.uid, nodeNs);
  const podIP = allocatePodIP(node, await podIPsInUse(cluster, node), pod.preferredIP);
  if (!podIP) throw new Error(`node ${node.index} has no free pod address left in ${node.podCIDR}`);
  if (!(await netnsExists(ns))) await ip(['netns', 'add', ns]);
  await ipBatch(nodeNs, [
    `link add ${veth} type veth peer name eth0 netns ${ns}`,
    `addr add ${node.podGateway}/32 dev ${veth}`,
    `link set ${veth} up`,
    `route replace ${podIP}/32 dev ${veth} scope link`,
  ]);
  await setSysctls(nodeNs, { [`net/ipv4/conf/${veth}/rp_filter`]: '0' });
  await ipBatch(ns, [
    `addr add ${podIP}/32 dev eth0`,
    'link set lo up',
    'link set eth0 up',
    `route replace ${node.podGateway}/32 dev eth0 scope link`,
    `route replace default via ${node.podGateway} dev eth0`,
  ]);
  await ensureDnsFiles(ns, { namespace: null, hostname: ns, ip: podIP });
  return { podIP, netns: ns };
}

/** Deletes the pod's veth pair right away (netns deletion alone frees it only asynchronously). */
async function deletePodLinks(cluster: string, uid: string, nodeNs: string | null): Promise<void> {
  const ns = podNetnsName(cluster, uid);
  if (await netnsExists(ns)) await ipIn(ns, ['link', 'del', 'eth0'], { allowFailure: true });
  if (nodeNs && (await netnsExists(nodeNs))) await ipIn(nodeNs, ['link', 'del', podVethName(uid)], { allowFailure: true });
}

/** Removes a pod's network: kills what still runs in it, deletes veth, netns and /etc/netns files. */
export async function removePodNetwork(cluster: string, uid: string): Promise<void> {
  const ns = podNetnsName(cluster, uid);
  if (await netnsExists(ns)) {
    await killNetnsProcesses(ns);
    await deletePodLinks(cluster, uid, null);
    await ip(['netns', 'del', ns], { allowFailure: true });
  }
  await removeDnsFiles(ns);
}
