// Names of everything a local cluster creates on the machine (pure): bridge, veths, network
// namespaces, /etc/netns directories, pid files; plus the matching rules leftover detection uses.

import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Lower-case letters and digits, starting with a letter, at most 8 characters. */
const CLUSTER_NAME = /^[a-z][a-z0-9]{0,7}$/;

/** Directory `ip netns exec` bind-mounts files from (hosts, resolv.conf). */
export const ETC_NETNS_DIR = '/etc/netns';

/**
 * Throws unless `name` can name a cluster. Besides the character rules, a name may not end in
 * `n<digits>`: the bridge of such a cluster (`<name>0`) could equal a node veth of another
 * cluster (`<other>n<i>`), which would make leftover detection ambiguous.
 */
export function validateClusterName(name: string): void {
  if (!CLUSTER_NAME.test(name)) {
    throw new Error(`cluster name '${name}' is invalid: use 1-8 lower-case letters or digits, starting with a letter`);
  }
  if (/n[0-9]+$/.test(name)) {
    throw new Error(`cluster name '${name}' is invalid: it may not end in 'n' followed by digits`);
  }
}

/** Hex digest of a pod UID; its first 12 characters name the pod netns, its first 8 the veth. */
export function podHash(uid: string): string {
  return createHash('sha256').update(uid).digest('hex');
}

export function bridgeName(cluster: string): string {
  return `${cluster}0`;
}

/** Host-side veth of node `index` (attached to the bridge). */
export function hostVethName(cluster: string, index: number): string {
  return `${cluster}n${index}`;
}

export function nodeNetnsName(cluster: string, index: number): string {
  return `${cluster}-node${index}`;
}

/** Pod netns: `<cluster>-<12 hex>` (at most 21 characters). */
export function podNetnsName(cluster: string, uid: string): string {
  return `${cluster}-${podHash(uid).slice(0, 12)}`;
}

/** Node-side veth of a pod, inside the node netns: `av<8 hex>` (10 characters). */
export function podVethName(uid: string): string {
  return `av${podHash(uid).slice(0, 8)}`;
}

export function etcNetnsDir(netns: string): string {
  return join(ETC_NETNS_DIR, netns);
}

export function pidDir(stateDir: string): string {
  return join(stateDir, 'pids');
}

export function logDir(stateDir: string): string {
  return join(stateDir, 'logs');
}

/** Keeps a name safe as one path component (pod UIDs, container names, namespaces). */
export function fileSafe(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function pidFileName(uid: string, container: string): string {
  return `${fileSafe(uid)}-${fileSafe(container)}.json`;
}

export function logFileName(namespace: string, pod: string, container: string): string {
  return `${fileSafe(namespace)}_${fileSafe(pod)}_${fileSafe(container)}.log`;
}

/** Node index when `netns` is a node netns of `cluster`, else null. */
export function nodeIndexOfNetns(cluster: string, netns: string): number | null {
  const prefix = `${cluster}-node`;
  if (!netns.startsWith(prefix)) return null;
  const rest = netns.slice(prefix.length);
  return /^[1-9][0-9]*$/.test(rest) ? Number(rest) : null;
}

/** True for every netns name (node or pod) that belongs to `cluster`. */
export function isClusterNetns(cluster: string, netns: string): boolean {
  if (nodeIndexOfNetns(cluster, netns) !== null) return true;
  return new RegExp(`^${cluster}-[0-9a-f]{12}$`).test(netns);
}

/** True for the bridge and the host-side node veths of `cluster`. */
export function isClusterLink(cluster: string, link: string): boolean {
  return link === bridgeName(cluster) || new RegExp(`^${cluster}n[1-9][0-9]*$`).test(link);
}
