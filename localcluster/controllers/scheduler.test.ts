// Scheduling as a user sees it: pods land on the least-loaded Ready node that matches their
// nodeSelector and is not cordoned; a pod that fits nowhere says why and is bound once a node fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeObject } from '../apiserver/types';
import { podNodeName, rec, records } from './object-access';
import { pickNode } from './scheduling';
import { addNode, nodeObject, TestCluster, testCluster } from './test-fixtures';

const pod = (name: string, nodeSelector?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'ambit/sample-web' }], ...(nodeSelector ? { nodeSelector } : {}) },
});
const getPod = (c: TestCluster, name: string): KubeObject => c.store.get(c.types.pods, 'default', name);

test('pickNode prefers the node with fewer pods, then the name', () => {
  const n = (name: string) => ({ name, ready: true, unschedulable: false, labels: {} });
  assert.deepEqual(pickNode({}, [n('b'), n('a')], new Map()), { node: 'a' });
  assert.deepEqual(pickNode({}, [n('b'), n('a')], new Map([['a', 2], ['b', 1]])), { node: 'b' });
  const none = pickNode({ disk: 'ssd' }, [n('a'), { ...n('b'), unschedulable: true }, { ...n('c'), ready: false }], new Map());
  assert.equal(none.node, undefined);
  assert.ok('message' in none);
  assert.equal(none.message, "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were not ready, 1 node(s) were unschedulable.");
});

test('pods are bound to Ready nodes honouring nodeSelector and cordons', async (t) => {
  const c = await testCluster(['node-a']);
  t.after(() => c.stop());
  addNode(c.store, c.types, nodeObject('node-b', 1, { labels: { disk: 'ssd' } }));
  addNode(c.store, c.types, nodeObject('node-c', 2, { unschedulable: true }));
  addNode(c.store, c.types, nodeObject('node-d', 3, { ready: false }));
  c.store.create(c.types.pods, pod('fast', { disk: 'ssd' }));
  for (const name of ['p1', 'p2', 'p3']) c.store.create(c.types.pods, pod(name));
  await c.idle();
  assert.equal(podNodeName(getPod(c, 'fast')), 'node-b');
  const placed = ['p1', 'p2', 'p3'].map((n) => podNodeName(getPod(c, n)));
  assert.deepEqual(placed.sort(), ['node-a', 'node-a', 'node-b']);
  const cond = records(rec(getPod(c, 'p1').status).conditions).find((x) => x.type === 'PodScheduled');
  assert.equal(cond?.status, 'True');
});

test('a pod no node fits is marked Unschedulable, then bound when a matching node appears', async (t) => {
  const c = await testCluster(['node-a']);
  t.after(() => c.stop());
  c.store.create(c.types.pods, pod('gpu', { accelerator: 'yes' }));
  await c.idle();
  const p = getPod(c, 'gpu');
  assert.equal(podNodeName(p), undefined);
  const cond = records(rec(p.status).conditions).find((x) => x.type === 'PodScheduled');
  assert.equal(cond?.status, 'False');
  assert.equal(cond?.reason, 'Unschedulable');
  assert.match(String(cond?.message), /^0\/1 nodes are available: 1 node\(s\) didn't match/);
  addNode(c.store, c.types, nodeObject('node-gpu', 5, { labels: { accelerator: 'yes' } }));
  await c.idle();
  assert.equal(podNodeName(getPod(c, 'gpu')), 'node-gpu');
});
