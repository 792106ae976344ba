// planOutbound: what happens to a captured connection — Service VIP → a healthy endpoint with the
// port translated, pod IP → that pod, unknown or non-HBONE → passthrough, same node → local,
// refusals (no healthy endpoint, unresolvable port, loopback/self-calls, unknown or remote source).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import { planOutbound, planSettingsFrom, serviceByHostname, type OutboundPlan, type PlanSettings } from './outbound-plan';
import { backs, testService, testState, testWorkload } from './test-state';
import type { ProxySettings } from './types';

const settings: ProxySettings = {
  nodeName: 'node-a',
  nodeIP: '198.18.0.11',
  trustDomain: 'cluster.local',
  listenHost: '0.0.0.0',
  ports: { outbound: 15001, inboundPlaintext: 15006, inbound: 15008 },
  hbonePort: 15008,
  connectTimeoutMs: 10_000,
  drainTimeoutMs: 5_000,
};
const plan: PlanSettings = planSettingsFrom(settings);

const reviews = testService({
  name: 'reviews',
  addresses: [{ network: '', address: '198.19.0.10' }],
  ports: [{ servicePort: 9080, targetPort: 8080, appProtocol: 'TCP' }],
});
const client = testWorkload({ name: 'client', addresses: ['198.18.1.5'], node: 'node-a' });
const remote = testWorkload({ name: 'reviews-v1', serviceAccount: 'reviews', addresses: ['198.18.2.7'], node: 'node-b', services: backs(reviews, [{ servicePort: 9080, targetPort: 8080, appProtocol: 'TCP' }]) });
const remote2 = testWorkload({ name: 'reviews-v2', serviceAccount: 'reviews', addresses: ['198.18.2.8'], node: 'node-b', services: backs(reviews, [{ servicePort: 9080, targetPort: 8081, appProtocol: 'TCP' }]) });
const local = testWorkload({ name: 'ratings', addresses: ['198.18.1.9'], node: 'node-a' });
const plain = testWorkload({ name: 'legacy', addresses: ['198.18.2.20'], node: 'node-b', tunnelProtocol: 'NONE' });

function decide(state: ReturnType<typeof testState>, destIP: string, destPort: number, random = (): number => 0, sourceIP = '198.18.1.5'): OutboundPlan {
  return planOutbound(state, plan, { sourceIP, destIP, destPort }, random);
}

test('a Service VIP goes to a healthy endpoint over HBONE, with the service port translated to its target port', () => {
  const state = testState([client, remote, remote2], [reviews]);
  const first = decide(state, '198.19.0.10', 9080, () => 0);
  assert.equal(first.kind, 'hbone');
  if (first.kind !== 'hbone') return;
  assert.equal(first.destination.name, 'reviews-v1');
  assert.equal(first.authority, '198.18.2.7:8080');
  assert.deepEqual(first.hboneAddress, { address: '198.18.2.7', port: 15008 });
  assert.equal(formatSpiffeId(first.expectedIdentity), 'spiffe://cluster.local/ns/shop/sa/reviews');
  assert.equal(formatSpiffeId(first.sourceIdentity), 'spiffe://cluster.local/ns/shop/sa/client');
  assert.equal(first.service?.hostname, 'reviews.shop.svc.cluster.local');

  const second = decide(state, '198.19.0.10', 9080, () => 0.99);
  assert.equal(second.kind === 'hbone' && second.authority, '198.18.2.8:8081');
});

test('unhealthy endpoints are never picked; none healthy → no healthy upstream', () => {
  const sick = { ...remote2, status: 'UNHEALTHY' as const };
  const some = testState([client, remote, sick], [reviews]);
  for (const r of [0, 0.5, 0.99]) {
    const p = decide(some, '198.19.0.10', 9080, () => r);
    assert.equal(p.kind === 'hbone' && p.destination.name, 'reviews-v1');
  }
  const none = testState([client, { ...remote, status: 'UNHEALTHY' }, sick], [reviews]);
  const p = decide(none, '198.19.0.10', 9080);
  assert.equal(p.kind, 'deny');
  assert.match(p.kind === 'deny' ? p.reason : '', /no healthy upstream/);
});

test('an endpoint whose named port is unresolved (target 0) is skipped; no resolvable port at all is refused', () => {
  const unresolved = testWorkload({ ...remote2, services: backs(reviews, [{ servicePort: 9080, targetPort: 0, appProtocol: 'TCP' }]) });
  const state = testState([client, remote, unresolved], [reviews]);
  for (const r of [0, 0.99]) assert.equal(decide(state, '198.19.0.10', 9080, () => r).kind === 'hbone', true);
  const onlyUnresolved = testState([client, unresolved], [reviews]);
  const p = decide(onlyUnresolved, '198.19.0.10', 9080);
  assert.equal(p.kind, 'deny');
  assert.match(p.kind === 'deny' ? p.reason : '', /cannot resolve port 9080/);
  // A port the Service does not declare and no endpoint maps.
  assert.equal(decide(testState([client, remote], [reviews]), '198.19.0.10', 1234).kind, 'deny');
});

test('an endpoint without its own mapping uses the Service target port', () => {
  const bare = testWorkload({ ...remote, services: backs(reviews, []) });
  const p = decide(testState([client, bare], [reviews]), '198.19.0.10', 9080);
  assert.equal(p.kind === 'hbone' && p.authority, '198.18.2.7:8080');
});

test('a pod IP goes to that pod, port as dialled', () => {
  const p = decide(testState([client, remote], [reviews]), '198.18.2.7', 9999);
  assert.equal(p.kind, 'hbone');
  assert.equal(p.kind === 'hbone' && p.authority, '198.18.2.7:9999');
  assert.equal(p.kind === 'hbone' && p.service, undefined);
});

test('an address unknown to the mesh is passed through as plain TCP', () => {
  const p = decide(testState([client], []), '203.0.113.9', 443);
  assert.deepEqual(p.kind === 'passthrough' && { address: p.address, port: p.port }, { address: '203.0.113.9', port: 443 });
});

test('a workload without HBONE (tunnel protocol NONE) is reached by passthrough', () => {
  const p = decide(testState([client, plain], []), '198.18.2.20', 80);
  assert.equal(p.kind, 'passthrough');
  assert.equal(p.kind === 'passthrough' && p.destination?.name, 'legacy');
});

test('a destination on this node is delivered locally', () => {
  const p = decide(testState([client, local], []), '198.18.1.9', 8080);
  assert.equal(p.kind, 'local');
  assert.equal(p.kind === 'local' && `${p.targetAddress}:${p.targetPort}`, '198.18.1.9:8080');
});

test('the agent ports on loopback or the node IP, unspecified addresses and self-calls are refused', () => {
  const state = testState([client, remote], []);
  for (const [ip, port] of [['127.0.0.1', 15000], ['127.0.0.1', 15001], ['::1', 15021], ['0.0.0.0', 80], ['::', 80], ['198.18.0.11', 15008], ['198.18.0.11', 15020]] as const) {
    assert.equal(decide(state, ip, port).kind, 'deny', `${ip}:${port}`);
  }
  assert.equal(decide(state, '127.0.0.1', 8080).kind, 'passthrough');
  const self = decide(state, '198.18.2.7', 15006);
  assert.equal(self.kind, 'deny');
  assert.match(self.kind === 'deny' ? self.reason : '', /recursive call/);
});

test('a source address with no workload, or a workload on another node, is refused', () => {
  const state = testState([client, remote], []);
  const unknown = decide(state, '198.18.2.7', 80, () => 0, '198.18.1.77');
  assert.equal(unknown.kind, 'deny');
  assert.match(unknown.kind === 'deny' ? unknown.reason : '', /no workload is known for source address 198.18.1.77/);
  assert.equal(decide(state, '198.18.1.5', 80, () => 0, '198.18.2.7').kind, 'deny');
  // IPv4-mapped client addresses are unwrapped first.
  assert.equal(decide(state, '198.18.2.7', 80, () => 0, '::ffff:198.18.1.5').kind, 'hbone');
});

test('Service subject alt names are accepted besides the endpoint identity', () => {
  const withSans = testService({ ...reviews, subjectAltNames: ['spiffe://cluster.local/ns/shop/sa/reviews-canary', 'not a spiffe id'] });
  const p = decide(testState([client, remote], [withSans]), '198.19.0.10', 9080);
  assert.deepEqual(p.kind === 'hbone' && p.expectedIdentities.map(formatSpiffeId), [
    'spiffe://cluster.local/ns/shop/sa/reviews',
    'spiffe://cluster.local/ns/shop/sa/reviews-canary',
  ]);
});

test('Service hostnames resolve only to Services in the state', () => {
  const state = testState([], [reviews]);
  assert.equal(serviceByHostname(state, 'reviews.shop.svc.cluster.local')?.name, 'reviews');
  assert.equal(serviceByHostname(state, 'REVIEWS.shop.svc.cluster.local')?.name, 'reviews');
  assert.equal(serviceByHostname(state, 'reviews.other.svc.cluster.local'), undefined);
  assert.equal(serviceByHostname(state, 'example.com'), undefined);
});
