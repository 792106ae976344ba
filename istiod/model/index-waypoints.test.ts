// The AddressIndex with a waypoint directory: namespace and object labels bind Services and
// workloads, a Gateway appearing, changing or going away recomputes exactly the namespaces that
// ask for it, a binding to a missing or not-ready waypoint stays (fail closed) and is logged once,
// and the whole chain works with the real waypoint controller on the same API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Address, GatewayAddress } from '../../pkg/api/workload-types';
import { memoryLogger } from '../../pkg/log/logger';
import { memoryMeshKube, type MemoryMeshKube } from '../kube/memory-kube';
import { startWaypointController } from '../waypoint/controller';
import type { WaypointDirectory, WaypointGateway } from '../waypoint/types';
import { startAddressIndex } from './index';
import { ns, pod, service, SETTINGS } from './test-fixtures';
import type { AddressIndex } from './types';

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const uid = (namespace: string, name: string): string => `Kubernetes//Pod/${namespace}/${name}`;
const svcName = (namespace: string, name: string): string => `${namespace}/${name}.${namespace}.svc.cluster.local`;
const USE = 'istio.io/use-waypoint';
const MANAGED = { 'gateway.istio.io/managed': 'istio.io-mesh-controller', 'gateway.networking.k8s.io/gateway-name': 'waypoint' };

function waypointOf(a: Address | undefined): string | undefined {
  const w: GatewayAddress | undefined = a?.kind === 'service' ? a.service.waypoint : a?.kind === 'workload' ? a.workload.waypoint : undefined;
  return w?.kind === 'hostname' ? w.hostname.hostname : undefined;
}

interface FakeDirectory extends WaypointDirectory {
  set(gw: Partial<WaypointGateway> & { namespace: string; name: string }): void;
  remove(namespace: string, name: string): void;
}

function fakeDirectory(): FakeDirectory {
  const map = new Map<string, WaypointGateway>();
  const listeners = new Set<(keys: ReadonlySet<string>) => void>();
  const emit = (key: string): void => { for (const l of listeners) l(new Set([key])); };
  return {
    synced: Promise.resolve(),
    gateways: () => map,
    onChange: (l) => { listeners.add(l); return () => { listeners.delete(l); }; },
    stop: async () => undefined,
    set: (gw) => {
      const key = `${gw.namespace}/${gw.name}`;
      map.set(key, { uid: key, generation: 1, waypointFor: 'service', ready: true, problems: [], ...gw });
      emit(key);
    },
    remove: (namespace, name) => { map.delete(`${namespace}/${name}`); emit(`${namespace}/${name}`); },
  };
}

interface Fixture { kube: MemoryMeshKube; index: AddressIndex; directory: FakeDirectory; logger: ReturnType<typeof memoryLogger>; take(): string[] }

async function start(seed: (kube: MemoryMeshKube, directory: FakeDirectory) => void): Promise<Fixture> {
  const kube = memoryMeshKube();
  const directory = fakeDirectory();
  seed(kube, directory);
  const logger = memoryLogger();
  const index = startAddressIndex({ kube, settings: SETTINGS, logger, waypoints: directory });
  const changes: Set<string>[] = [];
  index.onChange((names) => changes.push(new Set(names)));
  await index.synced;
  changes.length = 0;
  return {
    kube, index, directory, logger,
    take: () => {
      const all = [...new Set(changes.flatMap((c) => [...c]))].sort();
      changes.length = 0;
      return all;
    },
  };
}

function shop(kube: MemoryMeshKube): void {
  kube.setNamespace(ns('shop', { [USE]: 'waypoint' }));
  kube.setNamespace(ns('other'));
  kube.setPod(pod('shop', 'web-1', { podIPs: ['198.18.1.10'] }));
  kube.setPod(pod('shop', 'waypoint-1', { podIPs: ['198.18.1.20'], labels: MANAGED }));
  kube.setPod(pod('other', 'web-1', { podIPs: ['198.18.1.12'] }));
  kube.setService(service('shop', 'web'));
  kube.setService(service('shop', 'waypoint', { labels: MANAGED, selector: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } }));
  kube.setService(service('other', 'web'));
}

test('a namespace label binds its Services (not the waypoint\'s own, not its pods); labelling later updates them', async () => {
  const f = await start((kube, directory) => { shop(kube); directory.set({ namespace: 'shop', name: 'waypoint' }); });
  try {
    const a = f.index.addresses();
    assert.equal(waypointOf(a.get(svcName('shop', 'web'))), 'waypoint.shop.svc.cluster.local');
    assert.equal(waypointOf(a.get(svcName('shop', 'waypoint'))), undefined);
    assert.equal(waypointOf(a.get(uid('shop', 'web-1'))), undefined, 'a service waypoint takes no workload traffic');
    assert.equal(waypointOf(a.get(svcName('other', 'web'))), undefined);

    f.kube.setNamespace(ns('other', { [USE]: 'waypoint', 'istio.io/use-waypoint-namespace': 'shop' }));
    await until('the binding', () => waypointOf(f.index.addresses().get(svcName('other', 'web'))) !== undefined);
    assert.deepEqual(f.take(), [svcName('other', 'web')]);

    f.kube.setService(service('other', 'web', { labels: { [USE]: 'none' } }));
    await until('the opt-out', () => waypointOf(f.index.addresses().get(svcName('other', 'web'))) === undefined);
  } finally {
    await f.index.stop();
  }
});

test('waypoint-for=workload binds labelled pods, and a Gateway change recomputes only the namespaces asking for it', async () => {
  const f = await start((kube, directory) => {
    shop(kube);
    kube.setPod(pod('other', 'web-2', { podIPs: ['198.18.1.13'], labels: { app: 'web', [USE]: 'pods', 'istio.io/use-waypoint-namespace': 'shop' } }));
    directory.set({ namespace: 'shop', name: 'waypoint' });
    directory.set({ namespace: 'shop', name: 'pods', waypointFor: 'workload' });
  });
  try {
    assert.equal(waypointOf(f.index.addresses().get(uid('other', 'web-2'))), 'pods.shop.svc.cluster.local');
    assert.equal(waypointOf(f.index.addresses().get(uid('other', 'web-1'))), undefined);

    f.directory.set({ namespace: 'shop', name: 'pods', waypointFor: 'service' });
    await until('the unbinding', () => waypointOf(f.index.addresses().get(uid('other', 'web-2'))) === undefined);
    assert.deepEqual(f.take(), [uid('other', 'web-2')]);

    // A Gateway nobody asks for changes nothing.
    f.directory.set({ namespace: 'shop', name: 'unused', waypointFor: 'all' });
    f.directory.set({ namespace: 'shop', name: 'pods', waypointFor: 'all' });
    await until('the binding', () => waypointOf(f.index.addresses().get(uid('other', 'web-2'))) !== undefined);
    assert.deepEqual(f.take(), [uid('other', 'web-2')]);
  } finally {
    await f.index.stop();
  }
});

test('a missing Gateway still binds the Service and says so once; a Gateway appearing later updates the bound objects', async () => {
  const f = await start((kube) => {
    kube.setNamespace(ns('shop'));
    kube.setPod(pod('shop', 'web-1', { podIPs: ['198.18.1.10'], labels: { app: 'web' } }));
    kube.setService(service('shop', 'reviews', { labels: { [USE]: 'missing' } }));
    kube.setService(service('shop', 'web'));
  });
  try {
    assert.equal(waypointOf(f.index.addresses().get(svcName('shop', 'reviews'))), 'missing.shop.svc.cluster.local');
    const warning = 'warn service shop/reviews uses waypoint shop/missing, which does not exist: its traffic is refused until it does (fail closed)';
    assert.deepEqual(f.logger.lines.filter((l) => l.startsWith('warn')), [warning]);

    // The namespace asks for it too: pods are not bound to an unknown Gateway through their namespace.
    f.kube.setNamespace(ns('shop', { [USE]: 'missing' }));
    await until('the web Service binding', () => waypointOf(f.index.addresses().get(svcName('shop', 'web'))) !== undefined);
    assert.deepEqual(f.take(), [svcName('shop', 'web')]);

    // It appears, for all traffic, not ready yet: the pods are bound now; one more warning per Service.
    f.directory.set({ namespace: 'shop', name: 'missing', waypointFor: 'all', ready: false });
    await until('the pod binding', () => waypointOf(f.index.addresses().get(uid('shop', 'web-1'))) !== undefined);
    assert.deepEqual(f.take(), [uid('shop', 'web-1')]);
    const warnings = f.logger.lines.filter((l) => l.startsWith('warn'));
    assert.equal(warnings.length, 4, warnings.join('\n'));
    assert.ok(warnings.includes('warn service shop/reviews uses waypoint shop/missing, which has no ready pod: its traffic is refused until it has one (fail closed)'));

    // Ready: the log says the traffic flows again; the same state again logs nothing.
    f.directory.set({ namespace: 'shop', name: 'missing', waypointFor: 'all', ready: true });
    f.directory.set({ namespace: 'shop', name: 'missing', waypointFor: 'all', ready: true });
    assert.deepEqual(f.logger.lines.filter((l) => l.startsWith('info service')).sort(), [
      'info service shop/reviews: waypoint shop/missing is ready, its traffic flows through it again',
      'info service shop/web: waypoint shop/missing is ready, its traffic flows through it again',
    ]);
    assert.equal(f.logger.lines.filter((l) => l.startsWith('warn')).length, 4);
  } finally {
    await f.index.stop();
  }
});

test('with the real waypoint controller: a Gateway and its ready pod bind the namespace\'s Services', async () => {
  const kube = memoryMeshKube();
  shop(kube);
  const logger = memoryLogger();
  const controller = startWaypointController({ kube, settings: SETTINGS, logger, namespace: 'istio-system', retry: { initialMs: 1, maxMs: 5 } });
  const index = startAddressIndex({ kube, settings: SETTINGS, logger, waypoints: controller });
  try {
    await index.synced;
    assert.equal(waypointOf(index.addresses().get(svcName('shop', 'web'))), 'waypoint.shop.svc.cluster.local');
    assert.ok(logger.lines.includes('warn service shop/web uses waypoint shop/waypoint, which does not exist: its traffic is refused until it does (fail closed)'));
    kube.setObject('Gateway', {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'waypoint', namespace: 'shop', uid: 'u-1' },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    await until('the ready waypoint', () => logger.lines.includes('info service shop/web: waypoint shop/waypoint is ready, its traffic flows through it again'));
    await until('the waypoint\'s objects', () => kube.owned.size === 3);
    assert.equal(waypointOf(index.addresses().get(svcName('shop', 'web'))), 'waypoint.shop.svc.cluster.local');
  } finally {
    await index.stop();
    await controller.stop();
  }
});
