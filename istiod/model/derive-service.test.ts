// Unit tests for Service → istio.workload.Service: hostname, VIPs (headless, dual-stack), ports,
// ExternalName, and the waypoint binding (namespace label, `none`, the waypoint's own Service, a
// Gateway istiod does not know, waypoint-for).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WaypointGateway } from '../waypoint/types';
import { deriveService, type WaypointGateways } from './derive-service';
import { modelSettings } from './settings';
import { service, SETTINGS } from './test-fixtures';

test('a ClusterIP Service: hostname, VIP and ports', () => {
  const s = deriveService(service('shop', 'web', {
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'grpc', port: 9090, targetPort: 9091, protocol: 'TCP', appProtocol: 'grpc' },
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
    ],
  }), SETTINGS);
  assert.deepEqual(s, {
    name: 'web', namespace: 'shop', hostname: 'web.shop.svc.cluster.local',
    addresses: [{ network: '', address: '198.19.0.10' }],
    ports: [
      { servicePort: 80, targetPort: 0, appProtocol: 'HTTP11' },
      { servicePort: 9090, targetPort: 9091, appProtocol: 'GRPC' },
      { servicePort: 53, targetPort: 53, appProtocol: 'UNKNOWN' },
    ],
    subjectAltNames: [],
  });
});

test('the domain suffix comes from the settings', () => {
  assert.equal(deriveService(service('shop', 'web'), modelSettings({ domainSuffix: 'corp.example' }))?.hostname, 'web.shop.svc.corp.example');
});

test('headless Services have no VIP; dual-stack Services have both; garbage is dropped', () => {
  assert.deepEqual(deriveService(service('shop', 'db', { clusterIPs: ['None'] }), SETTINGS)?.addresses, []);
  assert.deepEqual(deriveService(service('shop', 'web', { clusterIPs: ['198.19.0.10', 'fd00:10::a'] }), SETTINGS)?.addresses,
    [{ network: '', address: '198.19.0.10' }, { network: '', address: 'fd00:10::a' }]);
  assert.deepEqual(deriveService(service('shop', 'web', { clusterIPs: ['not-an-ip', ''] }), SETTINGS)?.addresses, []);
});

test('ExternalName Services have no Address resource', () => {
  assert.equal(deriveService(service('shop', 'ext', { type: 'ExternalName', clusterIPs: [] }), SETTINGS), undefined);
});

const gateway = (name: string, waypointFor: WaypointGateway['waypointFor'] = 'service', ready = true): [string, WaypointGateway] =>
  [`shop/${name}`, { namespace: 'shop', name, uid: `uid-${name}`, generation: 1, waypointFor, ready, problems: [] }];
const GATEWAYS: WaypointGateways = new Map([gateway('waypoint'), gateway('pods', 'workload'), gateway('down', 'service', false)]);
const ENROLLED = { 'istio.io/use-waypoint': 'waypoint' };
const bound = (labels: Record<string, string>, nsLabels: Record<string, string> = {}, gateways = GATEWAYS): unknown =>
  deriveService(service('shop', 'reviews', { labels }), SETTINGS, { namespaceLabels: nsLabels, gateways })?.waypoint;
const via = (name: string, namespace = 'shop'): unknown =>
  ({ kind: 'hostname', hostname: { namespace, hostname: `${name}.${namespace}.svc.cluster.local` }, hboneMtlsPort: 15008 });

test('a namespace label binds its Services to the waypoint by hostname; the Service label wins', () => {
  assert.deepEqual(bound({}, ENROLLED), via('waypoint'));
  assert.deepEqual(bound({ 'istio.io/use-waypoint': 'down' }, ENROLLED), via('down'), 'not ready: still bound (fail closed)');
  assert.deepEqual(bound({ 'istio.io/use-waypoint': 'edge', 'istio.io/use-waypoint-namespace': 'infra' }), via('edge', 'infra'));
  assert.equal(bound({}), undefined);
  assert.equal(deriveService(service('shop', 'reviews'), SETTINGS)?.waypoint, undefined, 'no directory, no binding');
});

test('`none` opts a Service out, the waypoint\'s own Service is never bound, workload-only waypoints do not take Services', () => {
  assert.equal(bound({ 'istio.io/use-waypoint': 'none' }, ENROLLED), undefined);
  assert.equal(bound({ 'gateway.istio.io/managed': 'istio.io-mesh-controller', 'gateway.networking.k8s.io/gateway-name': 'waypoint' }, ENROLLED),
    undefined);
  assert.equal(bound({ 'istio.io/use-waypoint': 'pods' }), undefined);
});

test('a Service bound to a Gateway istiod does not know keeps the binding (its traffic fails closed)', () => {
  assert.deepEqual(bound({ 'istio.io/use-waypoint': 'missing' }), via('missing'));
  assert.deepEqual(bound({}, ENROLLED, new Map()), via('waypoint'));
  const corp = deriveService(service('shop', 'reviews'), modelSettings({ domainSuffix: 'corp.example' }),
    { namespaceLabels: ENROLLED, gateways: GATEWAYS })?.waypoint;
  assert.deepEqual(corp, { kind: 'hostname', hostname: { namespace: 'shop', hostname: 'waypoint.shop.svc.corp.example' }, hboneMtlsPort: 15008 });
});
