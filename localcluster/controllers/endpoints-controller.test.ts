// EndpointSlices and Endpoints as a user sees them: ready pod IPs with the resolved named port,
// unready and deleted pods reflected, label changes followed, one slice per distinct port set,
// and no rewrite when nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeObject } from '../apiserver/types';
import { labelsOf, rec, records } from './object-access';
import { setPodStatus, TestCluster, testCluster } from './test-fixtures';

const service: KubeObject = {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

function runPod(c: TestCluster, name: string, opts: { port?: number; app?: string; ready?: boolean } = {}): KubeObject {
  const p = c.store.create(c.types.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: opts.app ?? 'web' } },
    spec: { nodeName: 'node-a', containers: [{ name: 'web', image: 'ambit/sample-web', ports: [{ name: 'http', containerPort: opts.port ?? 8080 }] }] },
  });
  return setPodStatus(c, p, opts.ready ?? true);
}

const slices = (c: TestCluster): KubeObject[] => c.store.list(c.types.endpointSlices, {
  namespace: 'default', predicate: (s) => labelsOf(s)['kubernetes.io/service-name'] === 'web',
}).items;

/** pod name → [address, ready, port numbers] over all slices of `web`. */
function endpointView(c: TestCluster): Record<string, [string, boolean, number[]]> {
  const out: Record<string, [string, boolean, number[]]> = {};
  for (const s of slices(c)) {
    const ports = records(s.ports).map((p) => Number(p.port));
    for (const e of records(s.endpoints)) {
      out[String(rec(e.targetRef).name)] = [String((e.addresses as string[])[0]), rec(e.conditions).ready === true, ports];
    }
  }
  return out;
}

function setLabels(c: TestCluster, name: string, labels: Record<string, string>): void {
  const p = structuredClone(c.store.get(c.types.pods, 'default', name)) as KubeObject;
  p.metadata.labels = labels;
  c.store.update(c.types.pods, p);
}

test('a Service gets an EndpointSlice of its ready pods with the named port resolved, and Endpoints', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  const svc = c.store.create(c.types.services, service);
  const p1 = runPod(c, 'web-1');
  const p2 = runPod(c, 'web-2');
  runPod(c, 'other', { app: 'other' });
  await c.idle();
  const [slice, ...rest] = slices(c);
  assert.equal(rest.length, 0);
  assert.match(slice.metadata.name ?? '', /^web-[a-z0-9]{5}$/);
  assert.equal(labelsOf(slice)['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.equal(slice.metadata.ownerReferences?.[0].uid, svc.metadata.uid);
  assert.equal(slice.addressType, 'IPv4');
  assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const ip1 = String(rec(p1.status).podIP);
  const ip2 = String(rec(p2.status).podIP);
  assert.deepEqual(endpointView(c), { 'web-1': [ip1, true, [8080]], 'web-2': [ip2, true, [8080]] });
  const e1 = records(slice.endpoints)[0];
  assert.deepEqual(e1.conditions, { ready: true, serving: true, terminating: false });
  assert.equal(e1.nodeName, 'node-a');
  assert.deepEqual(e1.targetRef, { kind: 'Pod', namespace: 'default', name: 'web-1', uid: p1.metadata.uid });
  const ep = c.store.get(c.types.endpoints, 'default', 'web');
  const subsets = records(ep.subsets);
  assert.deepEqual(records(subsets[0].addresses).map((a) => a.ip), [ip1, ip2].sort());
  assert.deepEqual(subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
});

test('unready, deleted and relabelled pods leave the ready set; a matching new label joins it', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  c.store.create(c.types.services, service);
  const p1 = runPod(c, 'web-1');
  const p2 = runPod(c, 'web-2');
  const p3 = runPod(c, 'web-3');
  runPod(c, 'late', { app: 'later' });
  await c.idle();
  const sliceName = slices(c)[0].metadata.name;

  setPodStatus(c, p2, false);
  await c.idle();
  assert.equal(endpointView(c)['web-2'][1], false);
  const subset = records(c.store.get(c.types.endpoints, 'default', 'web').subsets)[0];
  assert.deepEqual(records(subset.notReadyAddresses).map((a) => a.ip), [rec(p2.status).podIP]);

  c.store.delete(c.types.pods, 'default', 'web-1');
  setLabels(c, 'web-3', { app: 'moved' });
  setLabels(c, 'late', { app: 'web' });
  await c.idle();
  const view = endpointView(c);
  assert.deepEqual(Object.keys(view).sort(), ['late', 'web-2']);
  assert.equal(view.late[1], true);
  assert.equal(slices(c)[0].metadata.name, sliceName, 'the slice is updated in place');
  assert.ok(p1 && p3);
});

test('pods resolving the named port differently get separate slices; no rewrite when nothing changed', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  c.store.create(c.types.services, service);
  runPod(c, 'web-1', { port: 8080 });
  runPod(c, 'web-2', { port: 9090 });
  await c.idle();
  const view = endpointView(c);
  assert.deepEqual(view['web-1'][2], [8080]);
  assert.deepEqual(view['web-2'][2], [9090]);
  assert.equal(slices(c).length, 2);

  const before = slices(c).map((s) => s.metadata.resourceVersion);
  const p = structuredClone(c.store.get(c.types.pods, 'default', 'web-1')) as KubeObject;
  p.metadata.annotations = { touched: 'yes' };
  c.store.update(c.types.pods, p);
  await c.idle();
  assert.deepEqual(slices(c).map((s) => s.metadata.resourceVersion), before);

  c.store.delete(c.types.pods, 'default', 'web-2');
  await c.idle();
  assert.equal(slices(c).length, 1);
  c.store.delete(c.types.services, 'default', 'web');
  await c.idle();
  assert.equal(slices(c).length, 0);
  assert.equal(c.store.tryGet(c.types.endpoints, 'default', 'web'), undefined);
});
