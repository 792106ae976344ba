// planInbound / planPlaintextInbound: the CONNECT target must be the pod the tunnel arrived on,
// our own ports are refused, the app sees the real client only when address and identity agree,
// and the Service for metrics comes from `forwarded: host=` or the target port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAuthority } from '../../pkg/hbone/authority';
import type { Authority } from '../../pkg/hbone/types';
import { spiffeId } from '../../pkg/identity/spiffe';
import { planInbound, planPlaintextInbound } from './inbound-plan';
import { planSettingsFrom } from './outbound-plan';
import { backs, testService, testState, testWorkload } from './test-state';

const plan = planSettingsFrom({
  nodeName: 'node-b',
  nodeIP: '198.18.0.12',
  trustDomain: 'cluster.local',
  listenHost: '0.0.0.0',
  ports: { outbound: 15001, inboundPlaintext: 15006, inbound: 15008, socks5: 15080 },
  hbonePort: 15008,
  connectTimeoutMs: 10_000,
  drainTimeoutMs: 5_000,
});
const reviews = testService({ name: 'reviews', addresses: [{ network: '', address: '198.19.0.10' }], ports: [{ servicePort: 9080, targetPort: 8080, appProtocol: 'TCP' }] });
const server = testWorkload({ name: 'reviews-v1', serviceAccount: 'reviews', addresses: ['198.18.2.7'], node: 'node-b', services: backs(reviews, [{ servicePort: 9080, targetPort: 8080, appProtocol: 'TCP' }]) });
const elsewhere = testWorkload({ name: 'other', addresses: ['198.18.3.3'], node: 'node-c' });
const client = testWorkload({ name: 'client', addresses: ['198.18.1.5'], node: 'node-a' });
const state = testState([server, elsewhere, client], [reviews]);
const clientId = spiffeId('cluster.local', 'shop', 'client');

function authority(text: string): Authority {
  const parsed = parseAuthority(text);
  assert.ok(parsed);
  return parsed;
}

test('a CONNECT to the pod it arrived on is delivered; the app sees the client named in forwarded', () => {
  const p = planInbound(state, plan, {
    localAddress: '198.18.2.7',
    authority: authority('198.18.2.7:8080'),
    peerIdentity: clientId,
    peerAddress: '198.18.0.11',
    forwarded: { forAddress: '198.18.1.5', forPort: 40000, host: 'reviews.shop.svc.cluster.local' },
  });
  assert.equal(p.kind, 'deliver');
  if (p.kind !== 'deliver') return;
  assert.equal(`${p.address}:${p.port}`, '198.18.2.7:8080');
  assert.equal(p.sourceAddress, '198.18.1.5');
  assert.equal(p.sourceWorkload?.name, 'client');
  assert.equal(p.service?.name, 'reviews');
});

test('a forwarded address of another identity is ignored: the app sees the tunnel peer', () => {
  const p = planInbound(state, plan, {
    localAddress: '198.18.2.7',
    authority: authority('198.18.2.7:8080'),
    peerIdentity: spiffeId('cluster.local', 'shop', 'mallory'),
    peerAddress: '198.18.0.11',
    forwarded: { forAddress: '198.18.1.5', forPort: 40000 },
  });
  assert.equal(p.kind === 'deliver' && p.sourceAddress, '198.18.0.11');
  assert.equal(p.kind === 'deliver' && p.sourceWorkload, undefined);
  // No forwarded host: the Service is found by target port.
  assert.equal(p.kind === 'deliver' && p.service?.name, 'reviews');
});

test('a target IP other than the arrival address is a 400', () => {
  const p = planInbound(state, plan, { localAddress: '198.18.2.7', authority: authority('198.18.3.3:8080'), peerIdentity: clientId, peerAddress: '198.18.0.11' });
  assert.deepEqual(p.kind === 'reject' && [p.status, p.reason], [400, 'target IP 198.18.3.3 not allowed on 198.18.2.7']);
});

test('our own ports are refused as self-calls', () => {
  for (const port of [15001, 15006, 15008, 15080]) {
    const p = planInbound(state, plan, { localAddress: '198.18.2.7', authority: authority(`198.18.2.7:${port}`), peerIdentity: clientId, peerAddress: '198.18.0.11' });
    assert.equal(p.kind === 'reject' && p.status, 400, String(port));
  }
});

test('an arrival address that is no local workload is a 503', () => {
  for (const local of ['198.18.3.3', '198.18.9.9']) {
    const p = planInbound(state, plan, { localAddress: local, authority: authority(`${local}:80`), peerIdentity: clientId, peerAddress: '198.18.0.11' });
    assert.equal(p.kind === 'reject' && p.status, 503);
  }
});

test('a hostname authority is accepted only for a Service this pod backs, with its port translated', () => {
  const ok = planInbound(state, plan, { localAddress: '198.18.2.7', authority: authority('reviews.shop.svc.cluster.local:9080'), peerIdentity: clientId, peerAddress: '198.18.0.11' });
  assert.equal(ok.kind === 'deliver' && ok.port, 8080);
  const other = planInbound(state, plan, { localAddress: '198.18.2.7', authority: authority('ratings.shop.svc.cluster.local:9080'), peerIdentity: clientId, peerAddress: '198.18.0.11' });
  assert.equal(other.kind === 'reject' && other.status, 400);
});

test('plaintext to a local pod is delivered with the client address; to anything else refused', () => {
  const ok = planPlaintextInbound(state, plan, { localAddress: '198.18.2.7', localPort: 8080, clientIP: '203.0.113.5' });
  assert.equal(ok.kind === 'deliver' && ok.sourceAddress, '203.0.113.5');
  assert.equal(planPlaintextInbound(state, plan, { localAddress: '198.18.3.3', localPort: 8080, clientIP: '203.0.113.5' }).kind, 'reject');
  assert.equal(planPlaintextInbound(state, plan, { localAddress: '198.18.2.7', localPort: 15008, clientIP: '203.0.113.5' }).kind, 'reject');
});
