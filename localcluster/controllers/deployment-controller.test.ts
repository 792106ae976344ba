// Deployments as a user sees them: replicas become pods spread over nodes, deleted pods come back,
// a template change rolls pods without dropping below the desired ready count, and scaling works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeObject } from '../apiserver/types';
import { isPodReady, labelsOf, podNodeName, rec } from './object-access';
import { readyAll, TestCluster, testCluster } from './test-fixtures';

const deployment = (replicas: number, image: string): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
  },
});

const pods = (c: TestCluster): KubeObject[] => c.store.list(c.types.pods, { namespace: 'default' }).items;
const getDeploy = (c: TestCluster): KubeObject => c.store.get(c.types.deployments, 'default', 'web');

function setSpec(c: TestCluster, change: (spec: Record<string, unknown>) => void): void {
  const d = structuredClone(getDeploy(c)) as KubeObject;
  change(rec(d.spec));
  c.store.update(c.types.deployments, d);
}

test('a Deployment with 3 replicas gets 3 owned pods spread over both nodes', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  const d = c.store.create(c.types.deployments, deployment(3, 'ambit/sample-web:v1'));
  await c.idle();
  const ps = pods(c);
  assert.equal(ps.length, 3);
  const hash = labelsOf(ps[0])['pod-template-hash'];
  assert.match(hash, /^[a-z0-9]{10}$/);
  for (const p of ps) {
    assert.match(p.metadata.name ?? '', new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
    assert.equal(labelsOf(p).app, 'web');
    assert.deepEqual(p.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]), [['Deployment', d.metadata.uid, true]]);
    assert.deepEqual(rec(p.spec).containers, [{ name: 'web', image: 'ambit/sample-web:v1' }]);
  }
  assert.deepEqual(new Set(ps.map(podNodeName)), new Set(['node-a', 'node-b']));
  const st = rec(getDeploy(c).status);
  assert.equal(st.replicas, 3);
  assert.equal(st.availableReplicas, 0);
});

test('a deleted pod is replaced', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  c.store.create(c.types.deployments, deployment(3, 'ambit/sample-web:v1'));
  await c.idle();
  const victim = pods(c)[0].metadata.name ?? '';
  c.store.delete(c.types.pods, 'default', victim);
  await c.idle();
  const names = pods(c).map((p) => p.metadata.name);
  assert.equal(names.length, 3);
  assert.ok(!names.includes(victim));
});

test('a template change rolls every pod to the new hash, never below 3 ready pods, then scaling down removes pods', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  c.store.create(c.types.deployments, deployment(3, 'ambit/sample-web:v1'));
  await c.idle();
  readyAll(c);
  await c.idle();
  const oldHash = labelsOf(pods(c)[0])['pod-template-hash'];
  assert.equal(rec(getDeploy(c).status).availableReplicas, 3);

  setSpec(c, (spec) => { rec(rec(spec.template).spec).containers = [{ name: 'web', image: 'ambit/sample-web:v2' }]; });
  let rounds = 0;
  for (; rounds < 20; rounds++) {
    await c.idle();
    const ps = pods(c);
    assert.ok(ps.filter(isPodReady).length >= 3, 'never fewer ready pods than replicas (maxUnavailable 0)');
    assert.ok(ps.length <= 4, 'at most one extra pod (maxSurge 1)');
    if (ps.length === 3 && ps.every((p) => labelsOf(p)['pod-template-hash'] !== oldHash && isPodReady(p))) break;
    readyAll(c);
  }
  assert.ok(rounds < 20, 'the rollout finished');
  await c.idle();
  const d = getDeploy(c);
  const st = rec(d.status);
  assert.equal(st.observedGeneration, d.metadata.generation);
  assert.equal(st.replicas, 3);
  assert.equal(st.updatedReplicas, 3);
  assert.equal(st.availableReplicas, 3);
  const cond = (type: string): Record<string, unknown> | undefined =>
    (st.conditions as Record<string, unknown>[]).find((x) => x.type === type);
  assert.equal(cond('Available')?.status, 'True');
  assert.equal(cond('Progressing')?.reason, 'NewReplicaSetAvailable');
  for (const p of pods(c)) assert.deepEqual(rec(p.spec).containers, [{ name: 'web', image: 'ambit/sample-web:v2' }]);

  setSpec(c, (spec) => { spec.replicas = 1; });
  await c.idle();
  assert.equal(pods(c).length, 1);
  const after = rec(getDeploy(c).status);
  assert.equal(after.replicas, 1);
  assert.equal(after.availableReplicas, 1);
});

test('a Deployment whose selector does not select its template reports ReplicaFailure and creates nothing', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  const bad = deployment(2, 'ambit/sample-web:v1');
  rec(bad.spec).selector = { matchLabels: { app: 'other' } };
  c.store.create(c.types.deployments, bad);
  await c.idle();
  assert.equal(pods(c).length, 0);
  const conds = rec(getDeploy(c).status).conditions as Record<string, unknown>[];
  assert.equal(conds.find((x) => x.type === 'ReplicaFailure')?.reason, 'InvalidSelector');
});
