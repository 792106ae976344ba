import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertAuthorizationPolicy } from '../../istiod/policy/authorization-policy';
import { CHANGE_KINDS, ChangeKind, changeSchedule, measurableKinds, runPlan, servicesFor } from './xds-scale-plan';
import { pickGroup } from './xds-scale-changes';
import {
  authorizationResourceName, ISTIO_NAMESPACE, namespacePolicyManifest, nodeIp, planPod, planService, podIp, podManifest, selectorPolicyManifest,
  serviceResourceName, serviceVip, TRUST_DOMAIN, workloadResourceName, ztunnelNodeId,
} from './xds-scale-objects';

const inTestRange = (ip: string): boolean => /^198\.(18|19)\.\d{1,3}\.\d{1,3}$/.test(ip) && ip.split('.').every((o) => Number(o) <= 255);

test('every address the scenario hands out is inside 198.18.0.0/15, and distinct', () => {
  const pods = new Set<string>();
  for (const i of [0, 1, 253, 254, 9_999, 50_000, 50_100, 64_769]) {
    const ip = podIp(i);
    assert.ok(inTestRange(ip) && ip.startsWith('198.18.'), ip);
    assert.ok(!ip.endsWith('.0') && !ip.endsWith('.255'), ip);
    pods.add(ip);
  }
  assert.equal(pods.size, 8);
  for (const j of [0, 999, 60_000, 65_023]) assert.ok(inTestRange(serviceVip(j)) && serviceVip(j).startsWith('198.19.'), serviceVip(j));
  assert.throws(() => podIp(64_770), /outside/);
  assert.throws(() => serviceVip(-1), /outside/);
  assert.equal(nodeIp(1), '198.18.0.11');
});

test('pods spread over nodes and groups; a group shares a namespace with its Service', () => {
  const p = planPod(123, 20);
  assert.deepEqual(p, { index: 123, name: 'pod-123', namespace: 'scale-2', group: 12, nodeName: 'node4', ip: podIp(123) });
  const s = planService(12);
  assert.equal(s.namespace, p.namespace);
  assert.equal(s.name, 'svc-12');
  const manifest = podManifest(p) as { metadata: { labels: Record<string, string> }; spec: { nodeName: string } };
  assert.equal(manifest.metadata.labels.app, 'app-12');
  assert.equal(manifest.spec.nodeName, 'node4');
  assert.equal(servicesFor(1000, 10), 100);
  assert.equal(servicesFor(1005, 10), 101);
});

test('resource names and node ids follow istiod and ztunnel formats', () => {
  assert.equal(workloadResourceName('scale-1', 'pod-7'), 'Kubernetes//Pod/scale-1/pod-7');
  assert.equal(serviceResourceName('scale-1', 'svc-1'), 'scale-1/svc-1.scale-1.svc.cluster.local');
  assert.equal(ztunnelNodeId(3), 'ztunnel~198.18.0.13~ztunnel-node3.istio-system~istio-system.svc.cluster.local');
});

test('the change schedule rotates over every measurable kind, the two AuthorizationPolicy kinds included', () => {
  const kinds = measurableKinds();
  assert.deepEqual(kinds, [ChangeKind.PodAdded, ChangeKind.PodDeleted, ChangeKind.ServiceAdded, ChangeKind.PolicyApplied, ChangeKind.SelectorPolicyApplied]);
  assert.deepEqual(CHANGE_KINDS.filter((k) => k.notMeasurable !== undefined), []);
  const schedule = changeSchedule(7);
  assert.equal(schedule.length, 7);
  assert.deepEqual(schedule.slice(0, 5), kinds);
  assert.equal(schedule[5], kinds[0]);
  // Even the quick run measures each policy kind once per size; the full run half selector, half namespace-wide.
  assert.ok(changeSchedule(runPlan(true).changes).includes(ChangeKind.SelectorPolicyApplied));
  const full = changeSchedule(runPlan(false).changes);
  assert.equal(full.filter((k) => k === ChangeKind.PolicyApplied).length, full.filter((k) => k === ChangeKind.SelectorPolicyApplied).length);
  assert.equal(runPlan(false).sizes[1], 10_000);
  assert.ok(runPlan(true).changes < runPlan(false).changes);
});

test('the policies the scenario writes are accepted whole by istiod\'s converter, with the scope the change kind means', () => {
  const opts = { rootNamespace: ISTIO_NAMESPACE, trustDomain: TRUST_DOMAIN };
  const ns = convertAuthorizationPolicy({ ...namespacePolicyManifest('p1'), metadata: { name: 'p1', namespace: 'scale-3' } }, opts);
  assert.deepEqual(ns.problems, []);
  assert.equal(ns.partial, false);
  assert.equal(ns.policy?.scope, 'NAMESPACE');
  assert.equal(ns.selector, undefined);
  const sel = convertAuthorizationPolicy({ ...selectorPolicyManifest('p2', 'scale-7', 17), metadata: { name: 'p2', namespace: 'scale-7' } }, opts);
  assert.deepEqual(sel.problems, []);
  assert.equal(sel.partial, false);
  assert.equal(sel.policy?.scope, 'WORKLOAD_SELECTOR');
  assert.deepEqual(sel.selector, { app: 'app-17' });
  assert.equal(authorizationResourceName('scale-7', 'p2'), 'scale-7/p2');
});

test('group picks stay inside the groups and differ per kind', () => {
  for (let id = 0; id < 50; id++) {
    for (const salt of [1, 2, 3, 4, 5]) {
      const g = pickGroup(id, salt, 100);
      assert.ok(g >= 0 && g < 100);
    }
  }
  assert.notEqual(pickGroup(4, 1, 100), pickGroup(4, 3, 100));
  assert.throws(() => pickGroup(1, 1, 0));
});
