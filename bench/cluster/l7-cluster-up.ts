// Bringing up the L7 benchmark's own two-node local cluster, as the L4 topology does: the name and
// address block from AMBIT_BENCH_CLUSTER / AMBIT_BENCH_BLOCK, a refusal when another cluster holds
// the block's bridge address, `ambit local down` (then the leftover check) registered as cleanup
// before `ambit local up`, then `ambit install`. Also the namespaces' pods as plain data.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';
import { findLeftovers, planAddresses } from '../../localcluster/runtime';
import { readPidRecords } from '../../localcluster/runtime/pid-records';
import type { ScenarioContext } from '../harness/scenario';
import { whichBinary } from '../harness/tools';
import { ambit, clusterHandle, kubectl, listPods, runCommand, until, type ClusterHandle, type PodInfo } from './kube-cli';
import { benchClusterIdentity, interfaceWithAddress, recordOf } from './l4-plan';
import { L7_CLIENT_POD, L7_SERVER_POD, L7_SERVICE, renderL7Namespace, type L7Namespace } from './l7-manifests';
import { placeProcess } from './pins';

const POD_READY_TIMEOUT_MS = 120_000;

export async function clusterContext(c: ClusterHandle): Promise<string> {
  const pods = await kubectl(c, ['get', 'pods', '-A', '-o', 'wide']).catch((e: unknown) => describeError(e));
  const log = (await readFile(join(c.stateDir, 'logs', 'cluster.log'), 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');
  return `${pods}\ncluster log (last lines):\n${log}`;
}

/** Starts the cluster and installs ambit; its teardown is registered before anything starts. */
export async function bringUpCluster(ctx: ScenarioContext): Promise<ClusterHandle> {
  if ((await whichBinary('kubectl')) === undefined) throw new MeshError(ErrorCode.Unavailable, 'the L7 benchmarks drive the local cluster with kubectl, which is not on PATH');
  const { name, block } = benchClusterIdentity(process.env);
  const stateRoot = join(ctx.tmpDir, 'cluster');
  await mkdir(stateRoot, { recursive: true });
  const c = clusterHandle(ctx.repoRoot, stateRoot, name, block);
  const gateway = planAddresses(block, 2).gatewayIP;
  const holder = interfaceWithAddress(await runCommand('ip', ['-o', '-4', 'addr', 'show'], { timeoutMs: 10_000 }), gateway);
  if (holder !== undefined) {
    const ours = holder === `${name}0` ? `; if it is left over from an interrupted benchmark run, remove it with: AMBIT_CLUSTER=${name} ambit local down --block ${block}` : '';
    throw new MeshError(ErrorCode.Unavailable, `address block ${block} is in use on this machine (${holder} holds ${gateway}); run with AMBIT_BENCH_BLOCK=${1 - block} or stop that cluster${ours}`);
  }
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
  ctx.log(`starting local cluster '${name}' (2 nodes, address block ${block}, state in ${stateRoot})`);
  await ambit(c, ['local', 'up', '--nodes', '2', '--block', String(block)]);
  await ambit(c, ['install', '--timeout', '180s']);
  return c;
}

export interface NamespacePods {
  readonly namespace: L7Namespace;
  readonly client: PodInfo;
  readonly clientNetns: string;
  readonly server: PodInfo;
  /** The Service VIP (ambient namespaces only). */
  readonly vip?: string;
}

/** Applies a namespace's objects, waits for its pods, pins the server pod to the load core. */
export async function deployL7Namespace(ctx: ScenarioContext, c: ClusterHandle, ns: L7Namespace, ambient: boolean, loadCore: number | undefined): Promise<NamespacePods> {
  const file = join(ctx.tmpDir, `${ns}.yaml`);
  await writeFile(file, renderL7Namespace({ namespace: ns, ambient, repoRoot: ctx.repoRoot, nodeBinary: process.execPath }));
  await kubectl(c, ['apply', '-f', file]);
  const pods = await until(`pods ${L7_CLIENT_POD}, ${L7_SERVER_POD} ready in ${ns}`, async () => {
    const ready = new Map((await listPods(c, ns)).filter((p) => p.ready && p.ip !== '').map((p) => [p.name, p]));
    return ready.has(L7_CLIENT_POD) && ready.has(L7_SERVER_POD) ? ready : undefined;
  }, POD_READY_TIMEOUT_MS, () => clusterContext(c));
  const records = (await readPidRecords(c.stateDir)).map((r) => r.record);
  const recordFor = (p: PodInfo): { pid: number; netns: string } => {
    const r = recordOf(records, p.uid);
    if (!r) throw new MeshError(ErrorCode.NotFound, `no pid record for pod ${ns}/${p.name} (uid ${p.uid}) in ${c.stateDir}/pids`);
    return r;
  };
  const client = pods.get(L7_CLIENT_POD) as PodInfo;
  const server = pods.get(L7_SERVER_POD) as PodInfo;
  await placeProcess(recordFor(server).pid, loadCore, ctx.supervisor.nice);
  let vip: string | undefined;
  if (ambient) {
    vip = (await kubectl(c, ['get', 'service', L7_SERVICE, '-n', ns, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(vip)) throw new MeshError(ErrorCode.Unavailable, `Service ${ns}/${L7_SERVICE} has no cluster IP (got '${vip}')`);
  }
  return { namespace: ns, client, clientNetns: recordFor(client).netns, server, ...(vip ? { vip } : {}) };
}
