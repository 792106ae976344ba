// The waypoint controller on the in-memory MeshKube: a Gateway gets its three owned objects and a
// status (Accepted, Programmed, the address once a waypoint pod is Ready); an invalid Gateway is
// reported; unchanged status is never rewritten; the directory follows Gateways and readiness;
// a failing apply is retried.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryLogger } from '../../pkg/log/logger';
import { memoryMeshKube, type MemoryMeshKube } from '../kube/memory-kube';
import type { MeshCondition, MeshKube } from '../kube/mesh-types';
import { pod } from '../model/test-fixtures';
import { startWaypointController, type WaypointController } from './controller';
import { LISTENER_PROBLEM } from './gateway';

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const HBONE = [{ name: 'mesh', port: 15008, protocol: 'HBONE' }];

function gatewayObject(name: string, listeners: unknown[] = HBONE, labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, labels },
    spec: { gatewayClassName: 'istio-waypoint', listeners },
  };
}

function waypointPod(name: string, ready: boolean, gateway = 'waypoint'): ReturnType<typeof pod> {
  return pod('shop', name, {
    labels: { 'gateway.networking.k8s.io/gateway-name': gateway, 'gateway.istio.io/managed': 'istio.io-mesh-controller' }, ready,
  });
}

interface Fixture {
  kube: MemoryMeshKube;
  controller: WaypointController;
  logger: ReturnType<typeof memoryLogger>;
  changes: string[][];
  status(name: string): { conditions: readonly MeshCondition[]; addresses: unknown };
  settle(): Promise<void>;
}

async function start(seed: (kube: MemoryMeshKube) => void, wrap: (kube: MemoryMeshKube) => MeshKube = (k) => k): Promise<Fixture> {
  const kube = memoryMeshKube();
  seed(kube);
  const logger = memoryLogger();
  let tick = 0;
  const controller = startWaypointController({
    kube: wrap(kube), settings: { trustDomain: 'cluster.local', clusterId: 'Kubernetes' }, logger, namespace: 'istio-system',
    now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++)), retry: { initialMs: 1, maxMs: 5 },
  });
  const changes: string[][] = [];
  controller.onChange((keys) => changes.push([...keys].sort()));
  await controller.synced;
  const settle = (): Promise<void> => until('the queue to drain', () => controller.pendingReconciles() === 0);
  await settle();
  return {
    kube, controller, logger, changes, settle,
    status: (name) => {
      const g = kube.getObject('Gateway', 'shop', name);
      assert.ok(g, `Gateway ${name}`);
      return { conditions: g.conditions, addresses: (g.object as { status?: { addresses?: unknown } }).status?.addresses };
    },
  };
}

const summary = (conditions: readonly MeshCondition[]): string[] => conditions.map((c) => `${c.type}=${c.status}/${c.reason}`);

test('a Gateway gets its ServiceAccount, Deployment and Service, and Programmed=False until a pod is ready', async () => {
  const f = await start((kube) => kube.setObject('Gateway', gatewayObject('waypoint')));
  try {
    assert.deepEqual([...f.kube.owned.keys()].sort(), ['Deployment/shop/waypoint', 'Service/shop/waypoint', 'ServiceAccount/shop/waypoint']);
    const { conditions, addresses } = f.status('waypoint');
    assert.deepEqual(summary(conditions), ['Accepted=True/Accepted', 'Programmed=False/NoReadyReplicas']);
    assert.equal(conditions[1]?.message, 'waiting for the waypoint Deployment to have a ready pod');
    assert.ok(conditions.every((c) => c.observedGeneration === 1 && c.lastTransitionTime !== undefined));
    assert.deepEqual(addresses, []);
    assert.equal(f.controller.gateways().get('shop/waypoint')?.ready, false);
    assert.ok(f.logger.lines.some((l) => /^info waypoint shop\/waypoint: ServiceAccount created; Deployment created; Service created; status/.test(l)),
      f.logger.lines.join('\n'));
  } finally {
    await f.controller.stop();
  }
});

test('a Ready waypoint pod makes the Gateway Programmed with its address, and the directory says so', async () => {
  const f = await start((kube) => {
    kube.setObject('Gateway', gatewayObject('waypoint'));
    kube.setPod(waypointPod('waypoint-1', false));
  });
  try {
    const acceptedSince = f.status('waypoint').conditions[0]?.lastTransitionTime;
    f.kube.setPod(waypointPod('waypoint-1', true));
    await until('Programmed', () => f.status('waypoint').conditions[1]?.status === 'True');
    const { conditions, addresses } = f.status('waypoint');
    assert.deepEqual(summary(conditions), ['Accepted=True/Accepted', 'Programmed=True/Programmed']);
    assert.deepEqual(addresses, [{ type: 'Hostname', value: 'waypoint.shop.svc.cluster.local' }]);
    assert.equal(conditions[0]?.lastTransitionTime, acceptedSince, 'an unchanged condition keeps its transition time');
    assert.equal(f.controller.gateways().get('shop/waypoint')?.ready, true);
    assert.deepEqual(f.changes, [['shop/waypoint']]);

    // A pod of another Gateway, or another not-ready one, changes nothing.
    f.kube.setPod(waypointPod('waypoint-2', false));
    f.kube.setPod(waypointPod('other-1', true, 'other'));
    await f.settle();
    assert.deepEqual(f.changes, [['shop/waypoint']]);

    // The last ready pod going away flips it back.
    f.kube.deletePod('shop', 'waypoint-1');
    await until('not Programmed', () => f.status('waypoint').conditions[1]?.status === 'False');
    assert.deepEqual(f.status('waypoint').addresses, []);
    assert.deepEqual(f.changes, [['shop/waypoint'], ['shop/waypoint']]);
  } finally {
    await f.controller.stop();
  }
});

test('an invalid listener is reported as Accepted=False with the message', async () => {
  const f = await start((kube) => kube.setObject('Gateway', gatewayObject('waypoint', [{ name: 'http', port: 80, protocol: 'HTTP' }])));
  try {
    const accepted = f.status('waypoint').conditions[0];
    assert.equal(accepted?.status, 'False');
    assert.equal(accepted?.reason, 'InvalidParameters');
    assert.equal(accepted?.message, LISTENER_PROBLEM);
    assert.deepEqual(f.controller.gateways().get('shop/waypoint')?.problems, [LISTENER_PROBLEM]);

    // Fixing it flips Accepted and bumps observedGeneration.
    f.kube.setObject('Gateway', gatewayObject('waypoint'));
    await until('Accepted', () => f.status('waypoint').conditions[0]?.status === 'True');
    assert.ok(f.status('waypoint').conditions.every((c) => c.observedGeneration === 2));
  } finally {
    await f.controller.stop();
  }
});

test('status is not rewritten when nothing changed, and Gateways of other classes are left alone', async () => {
  const f = await start((kube) => {
    kube.setObject('Gateway', gatewayObject('waypoint'));
    kube.setObject('Gateway', { ...gatewayObject('ingress'), spec: { gatewayClassName: 'istio', listeners: [] } });
  });
  try {
    const writes = f.kube.objectStatusWrites.length;
    assert.equal(writes, 1);
    assert.deepEqual([...f.controller.gateways().keys()], ['shop/waypoint']);
    // The same object again (a label change elsewhere, a resync): no status write, no directory change.
    f.kube.setObject('Gateway', gatewayObject('waypoint', HBONE, { team: 'a' }));
    await f.settle();
    assert.equal(f.kube.objectStatusWrites.length, writes);
    assert.deepEqual(f.changes, []);
    assert.equal(f.kube.getObject('Gateway', 'shop', 'ingress')?.conditions.length, 0);
  } finally {
    await f.controller.stop();
  }
});

test('a Gateway deleted leaves the directory; waypoint-for changes are announced', async () => {
  const f = await start((kube) => kube.setObject('Gateway', gatewayObject('waypoint')));
  try {
    f.kube.setObject('Gateway', gatewayObject('waypoint', HBONE, { 'istio.io/waypoint-for': 'all' }));
    await until('a change', () => f.changes.length === 1);
    assert.equal(f.controller.gateways().get('shop/waypoint')?.waypointFor, 'all');
    f.kube.deleteObject('Gateway', 'shop', 'waypoint');
    await until('a second change', () => f.changes.length === 2);
    assert.equal(f.controller.gateways().has('shop/waypoint'), false);
  } finally {
    await f.controller.stop();
  }
});

test('a failing apply is logged and retried until it succeeds', async () => {
  let failures = 2;
  const f = await start(() => undefined, (kube) => ({
    ...kube,
    applyOwned: async (object) => {
      if (failures > 0) { failures--; throw new Error('the API server said no'); }
      return kube.applyOwned(object);
    },
  }));
  try {
    f.kube.setObject('Gateway', gatewayObject('waypoint'));
    await until('the objects', () => f.kube.owned.size === 3);
    await f.settle();
    assert.equal(f.logger.lines.filter((l) => l === 'warn waypoint shop/waypoint: the API server said no').length, 2, f.logger.lines.join('\n'));
    assert.equal(f.status('waypoint').conditions[0]?.status, 'True');
  } finally {
    await f.controller.stop();
  }
});
