import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAll } from 'js-yaml';
import { L7_NAMESPACES, renderL7Namespace, renderL7Route, ROUTE_HEADER } from './l7-manifests';

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

const base = { repoRoot: '/work/repo', nodeBinary: '/usr/bin/node' };
const docs = (yaml: string): Doc[] => loadAll(yaml) as Doc[];

test('an ambient namespace gets the ambient label and an HTTP Service on port 80 in front of the backend', () => {
  const all = docs(renderL7Namespace({ ...base, namespace: L7_NAMESPACES.waypoint, ambient: true }));
  assert.deepEqual(all.map((d) => d.kind), ['Namespace', 'Pod', 'Pod', 'Service']);
  assert.deepEqual(all[0].metadata.labels, { 'istio.io/dataplane-mode': 'ambient' });
  const svc = all[3];
  assert.equal(svc.metadata.namespace, 'l7-waypoint');
  assert.deepEqual(svc.spec?.selector, { app: 'l7-http' });
  assert.deepEqual(svc.spec?.ports, [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }]);
});

test('the plain namespace has no label and no Service; the client sleeps on node1, the 1 KiB backend runs on node2', () => {
  const all = docs(renderL7Namespace({ ...base, namespace: L7_NAMESPACES.plain, ambient: false }));
  assert.deepEqual(all.map((d) => d.kind), ['Namespace', 'Pod', 'Pod']);
  assert.equal(all[0].metadata.labels, undefined);
  const [client, server] = all.slice(1) as unknown as { metadata: { name: string }; spec: { nodeSelector: Record<string, string>; containers: { image: string; command?: string[] }[] } }[];
  assert.equal(client.metadata.name, 'l7-client');
  assert.deepEqual(client.spec.nodeSelector, { 'kubernetes.io/hostname': 'node1' });
  assert.equal(client.spec.containers[0].image, 'ambit/sleep');
  assert.equal(server.metadata.name, 'l7-http');
  assert.deepEqual(server.spec.nodeSelector, { 'kubernetes.io/hostname': 'node2' });
  assert.deepEqual(server.spec.containers[0].command, ['/usr/bin/node', '/work/repo/dist/bench/agents/http-backend.js', '--host', '0.0.0.0', '--port', '8080']);
});

test('paths that are not absolute are refused', () => {
  assert.throws(() => renderL7Namespace({ ...base, repoRoot: 'repo', namespace: L7_NAMESPACES.mesh, ambient: true }), RangeError);
});

test('the HTTPRoute attaches to the Service, matches everything, sets the route header and routes back to the Service', () => {
  const [route] = docs(renderL7Route(L7_NAMESPACES.waypoint)) as unknown as { kind: string; apiVersion: string; metadata: { namespace: string }; spec: { parentRefs: unknown[]; rules: { matches: unknown[]; filters: unknown[]; backendRefs: unknown[] }[] } }[];
  assert.equal(route.apiVersion, 'gateway.networking.k8s.io/v1');
  assert.equal(route.kind, 'HTTPRoute');
  assert.equal(route.metadata.namespace, 'l7-waypoint');
  assert.deepEqual(route.spec.parentRefs, [{ group: '', kind: 'Service', name: 'l7-http', port: 80 }]);
  assert.deepEqual(route.spec.rules[0].matches, [{ path: { type: 'PathPrefix', value: '/' } }]);
  assert.deepEqual(route.spec.rules[0].filters, [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: ROUTE_HEADER.name, value: ROUTE_HEADER.value }] } }]);
  assert.deepEqual(route.spec.rules[0].backendRefs, [{ name: 'l7-http', port: 80 }]);
});
