// Host bridge and node network namespaces: the `<cluster>0` bridge with the gateway address and a
// route to each node's pod CIDR, and per node a netns wired to the bridge by a veth, forwarding on.
// Every step is idempotent, so setting up over a half-built cluster completes it.

import type { AddressPlan, NodeAddresses } from './address-plan';
import { ip } from './exec';
import { ensureDnsFiles } from './netns-files';
import { ipBatch, listLinks, netnsExists, setSysctls, type LinkInfo } from './netns-ops';
import { bridgeName, hostVethName, nodeNetnsName } from './names';

/** Refuses to set up when another interface already holds an address of this block's node subnet. */
export function findBlockConflict(cluster: string, plan: AddressPlan, links: readonly LinkInfo[]): string | null {
  const prefix = plan.gatewayIP.slice(0, plan.gatewayIP.lastIndexOf('.') + 1);
  for (const link of links) {
    if (link.name === bridgeName(cluster)) continue;
    const clash = link.addresses.find((a) => a.family === 'inet' && a.local.startsWith(prefix));
    if (clash) {
      return (
        `cluster block ${plan.block} (${plan.nodeSubnet}) is already used by interface ${link.name} (${clash.local}); ` +
        `is another local cluster running? Tear it down or use block ${plan.block === 0 ? 1 : 0}`
      );
    }
  }
  return null;
}

/** Creates (or completes) the bridge with the gateway address. */
export async function ensureBridge(cluster: string, plan: AddressPlan): Promise<void> {
  const links = await listLinks();
  const conflict = findBlockConflict(cluster, plan, links);
  if (conflict) throw new Error(conflict);
  const br = bridgeName(cluster);
  const existing = links.find((l) => l.name === br);
  if (existing && existing.kind !== 'bridge') {
    throw new Error(`interface ${br} exists and is not a bridge (kind ${existing.kind ?? 'unknown'}); choose another cluster name`);
  }
  const commands = existing ? [] : [`link add ${br} type bridge`];
  commands.push(`addr replace ${plan.gatewayIP}/${plan.bridgePrefixLength} dev ${br}`, `link set ${br} up`);
  await ipBatch(null, commands);
}

/** Creates (or completes) node `node.index`: netns, veth to the bridge, addresses, routes, sysctls, host route. */
export async function ensureNode(cluster: string, plan: AddressPlan, node: NodeAddresses): Promise<void> {
  const ns = nodeNetnsName(cluster, node.index);
  const hostSide = hostVethName(cluster, node.index);
  const br = bridgeName(cluster);
  if (!(await netnsExists(ns))) await ip(['netns', 'add', ns]);
  const hostLink = (await listLinks()).find((l) => l.name === hostSide);
  const nodeHasEth0 = (await listLinks(ns)).some((l) => l.name === 'eth0');
  if (hostLink?.kind !== 'veth' || !nodeHasEth0) {
    // Half-built node: start its link over.
    if (hostLink) await ip(['link', 'del', hostSide]);
    if (nodeHasEth0) await ip(['-n', ns, 'link', 'del', 'eth0'], { allowFailure: true });
    await ip(['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  }
  await ipBatch(null, [`link set ${hostSide} master ${br}`, `link set ${hostSide} up`]);
  const inNode = [
    `addr replace ${node.nodeIP}/${plan.bridgePrefixLength} dev eth0`,
    'link set lo up',
    'link set eth0 up',
    `route replace default via ${plan.gatewayIP} dev eth0`,
    ...plan.nodes.filter((n) => n.index !== node.index).map((n) => `route replace ${n.podCIDR} via ${n.nodeIP} dev eth0`),
  ];
  await ipBatch(ns, inNode);
  await setSysctls(ns, {
    'net/ipv4/ip_forward': '1',
    'net/ipv4/conf/all/rp_filter': '0',
    'net/ipv4/conf/default/rp_filter': '0',
    'net/ipv4/conf/eth0/rp_filter': '0',
    'net/ipv4/conf/all/route_localnet': '1',
  });
  await ip(['route', 'replace', node.podCIDR, 'via', node.nodeIP, 'dev', br]);
  await ensureDnsFiles(ns, { namespace: null, hostname: ns, ip: node.nodeIP });
}
