// Unit tests for the MeshKube converters: raw API JSON and client-node model objects (Dates,
// IntOrString) to plain data, defaults the API server would apply, and malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toMeshEndpointSlice, toMeshNamespace, toMeshPod, toMeshService } from './mesh-convert';

test('namespaces: name and labels; nameless objects are skipped', () => {
  assert.deepEqual(toMeshNamespace({ metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient', bad: 3 } } }),
    { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } });
  assert.equal(toMeshNamespace({ metadata: {} }), undefined);
  assert.equal(toMeshNamespace('nonsense'), undefined);
});

test('pods: the fields the model reads', () => {
  const p = toMeshPod({
    metadata: {
      name: 'web-1', namespace: 'shop', uid: 'u1', labels: { app: 'web' }, annotations: { a: 'b' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', controller: true }, { kind: 'X' }],
      deletionTimestamp: new Date('2024-01-01T00:00:00Z'),
    },
    spec: {
      serviceAccountName: 'web', nodeName: 'node-1', hostNetwork: false,
      containers: [
        { name: 'a', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9000 }, { name: 'bad', containerPort: 70000 }] },
        { name: 'b', ports: [{ name: 'http', containerPort: 1 }, { name: 'admin', containerPort: 15000 }] },
      ],
    },
    status: {
      phase: 'Running', podIP: '198.18.1.5', podIPs: [{ ip: '198.18.1.5' }, { ip: 'fd00::5' }],
      conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }],
    },
  });
  assert.deepEqual(p, {
    namespace: 'shop', name: 'web-1', uid: 'u1', labels: { app: 'web' }, annotations: { a: 'b' },
    serviceAccountName: 'web', nodeName: 'node-1', hostNetwork: false, podIPs: ['198.18.1.5', 'fd00::5'],
    phase: 'Running', ready: true, containerPorts: { http: 8080, admin: 15000 },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', controller: true }],
    deleting: true,
  });
});

test('pods: defaults and fallbacks', () => {
  const p = toMeshPod({ metadata: { name: 'a', namespace: 'shop' }, spec: { hostNetwork: true }, status: { podIP: '198.18.1.6', conditions: [{ type: 'Ready', status: 'False' }] } });
  assert.equal(p?.serviceAccountName, 'default');
  assert.equal(p?.hostNetwork, true);
  assert.deepEqual(p?.podIPs, ['198.18.1.6']);
  assert.equal(p?.ready, false);
  assert.equal(p?.deleting, false);
  assert.equal(p?.nodeName, undefined);
  assert.equal(toMeshPod({ metadata: { name: 'a' } }), undefined, 'no namespace');
});

test('pods: a hostile port name is an own property, not the prototype', () => {
  const p = toMeshPod({ metadata: { name: 'a', namespace: 'n' }, spec: { containers: [{ ports: [{ name: '__proto__', containerPort: 80 }] }] } });
  assert.equal(Object.hasOwn(p?.containerPorts ?? {}, '__proto__'), true);
  assert.equal(Object.getPrototypeOf(p?.containerPorts), Object.prototype);
});

test('services: selector, cluster IPs, ports with int-or-string target ports', () => {
  const s = toMeshService({
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      selector: { app: 'web' }, clusterIP: '198.19.0.1', clusterIPs: ['198.19.0.1', 'fd00:10::1'],
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
        { name: 'plain', port: 81 },
        { name: 'num', port: 82, targetPort: 8082, protocol: 'UDP' },
        { name: 'digits', port: 83, targetPort: '8083' },
        { name: 'broken', port: 'x' },
      ],
    },
  });
  assert.deepEqual(s, {
    namespace: 'shop', name: 'web', labels: { app: 'web' }, selector: { app: 'web' },
    clusterIPs: ['198.19.0.1', 'fd00:10::1'], type: 'ClusterIP',
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
      { name: 'plain', port: 81, targetPort: 81, protocol: 'TCP' },
      { name: 'num', port: 82, targetPort: 8082, protocol: 'UDP' },
      { name: 'digits', port: 83, targetPort: 8083, protocol: 'TCP' },
    ],
  });
  const headless = toMeshService({ metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', type: 'ClusterIP' } });
  assert.deepEqual(headless?.clusterIPs, ['None']);
  assert.equal(headless?.selector, undefined);
});

test('endpoint slices: service label, endpoints with readiness and target refs', () => {
  const s = toMeshEndpointSlice({
    metadata: { name: 'web-x', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['198.18.1.5'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop' } },
      { addresses: ['198.18.1.6'], conditions: {} },
      { addresses: ['198.18.1.7'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'web-3' } },
    ],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
  assert.deepEqual(s, {
    namespace: 'shop', name: 'web-x', serviceName: 'web', addressType: 'IPv4',
    endpoints: [
      { addresses: ['198.18.1.5'], ready: true, targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop' } },
      { addresses: ['198.18.1.6'], ready: true },
      { addresses: ['198.18.1.7'], ready: false, targetRef: { kind: 'Pod', name: 'web-3', namespace: 'shop' } },
    ],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
  assert.equal(toMeshEndpointSlice({ metadata: { name: 'x', namespace: 'n' } })?.serviceName, '');
});
