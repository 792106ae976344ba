import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeSchedule, measurableKinds, runPlan, servicesFor } from './xds-scale-plan';
import { pickGroup } from './xds-scale-changes';
import {
  nodeIp, planPod, planService, podIp, podManifest, serviceResourceName, serviceVip, workloadResourceName, ztunnelNodeId,
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

test('the change schedule rotates over measurable kinds only; the policy change is listed but not scheduled', () => {
  const kinds = measurableKinds();
  assert.ok(!kinds.includes('policy-applied'));
  const schedule = changeSchedule(7);
  assert.equal(schedule.length, 7);
  assert.deepEqual(schedule.slice(0, 3), kinds);
  assert.equal(schedule[3], kinds[0]);
  assert.equal(runPlan(false).sizes[1], 10_000);
  assert.ok(runPlan(true).changes < runPlan(false).changes);
});

test('group picks stay inside the groups and differ per kind', () => {
  for (let id = 0; id < 50; id++) {
    for (const salt of [1, 2, 3]) {
      const g = pickGroup(id, salt, 100);
      assert.ok(g >= 0 && g < 100);
    }
  }
  assert.notEqual(pickGroup(4, 1, 100), pickGroup(4, 3, 100));
  assert.throws(() => pickGroup(1, 1, 0));
});
