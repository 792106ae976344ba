// The local cluster's supervisor: one process that owns the node network (runtime), the API
// server, the controllers, one kubelet per node and the Service proxy; starts them in order,
// recovers from a previous crash first, and tears everything down on shutdown.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { startApiServer, writeKubeconfig, ApiServer } from '../apiserver/server';
import { KubeObject } from '../apiserver/types';
import { timestamp } from '../apiserver/object-meta';
import { startControllers } from '../controllers';
import { Kubelet } from '../kubelet/kubelet';
import { ServiceProxy } from '../kubelet/service-proxy';
import { ClusterRuntime } from '../runtime';
import { killRecordedLeftovers } from '../runtime/pid-records';
import { readProcStat } from '../runtime/proc-stat';
import { ClusterConfig, nodeName, statePaths } from './config';
import { ReadyRecord } from './control';
import { missingPrerequisites } from './prereqs';

export const API_SERVER_POD_PORT = 6443;

export interface RunningCluster {
  api: ApiServer;
  ready: ReadyRecord;
  shutdown(): Promise<void>;
}

const log = (msg: string): void => { process.stdout.write(`${timestamp()} cluster: ${msg}\n`); };

function nodeObject(name: string, index: number, podCIDR: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        'ambit.dev/node-index': String(index),
      },
    },
    spec: { podCIDR, podCIDRs: [podCIDR] },
  };
}

function nodeStatus(name: string, nodeIP: string): Record<string, unknown> {
  const now = timestamp();
  return {
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ambit local kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
    addresses: [{ type: 'InternalIP', address: nodeIP }, { type: 'Hostname', address: name }],
    capacity: { cpu: '2', memory: '8Gi', pods: '250' },
    allocatable: { cpu: '2', memory: '8Gi', pods: '250' },
    nodeInfo: { kubeletVersion: 'v1.32.0-ambit', containerRuntimeVersion: 'ambit-local://1', operatingSystem: 'linux', architecture: process.arch, osImage: 'ambit local cluster', kernelVersion: '', kubeProxyVersion: 'v1.32.0-ambit', machineID: '', systemUUID: '', bootID: '' },
  };
}

export async function runCluster(config: ClusterConfig, distDir: string): Promise<RunningCluster> {
  const missing = await missingPrerequisites();
  if (missing.length) throw new Error(`cannot run the local cluster:\n  ${missing.join('\n  ')}`);
  const paths = statePaths(config.stateDir);
  await mkdir(config.stateDir, { recursive: true });
  const stat = await readProcStat(process.pid);
  await writeFile(paths.daemonPid, JSON.stringify({ pid: process.pid, startTime: stat?.startTime ?? '', config }));
  await writeFile(paths.config, JSON.stringify(config));

  const runtime = new ClusterRuntime({ cluster: config.name, block: config.block, nodeCount: config.nodes, stateDir: config.stateDir });
  const killed = await killRecordedLeftovers(config.stateDir);
  if (killed) log(`stopped ${killed} container process(es) left by a previous run`);
  await runtime.tearDown(); // anything a crashed run left behind: namespaces, links, rules
  await rm(paths.pods, { recursive: true, force: true });
  await runtime.setUp();
  try {
    return await startServices(config, distDir, runtime);
  } catch (err) {
    await runtime.tearDown().catch(() => undefined);
    throw err;
  }
}

async function startServices(config: ClusterConfig, distDir: string, runtime: ClusterRuntime): Promise<RunningCluster> {
  const paths = statePaths(config.stateDir);
  const plan = runtime.plan;
  log(`network ready: bridge ${plan.gatewayIP}, ${config.nodes} node(s)`);

  const api = await startApiServer({
    stateDir: paths.apiserver,
    listen: [{ host: '127.0.0.1', port: config.apiPort }, { host: plan.gatewayIP, port: API_SERVER_POD_PORT }],
    extraSans: { ips: [plan.gatewayIP, plan.kubernetesServiceIP] },
  });
  const server = `https://127.0.0.1:${config.apiPort}`;
  await writeKubeconfig(paths.kubeconfig, server, api.caPem, api.adminToken, `ambit-${config.name}`);
  log(`API server on ${api.urls.join(', ')}`);

  const nodesType = api.registry.find('', 'nodes')!;
  const names: string[] = [];
  for (const n of plan.nodes) {
    const name = nodeName(n.index);
    names.push(name);
    const existing = api.store.tryGet(nodesType, undefined, name) ?? api.store.create(nodesType, nodeObject(name, n.index, n.podCIDR));
    api.store.update(nodesType, { ...existing, status: nodeStatus(name, n.nodeIP) }, { subresource: 'status' });
  }
  for (const stale of api.store.list(nodesType).items) {
    if (!names.includes(stale.metadata.name ?? '')) api.store.delete(nodesType, undefined, stale.metadata.name ?? '');
  }

  const controllers = startControllers(api.store, api.registry, {
    serviceCidr: plan.serviceCIDR, apiServerEndpoints: [{ ip: plan.gatewayIP, port: API_SERVER_POD_PORT }],
  });
  const kubelets: Kubelet[] = [];
  const proxy = new ServiceProxy(api.store, api.registry, runtime, async () => { await Promise.all(kubelets.map((k) => k.refreshHosts())); });
  proxy.start();
  for (const n of plan.nodes) {
    kubelets.push(new Kubelet({
      nodeName: nodeName(n.index), nodeIndex: n.index, nodeIP: n.nodeIP, store: api.store, registry: api.registry,
      runtime, signer: api.signer, caPem: api.caPem, apiServer: { host: plan.kubernetesServiceIP, port: 443 },
      tokenAudiences: [api.issuer], distDir, stateDir: config.stateDir, services: () => proxy.serviceNames(),
    }));
  }
  for (const k of kubelets) k.start();

  const ready: ReadyRecord = { pid: process.pid, kubeconfig: paths.kubeconfig, apiServer: server, nodes: names };
  await writeFile(paths.ready, JSON.stringify(ready));
  log('ready');

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      log('shutting down');
      await rm(paths.ready, { force: true });
      controllers.stop();
      proxy.stop();
      await Promise.all(kubelets.map((k) => k.stop()));
      await runtime.tearDown();
      await api.close();
      await rm(paths.pods, { recursive: true, force: true });
      await rm(paths.daemonPid, { force: true });
      log('stopped');
    })();
    return stopping;
  };
  return { api, ready, shutdown };
}
