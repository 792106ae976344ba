// Test-only helpers for the controller tests: an in-process Store with the `default` namespace,
// Ready nodes and running controllers, plus a kubelet-like pod status writer.

import { ApiError } from '../apiserver/errors';
import { Registry } from '../apiserver/registry';
import { Store } from '../apiserver/store';
import { KubeObject } from '../apiserver/types';
import { startControllers } from './index';
import { isPodReady, podIpv4, rec } from './object-access';
import { ControllerTypes, resolveTypes } from './resource-types';

export const SERVICE_CIDR = '198.19.0.0/17';

export interface TestCluster {
  store: Store;
  types: ControllerTypes;
  idle(): Promise<void>;
  stop(): void;
}

export function nodeObject(name: string, index: number, opts: { ready?: boolean; labels?: Record<string, string>; unschedulable?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(opts.labels ?? {}) } },
    spec: { podCIDR: `198.18.${index + 1}.0/24`, ...(opts.unschedulable ? { unschedulable: true } : {}) },
    status: {
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', reason: 'KubeletReady' }],
      addresses: [{ type: 'InternalIP', address: `198.18.0.${index + 10}` }],
    },
  };
}

/** Creates a node with its status (status is a subresource, so it is written separately). */
export function addNode(store: Store, types: ControllerTypes, node: KubeObject): KubeObject {
  const created = store.create(types.nodes, node);
  return store.update(types.nodes, { ...structuredClone(created), status: structuredClone(node.status) }, { subresource: 'status' });
}

export async function testCluster(nodeNames: string[] = ['node-a', 'node-b']): Promise<TestCluster> {
  const store = await Store.open({});
  const registry = new Registry();
  const { types } = resolveTypes(registry);
  store.create(types.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  nodeNames.forEach((n, i) => addNode(store, types, nodeObject(n, i)));
  const running = startControllers(store, registry, {
    serviceCidr: SERVICE_CIDR, apiServerEndpoints: [{ ip: '198.18.0.1', port: 6443 }], resyncMs: 0,
  });
  return { store, types, idle: () => running.idle(), stop: () => running.stop() };
}

let podCount = 0;

function nextPodIp(): string {
  const n = podCount++;
  return `198.18.${200 + Math.floor(n / 250)}.${(n % 250) + 1}`;
}

/** What a kubelet would write: Running, an address from 198.18.200.0/24, Ready as given. */
export function setPodStatus(c: TestCluster, pod: KubeObject, ready: boolean): KubeObject {
  const current = c.store.get(c.types.pods, pod.metadata.namespace, pod.metadata.name ?? '');
  const ip = podIpv4(current) ?? nextPodIp();
  const status = {
    ...rec(current.status),
    phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: '198.18.0.10',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  };
  return c.store.update(c.types.pods, { ...structuredClone(current), status }, { subresource: 'status' });
}

/** Marks every unready pod (optionally only some) Ready, as kubelets starting them would. */
export function readyAll(c: TestCluster, filter: (p: KubeObject) => boolean = () => true): number {
  let n = 0;
  for (const p of c.store.list(c.types.pods).items) {
    if (!isPodReady(p) && filter(p)) { setPodStatus(c, p, true); n += 1; }
  }
  return n;
}

export function errorOf(fn: () => unknown): ApiError | undefined {
  try { fn(); } catch (e) { if (e instanceof ApiError) return e; throw e; }
  return undefined;
}
