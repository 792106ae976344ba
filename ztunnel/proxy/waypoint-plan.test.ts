// planOutbound with waypoints: a Service VIP bound to a waypoint (by hostname or by address) is
// tunnelled to a waypoint pod with the VIP as authority and the waypoint's identity expected, no
// endpoint chosen; a pod's own waypoint likewise with the pod address; a pod without one goes
// direct; an unresolvable waypoint is refused with the reason (fail closed), never bypassed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayAddress } from '../../pkg/api/workload-types';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import { planOutbound, planSettingsFrom, type OutboundPlan } from './outbound-plan';
import { backs, testService, testState, testWorkload } from './test-state';
import { resolveWaypoint } from './waypoint-plan';

const plan = planSettingsFrom({
  nodeName: 'node-a',
  nodeIP: '198.18.0.11',
  trustDomain: 'cluster.local',
  listenHost: '0.0.0.0',
  ports: { outbound: 15001, inboundPlaintext: 15006, inbound: 15008 },
  hbonePort: 15008,
  connectTimeoutMs: 10_000,
  drainTimeoutMs: 5_000,
});

const byHostname: GatewayAddress = { kind: 'hostname', hostname: { namespace: 'shop', hostname: 'waypoint.shop.svc.cluster.local' }, hboneMtlsPort: 15008 };
const waypointSvc = testService({ name: 'waypoint', addresses: [{ network: '', address: '198.19.0.99' }], ports: [{ servicePort: 15008, targetPort: 15008, appProtocol: 'TCP' }] });
const reviews = testService({
  name: 'reviews',
  addresses: [{ network: '', address: '198.19.0.10' }],
  ports: [{ servicePort: 9080, targetPort: 8080, appProtocol: 'TCP' }],
  waypoint: byHostname,
});
const client = testWorkload({ name: 'client', addresses: ['198.18.1.5'], node: 'node-a' });
const reviewsPod = testWorkload({ name: 'reviews-v1', serviceAccount: 'reviews', addresses: ['198.18.2.7'], node: 'node-b', services: backs(reviews, [{ servicePort: 9080, targetPort: 8080, appProtocol: 'TCP' }]) });
// Waypoint pods are not captured themselves: tunnel protocol NONE, yet always dialled over HBONE.
const waypointMapping = backs(waypointSvc, [{ servicePort: 15008, targetPort: 15008, appProtocol: 'TCP' }]);
const wp1 = testWorkload({ name: 'waypoint-1', serviceAccount: 'waypoint', addresses: ['198.18.2.30'], node: 'node-b', tunnelProtocol: 'NONE', services: waypointMapping });
const wp2 = testWorkload({ name: 'waypoint-2', serviceAccount: 'waypoint', addresses: ['198.18.1.30'], node: 'node-a', tunnelProtocol: 'NONE', services: waypointMapping });

function decide(state: ReturnType<typeof testState>, destIP: string, destPort: number, random = (): number => 0, sourceIP = '198.18.1.5'): OutboundPlan {
  return planOutbound(state, plan, { sourceIP, destIP, destPort }, random);
}

function hbone(p: OutboundPlan): Extract<OutboundPlan, { kind: 'hbone' }> {
  assert.equal(p.kind, 'hbone', p.kind === 'deny' ? p.reason : p.kind);
  return p as Extract<OutboundPlan, { kind: 'hbone' }>;
}

function denied(p: OutboundPlan): Extract<OutboundPlan, { kind: 'deny' }> {
  assert.equal(p.kind, 'deny');
  return p as Extract<OutboundPlan, { kind: 'deny' }>;
}

test('a Service bound to a waypoint by hostname: HBONE to a waypoint pod, authority = the VIP:port, the waypoint identity expected', () => {
  const state = testState([client, reviewsPod, wp1], [reviews, waypointSvc]);
  const p = hbone(decide(state, '198.19.0.10', 9080));
  assert.equal(p.authority, '198.19.0.10:9080');
  assert.deepEqual(p.hboneAddress, { address: '198.18.2.30', port: 15008 });
  assert.equal(p.destination.name, 'waypoint-1');
  assert.deepEqual(p.expectedIdentities.map(formatSpiffeId), ['spiffe://cluster.local/ns/shop/sa/waypoint']);
  assert.equal(formatSpiffeId(p.sourceIdentity), 'spiffe://cluster.local/ns/shop/sa/client');
  assert.equal(p.service?.hostname, 'reviews.shop.svc.cluster.local', 'the original Service is kept for telemetry');
  assert.deepEqual(p.waypoint, { name: 'shop/waypoint', scope: 'service' });
});

test('a waypoint on this node is still an HBONE dial to its IP:15008 (never local delivery); pods are picked per connection', () => {
  const state = testState([client, reviewsPod, wp1, wp2], [reviews, waypointSvc]);
  const picked = new Set<string>();
  for (const r of [0, 0.99]) {
    const p = hbone(decide(state, '198.19.0.10', 9080, () => r));
    picked.add(`${p.hboneAddress.address}:${p.hboneAddress.port}`);
  }
  assert.deepEqual([...picked].sort(), ['198.18.1.30:15008', '198.18.2.30:15008']);
});

test('the GatewayAddress HBONE port is used; the waypoint Service subject alt names are accepted too', () => {
  const withSans = testService({ ...waypointSvc, subjectAltNames: ['spiffe://cluster.local/ns/shop/sa/waypoint-canary'] });
  const custom = testService({ ...reviews, waypoint: { ...byHostname, hboneMtlsPort: 15999 } });
  const p = hbone(decide(testState([client, wp1], [custom, withSans]), '198.19.0.10', 9080));
  assert.equal(p.hboneAddress.port, 15999);
  assert.deepEqual(p.expectedIdentities.map(formatSpiffeId), ['spiffe://cluster.local/ns/shop/sa/waypoint', 'spiffe://cluster.local/ns/shop/sa/waypoint-canary']);
});

test('a waypoint named by address: a workload IP, or a Service VIP whose endpoints are the waypoint pods', () => {
  const toPod = testService({ ...reviews, waypoint: { kind: 'address', address: { network: '', address: '198.18.2.30' }, hboneMtlsPort: 15008 } });
  const p = hbone(decide(testState([client, reviewsPod, wp1], [toPod]), '198.19.0.10', 9080));
  assert.deepEqual(p.hboneAddress, { address: '198.18.2.30', port: 15008 });
  assert.equal(p.authority, '198.19.0.10:9080');
  assert.equal(p.waypoint?.name, 'shop/waypoint-1');

  const toVip = testService({ ...reviews, waypoint: { kind: 'address', address: { network: '', address: '198.19.0.99' }, hboneMtlsPort: 15008 } });
  const q = hbone(decide(testState([client, reviewsPod, wp1], [toVip, waypointSvc]), '198.19.0.10', 9080));
  assert.deepEqual(q.hboneAddress, { address: '198.18.2.30', port: 15008 });
  assert.equal(q.waypoint?.name, 'shop/waypoint');
});

test("a pod IP whose workload has a waypoint goes to the waypoint with the pod's address as authority", () => {
  const bound = testWorkload({ ...reviewsPod, waypoint: byHostname });
  const p = hbone(decide(testState([client, bound, wp1], [waypointSvc]), '198.18.2.7', 8080));
  assert.equal(p.authority, '198.18.2.7:8080');
  assert.deepEqual(p.hboneAddress, { address: '198.18.2.30', port: 15008 });
  assert.equal(p.service, undefined);
  assert.deepEqual(p.waypoint, { name: 'shop/waypoint', scope: 'workload' });
});

test('a pod IP without a workload waypoint goes direct, even when its Service has one', () => {
  const p = hbone(decide(testState([client, reviewsPod, wp1], [reviews, waypointSvc]), '198.18.2.7', 8080));
  assert.equal(p.authority, '198.18.2.7:8080');
  assert.deepEqual(p.hboneAddress, { address: '198.18.2.7', port: 15008 });
  assert.equal(p.waypoint, undefined);
});

test("the waypoint's own traffic to a pod it serves is not sent back to it", () => {
  const wpCaptured = testWorkload({ ...wp2, tunnelProtocol: 'HBONE' });
  const bound = testWorkload({ ...reviewsPod, waypoint: byHostname });
  const p = hbone(decide(testState([client, bound, wpCaptured], [waypointSvc]), '198.18.2.7', 8080, () => 0, '198.18.1.30'));
  assert.equal(p.waypoint, undefined);
  assert.deepEqual(p.hboneAddress, { address: '198.18.2.7', port: 15008 });
});

test('a waypoint that cannot be resolved refuses the connection with the reason (fail closed, no bypass)', () => {
  const sick = testWorkload({ ...wp1, status: 'UNHEALTHY' });
  const none = denied(decide(testState([client, reviewsPod, sick], [reviews, waypointSvc]), '198.19.0.10', 9080));
  assert.equal(none.reason, 'shop/reviews.shop.svc.cluster.local:9080 is bound to waypoint shop/waypoint, which has no ready endpoints; refusing (fail closed)');
  assert.deepEqual(none.waypoint, { subject: 'shop/reviews.shop.svc.cluster.local:9080', bound: 'shop/reviews.shop.svc.cluster.local', waypoint: 'shop/waypoint', problem: 'has no ready endpoints' });
  assert.equal(none.service?.name, 'reviews');

  const unknown = denied(decide(testState([client, reviewsPod], [reviews]), '198.19.0.10', 9080));
  assert.match(unknown.reason, /bound to waypoint shop\/waypoint\.shop\.svc\.cluster\.local, which is not a known Service; refusing \(fail closed\)/);

  const byAddress = testService({ ...reviews, waypoint: { kind: 'address', address: { network: '', address: '198.18.9.9' }, hboneMtlsPort: 15008 } });
  assert.match(denied(decide(testState([client, reviewsPod], [byAddress]), '198.19.0.10', 9080)).reason, /which is not a known workload or Service address/);

  const remote = testService({ ...reviews, waypoint: { kind: 'address', address: { network: 'west', address: '198.18.2.30' }, hboneMtlsPort: 15008 } });
  assert.match(denied(decide(testState([client, wp1], [remote]), '198.19.0.10', 9080)).reason, /multi-network waypoints are not supported/);

  const bound = testWorkload({ ...reviewsPod, waypoint: byHostname });
  const pod = denied(decide(testState([client, bound], []), '198.18.2.7', 8080));
  assert.match(pod.reason, /^shop\/reviews-v1 \(198\.18\.2\.7:8080\) is bound to waypoint/);
  assert.equal(pod.destination?.name, 'reviews-v1');
});

test('resolveWaypoint skips pods without an address and falls back to the default HBONE port', () => {
  const bare = testWorkload({ ...wp1, addresses: [] });
  const state = testState([client, bare, wp2], [waypointSvc]);
  const r = resolveWaypoint(state, { ...byHostname, hboneMtlsPort: 0 }, client, 15008, () => 0);
  assert.equal(r.kind === 'resolved' && `${r.target.address}:${r.target.port}`, '198.18.1.30:15008');
});
