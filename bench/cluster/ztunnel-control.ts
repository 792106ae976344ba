// The benchmark's handle on the local cluster's ztunnels: their pids (from the kubelet's pid
// records), their admin answers inside the node netns, V8 CPU profiling switched on through the
// DaemonSet (the container's command gains `--cpu-prof`: Node 20 refuses it in NODE_OPTIONS), and
// a clean stop that makes them write their profiles, summarised per node afterwards.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { nodeNetnsName } from '../../localcluster/runtime/names';
import { readPidRecords, waitGone } from '../../localcluster/runtime/pid-records';
import { asCpuProfile, summarizeCpuProfile, type ProfileSummary } from '../harness/cpu-profile';
import { inNetns, kubectl, listPods, until, type ClusterHandle } from './kube-cli';
import { capturedPods, hboneWorkloadIPs, recordOf } from './l4-plan';

export const ZTUNNEL_NAMESPACE = 'istio-system';
export const ZTUNNEL_CONTAINER = 'istio-proxy';

export interface ZtunnelProcess {
  /** `ztunnel-node1`, `ztunnel-node2`. */
  readonly name: string;
  readonly node: string;
  readonly netns: string;
  readonly pid: number;
}

/** The running ztunnel of each node (ready pods only), by their pid records. */
export async function findZtunnels(c: ClusterHandle, nodes: readonly string[]): Promise<ZtunnelProcess[]> {
  const pods = (await listPods(c, ZTUNNEL_NAMESPACE, 'app=ztunnel')).filter((p) => p.ready);
  const records = (await readPidRecords(c.stateDir)).map((r) => r.record);
  const out: ZtunnelProcess[] = [];
  for (const node of nodes) {
    const pod = pods.find((p) => p.node === node);
    const rec = pod ? recordOf(records, pod.uid, ZTUNNEL_CONTAINER) : undefined;
    if (!pod || !rec) throw new MeshError(ErrorCode.NotFound, `no running ztunnel on ${node} (pod ${pod?.name ?? 'missing'}, pid record ${rec ? 'found' : 'missing'})`);
    out.push({ name: `ztunnel-${node}`, node, netns: rec.netns, pid: rec.pid });
  }
  return out;
}

export function nodeNetns(c: ClusterHandle, index: number): string {
  return nodeNetnsName(c.name, index);
}

/** GET on a ztunnel admin/stats port inside the node's network namespace. */
export function ztunnelGet(netns: string, url: string): Promise<string> {
  return inNetns(netns, 'curl', ['-sS', '--max-time', '5', url]);
}

export async function configDump(netns: string): Promise<unknown> {
  return JSON.parse(await ztunnelGet(netns, 'http://127.0.0.1:15000/config_dump')) as unknown;
}

export function ztunnelMetrics(netns: string): Promise<string> {
  return ztunnelGet(netns, 'http://127.0.0.1:15020/metrics');
}

/**
 * Restarts the ztunnels under `node --cpu-prof --cpu-prof-dir=<dir>` (a JSON patch of the
 * DaemonSet's container command; the rolling update replaces one pod per node) and waits until
 * the rollout is done and every node's ztunnel is ready again.
 */
export async function enableZtunnelProfiles(c: ClusterHandle, repoRoot: string, dir: string): Promise<void> {
  const command = [process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, join(repoRoot, 'dist', 'ztunnel', 'main.js')];
  const patch = [{ op: 'add', path: '/spec/template/spec/containers/0/command', value: command }];
  await kubectl(c, ['patch', 'daemonset', 'ztunnel', '-n', ZTUNNEL_NAMESPACE, '--type', 'json', '-p', JSON.stringify(patch)]);
  await kubectl(c, ['rollout', 'status', 'daemonset/ztunnel', '-n', ZTUNNEL_NAMESPACE, '--timeout', '120s'], 130_000);
}

/**
 * Deletes the ztunnel DaemonSet (its pods go with it: SIGTERM, ztunnel drains and exits, Node
 * writes the CPU profile) and waits until every given process is gone. False if one overstayed.
 */
export async function stopZtunnels(c: ClusterHandle, ztunnels: readonly ZtunnelProcess[], timeoutMs = 60_000): Promise<boolean> {
  await kubectl(c, ['delete', 'daemonset', 'ztunnel', '-n', ZTUNNEL_NAMESPACE, '--ignore-not-found', '--wait=true', `--timeout=${Math.round(timeoutMs / 1000)}s`], timeoutMs + 10_000);
  return waitGone(ztunnels.map((z) => z.pid), timeoutMs);
}

export interface NamedProfile {
  readonly process: string;
  readonly summary: ProfileSummary;
}

/**
 * Summaries of the `.cpuprofile` files in `dir`, named by the ztunnel whose pid is in the file
 * name (`CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile`); profiles of other pids (a ztunnel that
 * restarted) are named `ztunnel pid <pid>`.
 */
export async function summarizeZtunnelProfiles(dir: string, ztunnels: readonly ZtunnelProcess[], log: (line: string) => void, topN = 15): Promise<NamedProfile[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  } catch {
    return [];
  }
  const out: NamedProfile[] = [];
  for (const file of files) {
    const pid = Number(/^CPU\.\d+\.\d+\.(\d+)\./.exec(file)?.[1] ?? Number.NaN);
    const name = ztunnels.find((z) => z.pid === pid)?.name ?? `ztunnel pid ${Number.isNaN(pid) ? '?' : pid}`;
    const profile = asCpuProfile(JSON.parse(await readFile(join(dir, file), 'utf8')) as unknown);
    if (typeof profile === 'string') {
      log(`${file}: ${profile}`);
      continue;
    }
    out.push({ process: name, summary: summarizeCpuProfile(profile, topN) });
  }
  return out.sort((a, b) => a.process.localeCompare(b.process));
}

/**
 * Waits until the mesh is in force for the benchmark pods: node1's ztunnel captures the client and
 * knows every server as an HBONE workload (else it would pass the traffic through in plain text),
 * and node2's ztunnel captures every server.
 */
export async function waitMeshReady(node1Netns: string, node2Netns: string, clientIP: string, serverIPs: readonly string[], timeoutMs = 60_000): Promise<void> {
  const has = (list: readonly string[], want: readonly string[]): boolean => want.every((ip) => list.includes(ip));
  await until(`node1's ztunnel to capture ${clientIP} and know ${serverIPs.join(', ')} as HBONE`, async () => {
    const dump = await configDump(node1Netns);
    return has(capturedPods(dump), [clientIP]) && has(hboneWorkloadIPs(dump), serverIPs) ? true : undefined;
  }, timeoutMs);
  await until(`node2's ztunnel to capture ${serverIPs.join(', ')}`, async () => (has(capturedPods(await configDump(node2Netns)), serverIPs) ? true : undefined), timeoutMs);
}
