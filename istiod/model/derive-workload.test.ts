// Unit tests for Pod → Workload: which pods have a workload, HBONE enrollment (namespace/pod
// labels, opt-out, kube-system, host network, sidecars), identity and telemetry fields, owners,
// readiness, the Services a pod backs with named target ports resolved per pod, and the workload
// waypoint a pod is bound to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Workload } from '../../pkg/api/workload-types';
import type { MeshNamespace, MeshPod, MeshService } from '../kube/mesh-types';
import type { WaypointGateway } from '../waypoint/types';
import { deriveWorkload } from './derive-workload';
import { modelSettings } from './settings';
import { ns, pod, service, SETTINGS, slice } from './test-fixtures';

const derive = (p: MeshPod, n: MeshNamespace | undefined = ns(p.namespace), services: MeshService[] = []): Workload => {
  const w = deriveWorkload(p, n, services, SETTINGS);
  assert.ok(w, 'expected a workload');
  return w;
};

test('a running pod becomes a workload with its identity, node, addresses and cluster', () => {
  const w = derive(pod('shop', 'web-1', { podIPs: ['198.18.1.10', 'fd00::a'] }));
  assert.equal(w.uid, 'Kubernetes//Pod/shop/web-1');
  assert.equal(w.name, 'web-1');
  assert.equal(w.namespace, 'shop');
  assert.deepEqual(w.addresses, ['198.18.1.10', 'fd00::a']);
  assert.equal(w.network, '');
  assert.equal(w.trustDomain, 'cluster.local');
  assert.equal(w.serviceAccount, 'web');
  assert.equal(w.node, 'node-1');
  assert.equal(w.clusterId, 'Kubernetes');
  assert.deepEqual(w.authorizationPolicies, []);
  assert.equal(w.waypoint, undefined);
});

test('cluster id and trust domain come from the settings', () => {
  const w = deriveWorkload(pod('shop', 'a'), ns('shop'), [], modelSettings({ clusterId: 'east', trustDomain: 'example.org' }));
  assert.equal(w?.uid, 'east//Pod/shop/a');
  assert.equal(w?.clusterId, 'east');
  assert.equal(w?.trustDomain, 'example.org');
});

test('pods without an IP, on the host network, finished or being deleted have no workload', () => {
  const none = (p: MeshPod): void => assert.equal(deriveWorkload(p, ns('shop'), [], SETTINGS), undefined, p.name);
  none(pod('shop', 'pending', { podIPs: [], phase: 'Pending' }));
  none(pod('shop', 'host', { hostNetwork: true }));
  none(pod('shop', 'done', { phase: 'Succeeded' }));
  none(pod('shop', 'crashed', { phase: 'Failed' }));
  none(pod('shop', 'leaving', { deleting: true }));
});

test('enrollment: a namespace or pod label enrolls, a pod label none opts out', () => {
  const mode = (p: MeshPod, n: MeshNamespace | undefined): string => derive(p, n).tunnelProtocol;
  const ambientNs = ns('shop', { 'istio.io/dataplane-mode': 'ambient' });
  assert.equal(mode(pod('shop', 'a'), ns('shop')), 'NONE');
  assert.equal(mode(pod('shop', 'a'), ambientNs), 'HBONE');
  assert.equal(mode(pod('shop', 'a', { labels: { 'istio.io/dataplane-mode': 'ambient' } }), ns('shop')), 'HBONE');
  assert.equal(mode(pod('shop', 'a', { labels: { 'istio.io/dataplane-mode': 'none' } }), ambientNs), 'NONE');
  assert.equal(mode(pod('shop', 'a', { labels: { 'istio.io/dataplane-mode': 'other' } }), ambientNs), 'HBONE');
  assert.equal(mode(pod('shop', 'a'), undefined), 'NONE', 'an unknown namespace enrolls nothing');
  assert.equal(mode(pod('shop', 'a'), ns('shop', { 'istio.io/dataplane-mode': 'none' })), 'NONE');
});

test('enrollment never applies to kube-system pods or pods with a sidecar', () => {
  const label = { 'istio.io/dataplane-mode': 'ambient' };
  assert.equal(derive(pod('kube-system', 'dns', { labels: label }), ns('kube-system', label)).tunnelProtocol, 'NONE');
  assert.equal(derive(pod('shop', 'a', { annotations: { 'sidecar.istio.io/status': '{}' } }), ns('shop', label)).tunnelProtocol, 'NONE');
});

test('readiness decides the status', () => {
  assert.equal(derive(pod('shop', 'a', { ready: true })).status, 'HEALTHY');
  assert.equal(derive(pod('shop', 'a', { ready: false })).status, 'UNHEALTHY');
});

test('canonical name and revision follow Istio label precedence', () => {
  const w = (labels: Record<string, string>): Workload => derive(pod('shop', 'solo', { labels }));
  assert.deepEqual([w({}).canonicalName, w({}).canonicalRevision], ['solo', 'latest']);
  assert.deepEqual([w({ app: 'a', version: 'v1' }).canonicalName, w({ app: 'a', version: 'v1' }).canonicalRevision], ['a', 'v1']);
  const all = w({
    app: 'a', version: 'v1', 'app.kubernetes.io/name': 'k', 'app.kubernetes.io/version': 'v2',
    'service.istio.io/canonical-name': 'c', 'service.istio.io/canonical-revision': 'v3',
  });
  assert.deepEqual([all.canonicalName, all.canonicalRevision], ['c', 'v3']);
  assert.equal(w({ 'app.kubernetes.io/name': 'k', app: 'a' }).canonicalName, 'k');
});

test('the controlling owner names the workload', () => {
  const owned = (kind: string, name: string, labels: Record<string, string> = {}, controller = true): Workload =>
    derive(pod('shop', 'p-1', { labels, ownerReferences: [{ apiVersion: 'v1', kind, name, controller }] }));
  const pick = (w: Workload): [string, string] => [w.workloadType, w.workloadName];
  assert.deepEqual(pick(owned('ReplicaSet', 'reviews-v1-7f9c8d', { 'pod-template-hash': '7f9c8d' })), ['DEPLOYMENT', 'reviews-v1']);
  assert.deepEqual(pick(owned('ReplicaSet', 'bare-rs')), ['POD', 'p-1']);
  assert.deepEqual(pick(owned('Deployment', 'reviews')), ['DEPLOYMENT', 'reviews']);
  assert.deepEqual(pick(owned('Job', 'migrate')), ['JOB', 'migrate']);
  assert.deepEqual(pick(owned('Job', 'nightly-28930140')), ['CRONJOB', 'nightly']);
  assert.deepEqual(pick(owned('StatefulSet', 'db')), ['POD', 'p-1']);
  assert.deepEqual(pick(owned('Deployment', 'reviews', {}, false)), ['POD', 'p-1'], 'only the controller counts');
  assert.equal(owned('Deployment', 'reviews').canonicalName, 'reviews', 'the canonical name falls back to the workload name');
});

test('services: selector matches in the pod namespace, one port mapping per service port', () => {
  const svcs = [
    service('shop', 'web', {
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'grpc-api', port: 9090, targetPort: 9091, protocol: 'TCP' },
        { name: 'metrics', port: 9100, targetPort: 'prom', protocol: 'TCP' },
      ],
    }),
    service('shop', 'other', { selector: { app: 'other' } }),
    service('shop', 'everything', { selector: {} }),
    service('elsewhere', 'web'),
    service('shop', 'ext', { type: 'ExternalName', clusterIPs: [] }),
  ];
  const w = derive(pod('shop', 'web-1', { containerPorts: { http: 8080 } }), ns('shop'), svcs);
  assert.deepEqual(w.services, {
    'shop/web.shop.svc.cluster.local': [
      { servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' },
      { servicePort: 9090, targetPort: 9091, appProtocol: 'GRPC' },
      { servicePort: 9100, targetPort: 0, appProtocol: 'UNKNOWN' },
    ],
  });
});

test('services: the same named target port resolves differently per pod', () => {
  const svc = service('shop', 'web', { ports: [{ name: 'web', port: 80, targetPort: 'web', protocol: 'TCP', appProtocol: 'http2' }] });
  const a = derive(pod('shop', 'a', { containerPorts: { web: 8080 } }), ns('shop'), [svc]);
  const b = derive(pod('shop', 'b', { containerPorts: { web: 9090 } }), ns('shop'), [svc]);
  assert.deepEqual(a.services['shop/web.shop.svc.cluster.local'], [{ servicePort: 80, targetPort: 8080, appProtocol: 'HTTP2' }]);
  assert.deepEqual(b.services['shop/web.shop.svc.cluster.local'], [{ servicePort: 80, targetPort: 9090, appProtocol: 'HTTP2' }]);
});

test('services: a hostile port name never resolves through Object.prototype', () => {
  const svc = service('shop', 'web', { ports: [{ name: 'x', port: 80, targetPort: 'constructor', protocol: 'TCP' }] });
  const w = derive(pod('shop', 'a', { containerPorts: {} }), ns('shop'), [svc]);
  assert.deepEqual(w.services['shop/web.shop.svc.cluster.local'], [{ servicePort: 80, targetPort: 0, appProtocol: 'UNKNOWN' }]);
});

test('services: selector-less Services count when their EndpointSlices list the pod', () => {
  const manual = service('shop', 'manual', { selector: undefined, ports: [{ name: 'db', port: 5432, targetPort: 5432, protocol: 'TCP' }] });
  const byRef = slice('shop', 'manual-1', 'manual', {
    endpoints: [{ addresses: ['198.18.1.10'], ready: true, targetRef: { kind: 'Pod', namespace: 'shop', name: 'db-0' } }],
    ports: [{ name: 'db', port: 15432, protocol: 'TCP' }],
  });
  const p = pod('shop', 'db-0', { podIPs: ['198.18.1.10'] });
  const w = deriveWorkload(p, ns('shop'), [manual], SETTINGS, [byRef]);
  assert.deepEqual(w?.services, { 'shop/manual.shop.svc.cluster.local': [{ servicePort: 5432, targetPort: 15432, appProtocol: 'UNKNOWN' }] });

  const byAddress = slice('shop', 'manual-1', 'manual', { endpoints: [{ addresses: ['198.18.1.10'], ready: true }] });
  assert.deepEqual(Object.keys(deriveWorkload(p, ns('shop'), [manual], SETTINGS, [byAddress])?.services ?? {}), ['shop/manual.shop.svc.cluster.local']);

  const otherPod = slice('shop', 'manual-1', 'manual', {
    endpoints: [{ addresses: ['198.18.1.10'], ready: true, targetRef: { kind: 'Pod', namespace: 'shop', name: 'db-1' } }],
  });
  assert.deepEqual(deriveWorkload(p, ns('shop'), [manual], SETTINGS, [otherPod])?.services, {});
  assert.deepEqual(deriveWorkload(p, ns('shop'), [manual], SETTINGS, [])?.services, {}, 'no slices, no membership');
});

const gw = (name: string, waypointFor: WaypointGateway['waypointFor']): [string, WaypointGateway] =>
  [`shop/${name}`, { namespace: 'shop', name, uid: name, generation: 1, waypointFor, ready: true, problems: [] }];
const GATEWAYS = new Map([gw('waypoint', 'service'), gw('pods', 'workload'), gw('both', 'all')]);
const waypointOfPod = (labels: Record<string, string>, nsLabels: Record<string, string> = {}): string | undefined => {
  const w = deriveWorkload(pod('shop', 'web-1', { labels }), ns('shop', nsLabels), [], SETTINGS, [], [], GATEWAYS)?.waypoint;
  return w?.kind === 'hostname' ? `${w.hostname.namespace} ${w.hostname.hostname} ${w.hboneMtlsPort}` : undefined;
};

test('waypoint-for=workload (or all) binds pods; a service waypoint does not', () => {
  assert.equal(waypointOfPod({ 'istio.io/use-waypoint': 'pods' }), 'shop pods.shop.svc.cluster.local 15008');
  assert.equal(waypointOfPod({}, { 'istio.io/use-waypoint': 'both' }), 'shop both.shop.svc.cluster.local 15008');
  assert.equal(waypointOfPod({}, { 'istio.io/use-waypoint': 'waypoint' }), undefined);
  assert.equal(waypointOfPod({ 'istio.io/use-waypoint': 'none' }, { 'istio.io/use-waypoint': 'both' }), undefined);
});

test('a pod labelled with an unknown waypoint is bound (fail closed); its namespace label alone does not bind it', () => {
  assert.equal(waypointOfPod({ 'istio.io/use-waypoint': 'missing' }), 'shop missing.shop.svc.cluster.local 15008');
  assert.equal(waypointOfPod({}, { 'istio.io/use-waypoint': 'missing' }), undefined);
});

test('the waypoint\'s own pods are never bound', () => {
  assert.equal(waypointOfPod({ 'gateway.istio.io/managed': 'istio.io-mesh-controller', 'gateway.networking.k8s.io/gateway-name': 'both' },
    { 'istio.io/use-waypoint': 'both' }), undefined);
});
