// Finding and removing everything a local cluster put on the machine, by name rather than from
// memory, so it also works after a crash: processes, pod and node netns, host links (and with the
// bridge its routes), /etc/netns files and the service-account mount point.

import { errorMessage, ip, ipIn } from './exec';
import { listEtcNetns, removeDnsFiles, removeEtcNetnsIfEmpty } from './netns-files';
import { killNetnsProcesses, listLinks, listNetns, type LinkInfo } from './netns-ops';
import { bridgeName, etcNetnsDir, isClusterLink, isClusterNetns, nodeIndexOfNetns, validateClusterName } from './names';
import { isRecordAlive, killRecordedLeftovers, readPidRecords } from './pid-records';
import { removeCreatedMountpoints } from './sa-mountpoint';

function clusterLinks(cluster: string, links: readonly LinkInfo[]): LinkInfo[] {
  return links.filter((l) => isClusterLink(cluster, l.name) && l.kind === (l.name === bridgeName(cluster) ? 'bridge' : 'veth'));
}

/**
 * Everything still present for `cluster`: netns names, host links, /etc/netns directories and,
 * when `stateDir` is given, pid files of processes still running. Empty after a clean teardown.
 */
export async function findLeftovers(cluster: string, stateDir?: string): Promise<string[]> {
  validateClusterName(cluster);
  const found: string[] = [];
  for (const ns of await listNetns()) if (isClusterNetns(cluster, ns)) found.push(`netns ${ns}`);
  for (const link of clusterLinks(cluster, await listLinks())) found.push(`link ${link.name} (${link.kind ?? 'unknown'})`);
  for (const name of await listEtcNetns()) if (isClusterNetns(cluster, name)) found.push(`dir ${etcNetnsDir(name)}`);
  if (stateDir !== undefined) {
    for (const { path, record } of await readPidRecords(stateDir)) {
      if (record && (await isRecordAlive(record))) found.push(`process ${record.pid} (${path})`);
    }
  }
  return found;
}

/**
 * Removes every trace of `cluster` (see findLeftovers), killing recorded containers and any other
 * process inside its netns first. Keeps going past failures and reports them all at the end.
 */
export async function tearDownCluster(cluster: string, stateDir?: string): Promise<void> {
  validateClusterName(cluster);
  const failures: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      failures.push(`${what}: ${errorMessage(e)}`);
    }
  };
  if (stateDir !== undefined) await attempt('killing recorded containers', () => killRecordedLeftovers(stateDir));
  const namespaces = (await listNetns()).filter((ns) => isClusterNetns(cluster, ns));
  await Promise.all(namespaces.map((ns) => attempt(`killing processes in ${ns}`, () => killNetnsProcesses(ns))));
  const pods = namespaces.filter((ns) => nodeIndexOfNetns(cluster, ns) === null);
  const nodes = namespaces.filter((ns) => nodeIndexOfNetns(cluster, ns) !== null);
  for (const ns of pods) {
    // Deleting the veth explicitly frees it now; a netns is dismantled asynchronously.
    await attempt(`deleting eth0 of ${ns}`, () => ipIn(ns, ['link', 'del', 'eth0'], { allowFailure: true }));
    await attempt(`deleting netns ${ns}`, () => ip(['netns', 'del', ns]));
  }
  const links = clusterLinks(cluster, await listLinks());
  for (const link of links.filter((l) => l.kind === 'veth')) await attempt(`deleting link ${link.name}`, () => ip(['link', 'del', link.name]));
  for (const ns of nodes) await attempt(`deleting netns ${ns}`, () => ip(['netns', 'del', ns]));
  for (const link of links.filter((l) => l.kind === 'bridge')) await attempt(`deleting bridge ${link.name}`, () => ip(['link', 'del', link.name]));
  for (const name of await listEtcNetns()) {
    if (isClusterNetns(cluster, name)) await attempt(`removing ${etcNetnsDir(name)}`, () => removeDnsFiles(name));
  }
  await attempt('removing /etc/netns', () => removeEtcNetnsIfEmpty());
  if (stateDir !== undefined) await attempt('removing the service-account mount point', () => removeCreatedMountpoints(stateDir));
  if (failures.length) throw new Error(`tearing down cluster '${cluster}' left problems:\n- ${failures.join('\n- ')}`);
}
