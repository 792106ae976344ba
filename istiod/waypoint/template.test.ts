// renderWaypoint: the ServiceAccount, Deployment and Service of a waypoint — names, labels,
// owner references to the Gateway, the pod's environment, probes, ports and volumes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OwnedObject } from '../kube/mesh-types';
import { renderWaypoint, waypointTemplateSettings } from './template';
import type { WaypointGateway } from './types';

const gw: WaypointGateway = { namespace: 'shop', name: 'waypoint', uid: 'uid-42', generation: 1, waypointFor: 'service', ready: false, problems: [] };
const settings = waypointTemplateSettings({ istiodNamespace: 'istio-system', trustDomain: 'example.org', clusterId: 'east' });

type Json = Record<string, unknown>;
const rec = (v: unknown): Json => v as Json;
const list = (v: unknown): Json[] => v as Json[];

function byKind(objects: OwnedObject[], kind: OwnedObject['kind']): OwnedObject {
  const o = objects.find((x) => x.kind === kind);
  assert.ok(o, kind);
  return o;
}

test('three objects named after the Gateway, labelled and owned by it', () => {
  const objects = renderWaypoint(gw, settings);
  assert.deepEqual(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
    ['v1 ServiceAccount shop/waypoint', 'apps/v1 Deployment shop/waypoint', 'v1 Service shop/waypoint']);
  for (const o of objects) {
    assert.deepEqual(o.metadata.labels, { 'gateway.networking.k8s.io/gateway-name': 'waypoint', 'gateway.istio.io/managed': 'istio.io-mesh-controller' });
    assert.deepEqual(o.metadata.ownerReferences,
      [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'waypoint', uid: 'uid-42', controller: true }]);
  }
});

test('the Deployment runs one never-captured istio-proxy pod with the waypoint environment', () => {
  const spec = rec(byKind(renderWaypoint(gw, settings), 'Deployment').spec);
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.selector, { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } });
  const template = rec(spec.template);
  assert.deepEqual(rec(template.metadata).labels, {
    'gateway.networking.k8s.io/gateway-name': 'waypoint', 'gateway.istio.io/managed': 'istio.io-mesh-controller',
    'istio.io/dataplane-mode': 'none', 'sidecar.istio.io/inject': 'false',
  });
  const pod = rec(template.spec);
  assert.equal(pod.serviceAccountName, 'waypoint');
  const [container, ...more] = list(pod.containers);
  assert.equal(more.length, 0);
  assert.equal(container?.name, 'istio-proxy');
  assert.equal(container?.image, 'ambit/waypoint:latest');
  assert.deepEqual(list(container?.ports).map((p) => [p.name, p.containerPort]), [['hbone', 15008], ['metrics', 15020], ['status-port', 15021]]);
  assert.deepEqual(rec(container?.readinessProbe).httpGet, { path: '/healthz/ready', port: 15021 });
  const env = Object.fromEntries(list(container?.env).map((e) => [e.name, e.value ?? rec(rec(e.valueFrom).fieldRef).fieldPath]));
  assert.deepEqual(env, {
    POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', INSTANCE_IP: 'status.podIP', SERVICE_ACCOUNT: 'spec.serviceAccountName',
    GATEWAY_NAME: 'waypoint', XDS_ADDRESS: 'istiod.istio-system.svc:15012', CA_ADDRESS: 'istiod.istio-system.svc:15012',
    TRUST_DOMAIN: 'example.org', CLUSTER_ID: 'east',
    ROOT_CERT_PATH: '/var/run/secrets/istio/root-cert.pem', TOKEN_PATH: '/var/run/secrets/tokens/istio-token',
  });
});

test('the pod gets an istio-ca token and the mesh root where the environment says', () => {
  const pod = rec(rec(rec(byKind(renderWaypoint(gw, settings), 'Deployment').spec).template).spec);
  assert.deepEqual(pod.volumes, [
    { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
    { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
  ]);
  assert.deepEqual(list(pod.containers)[0]?.volumeMounts, [
    { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
    { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
  ]);
});

test('the Service selects the waypoint pods and exposes HBONE and the status port', () => {
  const spec = rec(byKind(renderWaypoint(gw, settings), 'Service').spec);
  assert.equal(spec.type, 'ClusterIP');
  assert.deepEqual(spec.selector, { 'gateway.networking.k8s.io/gateway-name': 'waypoint' });
  assert.deepEqual(list(spec.ports).map((p) => [p.name, p.port, p.targetPort]), [['mesh', 15008, 15008], ['status-port', 15021, 15021]]);
});

test('an image and another istiod namespace are honoured', () => {
  const s = waypointTemplateSettings({ istiodNamespace: 'mesh', trustDomain: 'cluster.local', clusterId: 'Kubernetes', image: 'reg.example/waypoint:1' });
  const pod = rec(rec(rec(byKind(renderWaypoint(gw, s), 'Deployment').spec).template).spec);
  const container = list(pod.containers)[0];
  assert.equal(container?.image, 'reg.example/waypoint:1');
  assert.ok(list(container?.env).some((e) => e.name === 'XDS_ADDRESS' && e.value === 'istiod.mesh.svc:15012'));
});
