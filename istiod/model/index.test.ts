// The AddressIndex on the in-memory MeshKube (the real list-watch loop): the first build, what
// each kind of event changes and reports (namespace enrollment, pod deletion and readiness, Service
// selectors, selector-less Services via EndpointSlices), and relists after 410 Gone that report
// only real changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Address, Workload } from '../../pkg/api/workload-types';
import { memoryLogger } from '../../pkg/log/logger';
import { memoryMeshKube, type MemoryMeshKube } from '../kube/memory-kube';
import type { AddressIndex } from './types';
import { startAddressIndex } from './index';
import { ns, pod, service, SETTINGS, slice } from './test-fixtures';

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const uid = (namespace: string, name: string): string => `Kubernetes//Pod/${namespace}/${name}`;
const workload = (a: Address | undefined): Workload => {
  assert.ok(a && a.kind === 'workload', 'expected a workload');
  return a.workload;
};

interface Fixture { kube: MemoryMeshKube; index: AddressIndex; changes: Set<string>[]; take(): string[] }

async function start(seed: (kube: MemoryMeshKube) => void): Promise<Fixture> {
  const kube = memoryMeshKube();
  seed(kube);
  const index = startAddressIndex({ kube, settings: SETTINGS, logger: memoryLogger() });
  const changes: Set<string>[] = [];
  index.onChange((names) => changes.push(new Set(names)));
  await index.synced;
  changes.length = 0;
  return {
    kube, index, changes,
    take: () => {
      const all = [...new Set(changes.flatMap((c) => [...c]))].sort();
      changes.length = 0;
      return all;
    },
  };
}

function shop(kube: MemoryMeshKube): void {
  kube.setNamespace(ns('shop'));
  kube.setNamespace(ns('other'));
  kube.setPod(pod('shop', 'web-1', { podIPs: ['198.18.1.10'] }));
  kube.setPod(pod('shop', 'web-2', { podIPs: ['198.18.2.10'], nodeName: 'node-2' }));
  kube.setPod(pod('shop', 'db-0', { labels: { app: 'db' }, podIPs: ['198.18.1.11'] }));
  kube.setPod(pod('other', 'web-1', { podIPs: ['198.18.1.12'] }));
  kube.setService(service('shop', 'web'));
}

test('the first build holds every workload and service, and synced resolves after it', async () => {
  const f = await start(shop);
  try {
    assert.deepEqual([...f.index.addresses().keys()].sort(), [
      uid('other', 'web-1'), uid('shop', 'db-0'), uid('shop', 'web-1'), uid('shop', 'web-2'), 'shop/web.shop.svc.cluster.local',
    ]);
    assert.deepEqual(Object.keys(workload(f.index.addresses().get(uid('shop', 'web-1'))).services), ['shop/web.shop.svc.cluster.local']);
    assert.deepEqual(workload(f.index.addresses().get(uid('other', 'web-1'))).services, {}, 'selectors stay in their namespace');
  } finally {
    await f.index.stop();
  }
});

test('labelling a namespace ambient switches exactly its pods to HBONE', async () => {
  const f = await start(shop);
  try {
    f.kube.setNamespace(ns('shop', { 'istio.io/dataplane-mode': 'ambient' }));
    await until('a change', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'db-0'), uid('shop', 'web-1'), uid('shop', 'web-2')]);
    for (const name of ['db-0', 'web-1', 'web-2']) assert.equal(workload(f.index.addresses().get(uid('shop', name))).tunnelProtocol, 'HBONE');
    assert.equal(workload(f.index.addresses().get(uid('other', 'web-1'))).tunnelProtocol, 'NONE');

    // A label that does not matter to enrollment changes no Address.
    f.kube.setNamespace(ns('shop', { 'istio.io/dataplane-mode': 'ambient', team: 'a' }));
    f.kube.setPod(pod('shop', 'web-1', { podIPs: ['198.18.1.10'], labels: { app: 'web', 'istio.io/dataplane-mode': 'none' } }));
    await until('the opt-out', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'web-1')]);
    assert.equal(workload(f.index.addresses().get(uid('shop', 'web-1'))).tunnelProtocol, 'NONE');
  } finally {
    await f.index.stop();
  }
});

test('deleting a pod reports its name and removes it; readiness changes only that pod', async () => {
  const f = await start(shop);
  try {
    f.kube.deletePod('shop', 'web-2');
    await until('the deletion', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'web-2')]);
    assert.equal(f.index.addresses().has(uid('shop', 'web-2')), false);

    f.kube.setPod(pod('shop', 'web-1', { podIPs: ['198.18.1.10'], ready: false }));
    await until('readiness', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'web-1')]);
    assert.equal(workload(f.index.addresses().get(uid('shop', 'web-1'))).status, 'UNHEALTHY');

    f.kube.setPod(pod('shop', 'web-1', { podIPs: ['198.18.1.10'], ready: false, deleting: true }));
    await until('terminating', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'web-1')]);
    assert.equal(f.index.addresses().has(uid('shop', 'web-1')), false, 'a terminating pod has no workload');
  } finally {
    await f.index.stop();
  }
});

test('a Service selector change moves the pods it selected and selects', async () => {
  const f = await start(shop);
  try {
    f.kube.setService(service('shop', 'web', { selector: { app: 'db' } }));
    await until('the selector change', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'db-0'), uid('shop', 'web-1'), uid('shop', 'web-2')], 'the Service resource itself is unchanged');
    assert.deepEqual(Object.keys(workload(f.index.addresses().get(uid('shop', 'db-0'))).services), ['shop/web.shop.svc.cluster.local']);
    assert.deepEqual(workload(f.index.addresses().get(uid('shop', 'web-1'))).services, {});

    f.kube.setService(service('shop', 'web', { selector: { app: 'db' }, clusterIPs: ['None'] }));
    await until('headless', () => f.changes.length > 0);
    assert.deepEqual(f.take(), ['shop/web.shop.svc.cluster.local']);

    f.kube.deleteService('shop', 'web');
    await until('the deletion', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'db-0'), 'shop/web.shop.svc.cluster.local']);
    assert.equal(f.index.addresses().has('shop/web.shop.svc.cluster.local'), false);
  } finally {
    await f.index.stop();
  }
});

test('selector-less Services follow their EndpointSlices', async () => {
  const f = await start(shop);
  try {
    f.kube.setService(service('shop', 'legacy', { selector: undefined, clusterIPs: ['198.19.0.20'] }));
    await until('the service', () => f.changes.length > 0);
    assert.deepEqual(f.take(), ['shop/legacy.shop.svc.cluster.local']);

    f.kube.setEndpointSlice(slice('shop', 'legacy-abc', 'legacy', {
      endpoints: [{ addresses: ['198.18.1.11'], ready: true, targetRef: { kind: 'Pod', namespace: 'shop', name: 'db-0' } }],
    }));
    await until('the slice', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'db-0')]);
    assert.deepEqual(Object.keys(workload(f.index.addresses().get(uid('shop', 'db-0'))).services), ['shop/legacy.shop.svc.cluster.local']);

    // By address (no targetRef): the endpoint moves from db-0 to web-2.
    f.kube.setEndpointSlice(slice('shop', 'legacy-abc', 'legacy', { endpoints: [{ addresses: ['198.18.2.10'], ready: true }] }));
    await until('the move', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'db-0'), uid('shop', 'web-2')]);
    assert.deepEqual(Object.keys(workload(f.index.addresses().get(uid('shop', 'web-2'))).services).sort(),
      ['shop/legacy.shop.svc.cluster.local', 'shop/web.shop.svc.cluster.local']);

    f.kube.deleteEndpointSlice('shop', 'legacy-abc');
    await until('the slice deletion', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'web-2')]);
  } finally {
    await f.index.stop();
  }
});

test('a relist after 410 Gone reports only what really changed meanwhile', async () => {
  const f = await start(shop);
  try {
    const relisted = async (): Promise<void> => {
      const before = f.kube.listCount;
      await until('the relist', () => f.kube.listCount >= before + 4 && f.kube.openWatches === 4);
    };
    let done = relisted();
    f.kube.expireWatches();
    await done;
    assert.deepEqual(f.take(), [], 'nothing changed, nothing reported');

    done = relisted();
    f.kube.expireWatches();
    // Changed while no watch is open: only the relist can tell.
    f.kube.deletePod('shop', 'web-2');
    f.kube.setPod(pod('shop', 'db-0', { labels: { app: 'db' }, podIPs: ['198.18.1.11'], ready: false }));
    await done;
    await until('the changes', () => f.changes.length > 0);
    assert.deepEqual(f.take(), [uid('shop', 'db-0'), uid('shop', 'web-2')]);
    assert.equal(f.index.addresses().has(uid('shop', 'web-2')), false);
  } finally {
    await f.index.stop();
  }
});

test('after stop no listener is called', async () => {
  const f = await start(shop);
  await f.index.stop();
  f.kube.deletePod('shop', 'web-1');
  assert.deepEqual(f.take(), []);
  assert.equal(f.kube.openWatches, 0);
});
