// DaemonSets as a user sees them: one pod per eligible node with nodeName set, new nodes get one,
// nodeSelector limits them, and a template change replaces pods node by node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeObject } from '../apiserver/types';
import { isPodReady, labelsOf, podNodeName, rec } from './object-access';
import { addNode, nodeObject, readyAll, TestCluster, testCluster } from './test-fixtures';

const daemonSet = (image: string, nodeSelector?: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name: 'ztunnel', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'ztunnel' } },
    template: {
      metadata: { labels: { app: 'ztunnel' } },
      spec: { hostNetwork: true, containers: [{ name: 'ztunnel', image }], ...(nodeSelector ? { nodeSelector } : {}) },
    },
  },
});
const pods = (c: TestCluster): KubeObject[] => c.store.list(c.types.pods, { namespace: 'default' }).items;
const status = (c: TestCluster): Record<string, unknown> => rec(c.store.get(c.types.daemonSets, 'default', 'ztunnel').status);

test('one pod per node with nodeName set; a new node gets its pod', async (t) => {
  const c = await testCluster(['node-a', 'node-b']);
  t.after(() => c.stop());
  const ds = c.store.create(c.types.daemonSets, daemonSet('ambit/ztunnel:v1'));
  await c.idle();
  assert.deepEqual(pods(c).map(podNodeName).sort(), ['node-a', 'node-b']);
  for (const p of pods(c)) {
    assert.equal(p.metadata.ownerReferences?.[0].uid, ds.metadata.uid);
    assert.equal(labelsOf(p).app, 'ztunnel');
    assert.match(labelsOf(p)['controller-revision-hash'], /^[a-z0-9]{10}$/);
  }
  addNode(c.store, c.types, nodeObject('node-c', 2));
  await c.idle();
  assert.deepEqual(pods(c).map(podNodeName).sort(), ['node-a', 'node-b', 'node-c']);
  readyAll(c);
  await c.idle();
  assert.equal(status(c).desiredNumberScheduled, 3);
  assert.equal(status(c).numberReady, 3);
});

test('nodeSelector limits the nodes; a deleted node loses its pod', async (t) => {
  const c = await testCluster(['node-a']);
  t.after(() => c.stop());
  addNode(c.store, c.types, nodeObject('node-b', 1, { labels: { mesh: 'on' } }));
  addNode(c.store, c.types, nodeObject('node-c', 2, { labels: { mesh: 'on' } }));
  c.store.create(c.types.daemonSets, daemonSet('ambit/ztunnel:v1', { mesh: 'on' }));
  await c.idle();
  assert.deepEqual(pods(c).map(podNodeName).sort(), ['node-b', 'node-c']);
  c.store.delete(c.types.nodes, undefined, 'node-c');
  await c.idle();
  assert.deepEqual(pods(c).map(podNodeName), ['node-b']);
  assert.equal(status(c).desiredNumberScheduled, 1);
});

test('a template change replaces pods node by node until all are updated', async (t) => {
  const c = await testCluster(['node-a', 'node-b', 'node-c']);
  t.after(() => c.stop());
  c.store.create(c.types.daemonSets, daemonSet('ambit/ztunnel:v1'));
  await c.idle();
  readyAll(c);
  await c.idle();
  const oldHash = labelsOf(pods(c)[0])['controller-revision-hash'];
  const ds = structuredClone(c.store.get(c.types.daemonSets, 'default', 'ztunnel')) as KubeObject;
  rec(rec(ds.spec).template).spec = { hostNetwork: true, containers: [{ name: 'ztunnel', image: 'ambit/ztunnel:v2' }] };
  c.store.update(c.types.daemonSets, ds);
  let rounds = 0;
  for (; rounds < 20; rounds++) {
    await c.idle();
    const ps = pods(c);
    assert.ok(ps.filter(isPodReady).length >= 2, 'at most one node without a ready pod (maxUnavailable 1)');
    if (ps.length === 3 && ps.every((p) => isPodReady(p) && labelsOf(p)['controller-revision-hash'] !== oldHash)) break;
    readyAll(c);
  }
  assert.ok(rounds < 20 && rounds >= 3, `rolled over several rounds (${rounds})`);
  await c.idle();
  assert.deepEqual(pods(c).map(podNodeName).sort(), ['node-a', 'node-b', 'node-c']);
  const st = status(c);
  assert.equal(st.observedGeneration, c.store.get(c.types.daemonSets, 'default', 'ztunnel').metadata.generation);
  assert.equal(st.updatedNumberScheduled, 3);
  assert.equal(st.numberAvailable, 3);
  assert.equal(st.currentNumberScheduled, 3);
});
