// The waypoint of the L7 topology, deployed as a user would: `ambit waypoint apply -n <ns>
// --enroll-namespace --wait` (istiod creates its Deployment), then the Deployment is given a
// nodeSelector so the one waypoint pod runs on the chosen node, its process is pinned to the proxy
// core, and the HTTPRoute of the path is applied. On failure the error carries the waypoint's
// status and the pod's log (`ambit local logs`).

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';
import { readPidRecords } from '../../localcluster/runtime/pid-records';
import type { ScenarioContext } from '../harness/scenario';
import { ambit, kubectl, listPods, until, type ClusterHandle, type PodInfo } from './kube-cli';
import { recordOf } from './l4-plan';
import { renderL7Route, type L7Namespace } from './l7-manifests';
import { nodeSelectorPatch, settledWaypointPod } from './l7-plan';
import { placeProcess } from './pins';

export const WAYPOINT_NAME = 'waypoint';
const GATEWAY_LABEL = 'gateway.networking.k8s.io/gateway-name';
const ROLLOUT_TIMEOUT_MS = 150_000;

export interface WaypointProcess {
  readonly pod: PodInfo;
  readonly pid: number;
  /** The waypoint pod's network namespace (its metrics port is inside). */
  readonly netns: string;
}

/** The waypoint's status and its pod's recent log, for error messages and the report. */
export async function waypointContext(c: ClusterHandle, ns: string): Promise<string> {
  const status = await ambit(c, ['waypoint', 'status', '-n', ns], 30_000).catch((e: unknown) => describeError(e));
  const pods = await listPods(c, ns, `${GATEWAY_LABEL}=${WAYPOINT_NAME}`).catch(() => []);
  const logs: string[] = [];
  for (const p of pods) {
    const text = await ambit(c, ['local', 'logs', `${ns}/${p.name}`], 30_000).catch((e: unknown) => describeError(e));
    logs.push(`log of ${ns}/${p.name} (${p.node || 'unscheduled'}, ${p.ready ? 'ready' : 'not ready'}), last lines:\n${text.split('\n').slice(-40).join('\n')}`);
  }
  return [`ambit waypoint status -n ${ns}:`, status.trim(), ...logs].join('\n');
}

export interface WaypointOptions {
  readonly namespace: L7Namespace;
  /** Node the waypoint pod must run on. */
  readonly node: string;
  readonly core?: number;
  readonly nice?: number;
}

export async function deployWaypoint(ctx: ScenarioContext, c: ClusterHandle, o: WaypointOptions): Promise<WaypointProcess> {
  const ns = o.namespace;
  ctx.log(`deploying the waypoint: ambit waypoint apply -n ${ns} --enroll-namespace --wait`);
  try {
    await ambit(c, ['waypoint', 'apply', '-n', ns, '--enroll-namespace', '--wait', '--timeout', '150s'], 180_000);
  } catch (err) {
    throw new MeshError(ErrorCode.Unavailable, `the waypoint in ${ns} did not become ready\n${await waypointContext(c, ns)}`, { cause: err });
  }
  await kubectl(c, ['patch', 'deployment', WAYPOINT_NAME, '-n', ns, '--type', 'merge', '-p', nodeSelectorPatch(o.node)]);
  let waiting = '';
  const pod = await until(`the waypoint pod on ${o.node}`, async () => {
    const settled = settledWaypointPod(await listPods(c, ns, `${GATEWAY_LABEL}=${WAYPOINT_NAME}`), o.node);
    if (typeof settled === 'string') {
      if (settled !== waiting) ctx.log(`  ${settled}`);
      waiting = settled;
      return undefined;
    }
    return settled;
  }, ROLLOUT_TIMEOUT_MS, () => waypointContext(c, ns));
  const record = recordOf((await readPidRecords(c.stateDir)).map((r) => r.record), pod.uid);
  if (!record) throw new MeshError(ErrorCode.NotFound, `no pid record for the waypoint pod ${ns}/${pod.name} (uid ${pod.uid}) in ${c.stateDir}/pids`);
  await placeProcess(record.pid, o.core, o.nice);

  const routeFile = join(ctx.tmpDir, `l7-route-${ns}.yaml`);
  await writeFile(routeFile, renderL7Route(ns));
  await kubectl(c, ['apply', '-f', routeFile]);
  ctx.log(`waypoint ${ns}/${pod.name} ready on ${pod.node} (${pod.ip}, pid ${record.pid}); HTTPRoute applied`);
  return { pod, pid: record.pid, netns: record.netns };
}
