// parseWaypointGateway: only class istio-waypoint is a waypoint; the HBONE listener, the
// waypoint-for label, the name and the uid are checked, each problem naming its field.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toMeshPolicy } from '../kube/mesh-convert';
import type { MeshPolicy } from '../kube/mesh-types';
import { LISTENER_PROBLEM, parseWaypointGateway } from './gateway';

function gateway(over: { name?: string; labels?: Record<string, string>; uid?: string | null; spec?: Record<string, unknown> } = {}): MeshPolicy {
  const policy = toMeshPolicy({
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway',
    metadata: {
      name: over.name ?? 'waypoint', namespace: 'shop', generation: 3, labels: over.labels ?? {},
      ...(over.uid === null ? {} : { uid: over.uid ?? 'uid-1' }),
    },
    spec: over.spec ?? { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  });
  assert.ok(policy);
  return policy;
}

test('a canonical waypoint Gateway is valid, serves services by default and is not ready yet', () => {
  const parsed = parseWaypointGateway(gateway());
  assert.deepEqual(parsed, {
    gateway: { namespace: 'shop', name: 'waypoint', uid: 'uid-1', generation: 3, waypointFor: 'service', ready: false, problems: [] },
    deployable: true,
  });
  assert.equal(parseWaypointGateway(gateway({ labels: { 'istio.io/waypoint-for': 'all' } }))?.gateway.waypointFor, 'all');
});

test('a Gateway of another class is not a waypoint', () => {
  assert.equal(parseWaypointGateway(gateway({ spec: { gatewayClassName: 'istio', listeners: [] } })), undefined);
  assert.equal(parseWaypointGateway(gateway({ spec: {} })), undefined);
});

test('a waypoint without an HBONE listener on 15008 is reported, and still deployed', () => {
  for (const listeners of [[], [{ name: 'mesh', port: 15009, protocol: 'HBONE' }], [{ name: 'http', port: 15008, protocol: 'HTTP' }], 'x']) {
    const parsed = parseWaypointGateway(gateway({ spec: { gatewayClassName: 'istio-waypoint', listeners } }));
    assert.deepEqual(parsed?.gateway.problems, [LISTENER_PROBLEM], JSON.stringify(listeners));
    assert.equal(parsed?.deployable, true);
  }
  assert.equal(LISTENER_PROBLEM, 'spec.listeners: a waypoint needs a listener with protocol HBONE on port 15008');
});

test('an unknown waypoint-for value falls back to service, with a problem naming the label', () => {
  const parsed = parseWaypointGateway(gateway({ labels: { 'istio.io/waypoint-for': 'everything' } }));
  assert.equal(parsed?.gateway.waypointFor, 'service');
  assert.deepEqual(parsed?.gateway.problems,
    ['metadata.labels["istio.io/waypoint-for"]: "everything" is not one of service, workload, all, none (using service)']);
});

test('a name that cannot name a Service, or a missing uid, makes the Gateway undeployable', () => {
  const dotted = parseWaypointGateway(gateway({ name: 'way.point' }));
  assert.equal(dotted?.deployable, false);
  assert.match(dotted?.gateway.problems[0] ?? '', /^metadata\.name: "way\.point" cannot name the waypoint's Service/);
  const long = parseWaypointGateway(gateway({ name: `w${'a'.repeat(200)}` }));
  assert.equal(long?.deployable, false);
  assert.ok((long?.gateway.problems[0]?.length ?? 0) < 250, 'hostile values are cut short in messages');
  const noUid = parseWaypointGateway(gateway({ uid: null }));
  assert.equal(noUid?.deployable, false);
  assert.match(noUid?.gateway.problems.join() ?? '', /metadata\.uid: missing/);
  const none = parseWaypointGateway(gateway({ name: 'none' }));
  assert.equal(none?.deployable, true);
  assert.match(none?.gateway.problems[0] ?? '', /"none" is reserved/);
});
