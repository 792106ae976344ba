import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WaypointConfig } from '../../pkg/api/waypoint-types';
import { toMeshPolicy } from '../kube/mesh-convert';
import type { MeshPod } from '../kube/mesh-types';
import { pod } from '../model/test-fixtures';
import { emptyTouched, RouteState, routeStatusKey, type Touched } from './route-state';
import { loadScenario } from './test-support';
import type { RouteKind } from './types';

const CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/use-waypoint: waypoint}}
---
apiVersion: v1
kind: Namespace
metadata: {name: quiet}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {namespace: shop, name: waypoint, labels: {istio.io/waypoint-for: all}}
---
apiVersion: v1
kind: Service
metadata: {namespace: shop, name: reviews}
spec:
  selector: {app: reviews}
  clusterIP: 198.19.0.10
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {namespace: shop, name: reviews-v2}
spec:
  selector: {app: reviews, version: v2}
  clusterIP: 198.19.0.11
  ports: [{name: http, port: 9080}]
`;

const split = (generation: number, v2Weight: unknown): Record<string, unknown> => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute',
  metadata: { namespace: 'shop', name: 'canary', generation, creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'reviews' }],
    rules: [{ backendRefs: [{ name: 'reviews', port: 9080, weight: 90 }, { name: 'reviews-v2', port: 9080, weight: v2Weight }] }],
  },
});

function apply(state: RouteState, kind: RouteKind, object: Record<string, unknown>): Touched {
  const t = emptyTouched();
  const p = toMeshPolicy(object);
  assert.ok(p);
  state.applyObject(kind, p, t);
  return t;
}

function firstRoutes(config: WaypointConfig | undefined): { name: string; weights: number[] }[] {
  const port = config?.services.find((s) => s.key === 'shop/reviews.shop.svc.cluster.local')?.ports[0];
  return (port?.routes ?? []).map((r) => ({ name: r.name, weights: r.backends.map((b) => b.weight) }));
}

test('an invalid update is rejected, logged once per generation, and the last valid version stays in force', () => {
  const state = loadScenario(CLUSTER);
  apply(state, 'HTTPRoute', split(1, 10));
  assert.deepEqual(firstRoutes(state.build('shop/waypoint')), [
    { name: 'HTTPRoute shop/canary rule 0', weights: [90, 10] }, { name: 'no route matched', weights: [] },
  ]);

  const t = apply(state, 'HTTPRoute', split(2, 'ten'));
  assert.equal(t.log.length, 1);
  assert.match(t.log[0] ?? '', /^HTTPRoute shop\/canary \(generation 2\) rejected: spec\.rules\[0\]\.backendRefs\[1\]\.weight: must be an integer .*; generation 1 stays in force$/);
  assert.deepEqual(firstRoutes(state.build('shop/waypoint'))[0]?.weights, [90, 10]);
  const status = state.status(routeStatusKey('HTTPRoute', 'shop', 'canary'));
  assert.ok(status?.shape === 'parents');
  assert.equal(status.generation, 2);
  const accepted = status.parents[0]?.conditions.find((c) => c.type === 'Accepted');
  assert.equal(accepted?.status, 'False');
  assert.equal(accepted?.reason, 'UnsupportedValue');
  assert.match(accepted?.message ?? '', /^Rejected: spec\.rules\[0\]\.backendRefs\[1\]\.weight: .* The last valid version \(generation 1\) stays in force\.$/);

  // The same generation seen again (a status write coming back): no second log line, nothing to rebuild.
  const again = apply(state, 'HTTPRoute', { ...split(2, 'ten'), status: { parents: [] } });
  assert.deepEqual(again.log, []);
  assert.equal(again.namespaces.size, 0);

  // Fixed: the new version takes over.
  apply(state, 'HTTPRoute', split(3, 30));
  assert.deepEqual(firstRoutes(state.build('shop/waypoint'))[0]?.weights, [90, 30]);
});

test('an invalid VirtualService with no valid version applies nothing; deleting a route brings the default back', () => {
  const state = loadScenario(CLUSTER);
  const t = apply(state, 'VirtualService', {
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { namespace: 'shop', name: 'bad', generation: 1 },
    spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }], timeout: 'soon' }] },
  });
  assert.match(t.log[0] ?? '', /nothing of it is applied$/);
  assert.deepEqual(firstRoutes(state.build('shop/waypoint')), [{ name: 'default', weights: [1] }]);
  const status = state.status(routeStatusKey('VirtualService', 'shop', 'bad'));
  assert.ok(status?.shape === 'conditions');
  assert.deepEqual(status.conditions.map((c) => [c.type, c.status, c.reason]), [['Accepted', 'False', 'Invalid']]);
  assert.match(status.conditions[0]?.message ?? '', /spec\.http\[0\]\.timeout: "soon" is not a duration.*Nothing of this VirtualService is applied\./);

  apply(state, 'HTTPRoute', split(1, 10));
  assert.equal(firstRoutes(state.build('shop/waypoint')).length, 2);
  const del = emptyTouched();
  state.deleteObject('HTTPRoute', 'shop', 'canary', del);
  assert.ok(state.affected(del).has('shop/waypoint'));
  assert.deepEqual(firstRoutes(state.build('shop/waypoint')), [{ name: 'default', weights: [1] }]);
});

test('subset workloads follow pod churn; pods elsewhere do not rebuild the waypoint', () => {
  const state = loadScenario(`${CLUSTER}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {namespace: shop, name: reviews}
spec:
  host: reviews
  subsets: [{name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {namespace: shop, name: reviews}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v2}}]}]
`);
  const uids = (): readonly string[] | undefined => state.build('shop/waypoint')?.backends.find((b) => b.subset === 'v2')?.workloadUids;
  assert.deepEqual(uids(), []);
  const add = (p: MeshPod): Touched => { const t = emptyTouched(); state.applyPod(p, t); return t; };
  const t1 = add(pod('shop', 'reviews-v2-a', { labels: { app: 'reviews', version: 'v2' } }));
  assert.ok(state.affected(t1).has('shop/waypoint'));
  add(pod('shop', 'reviews-v1-a', { labels: { app: 'reviews', version: 'v1' } }));
  add(pod('shop', 'stray-v2', { labels: { app: 'other', version: 'v2' } }));
  assert.deepEqual(uids(), ['Kubernetes//Pod/shop/reviews-v2-a']);
  const t2 = add(pod('shop', 'reviews-v2-b', { labels: { app: 'reviews', version: 'v2' } }));
  assert.ok(state.affected(t2).has('shop/waypoint'));
  assert.deepEqual(uids(), ['Kubernetes//Pod/shop/reviews-v2-a', 'Kubernetes//Pod/shop/reviews-v2-b']);
  const del = emptyTouched();
  state.deletePod('shop', 'reviews-v2-a', del);
  assert.deepEqual(uids(), ['Kubernetes//Pod/shop/reviews-v2-b']);

  const elsewhere = add(pod('quiet', 'p', { labels: { app: 'reviews', version: 'v2' } }));
  assert.equal(state.affected(elsewhere).size, 0);
});

test('workloads bound by pod label; Services and pods follow namespace labels', () => {
  const state = loadScenario(CLUSTER);
  const t = emptyTouched();
  state.applyPod(pod('quiet', 'db-0', { labels: { app: 'db', 'istio.io/use-waypoint': 'waypoint', 'istio.io/use-waypoint-namespace': 'shop' } }), t);
  assert.ok(state.affected(t).has('shop/waypoint'));
  assert.deepEqual(state.build('shop/waypoint')?.workloads, ['Kubernetes//Pod/quiet/db-0']);
  assert.deepEqual(state.build('shop/waypoint')?.services.map((s) => s.key), ['shop/reviews.shop.svc.cluster.local', 'shop/reviews-v2.shop.svc.cluster.local']);
  const unlabel = emptyTouched();
  state.applyNamespace({ name: 'shop', labels: {} }, unlabel);
  assert.ok(unlabel.waypoints.has('shop/waypoint'));
  assert.deepEqual(state.build('shop/waypoint')?.services, []);
});
