// Status conditions a user reads on their AuthorizationPolicy / PeerAuthentication.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertAuthorizationPolicy } from './authorization-policy';
import { readPeerAuthentication } from './peer-authentication';
import { authorizationPolicyStatus, MAX_MESSAGE_CHARS, peerAuthenticationStatus } from './policy-status';

const OPTS = { rootNamespace: 'istio-system', trustDomain: 'cluster.local' };
const ap = (spec: unknown, annotations: Record<string, string> = {}): unknown => ({ metadata: { name: 'p', namespace: 'shop', annotations }, spec });

test('rejected: Accepted=False listing every problem with its field', () => {
  const [accepted, ...rest] = authorizationPolicyStatus(convertAuthorizationPolicy(ap({ action: 'AUDIT', rules: [{ to: [{ operation: { ports: ['x'] } }] }] }), OPTS));
  assert.deepEqual(rest, []);
  assert.equal(accepted!.status, 'False');
  assert.equal(accepted!.reason, 'Invalid');
  assert.match(accepted!.message, /spec\.action: ztunnel \(L4\) does not support the AUDIT action/);
  assert.match(accepted!.message, /spec\.rules\[0\]\.to\[0\]\.operation\.ports\[0\]: "x" is not a port number/);
});

test('accepted, fully enforced at L4', () => {
  assert.deepEqual(authorizationPolicyStatus(convertAuthorizationPolicy(ap({ rules: [{}] }), OPTS)), [
    { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Enforced by ztunnel.' },
    { type: 'PartiallyEnforced', status: 'False', reason: 'FullyEnforced', message: 'Every rule is enforced at L4.' },
  ]);
});

test('HTTP attributes: accepted with warnings, PartiallyEnforced=True', () => {
  const conditions = authorizationPolicyStatus(convertAuthorizationPolicy(ap({ action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'], ports: ['80'] } }] }] }), OPTS));
  assert.equal(conditions[0]!.reason, 'AcceptedWithWarnings');
  assert.match(conditions[0]!.message, /Warnings: spec\.rules\[0\]\.to\[0\]\.operation\.methods: methods is an HTTP attribute/);
  assert.deepEqual([conditions[1]!.status, conditions[1]!.reason], ['True', 'HTTPAttributesNotEnforced']);
});

test('dry run and waypoint policies say so', () => {
  const dry = authorizationPolicyStatus(convertAuthorizationPolicy(ap({ rules: [{}] }, { 'istio.io/dry-run': 'true' }), OPTS));
  assert.match(dry[0]!.message, /dry-run mode/);
  const waypoint = authorizationPolicyStatus(convertAuthorizationPolicy(ap({ targetRefs: [{ kind: 'Service', name: 'web' }] }), OPTS));
  assert.deepEqual(waypoint.map((c) => [c.type, c.status, c.reason]), [['Accepted', 'True', 'WaypointTarget']]);
});

test('messages stay bounded', () => {
  const bad = Array.from({ length: 400 }, () => `not-an-ip-${'x'.repeat(200)}`);
  const [accepted] = authorizationPolicyStatus(convertAuthorizationPolicy(ap({ rules: [{ from: [{ source: { ipBlocks: bad } }] }] }), OPTS));
  assert.ok(accepted!.message.length <= MAX_MESSAGE_CHARS);
  assert.ok(accepted!.message.endsWith('...'));
});

test('PeerAuthentication: accepted, with warnings, or rejected', () => {
  const ok = readPeerAuthentication({ metadata: { name: 'd', namespace: 'shop' }, spec: { mtls: { mode: 'STRICT' } } }, OPTS);
  assert.deepEqual(peerAuthenticationStatus(ok), [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Enforced by ztunnel.' }]);
  const disabled = readPeerAuthentication({ metadata: { name: 'd', namespace: 'shop' }, spec: { mtls: { mode: 'DISABLE' } } }, OPTS);
  assert.equal(peerAuthenticationStatus(disabled)[0]!.reason, 'AcceptedWithWarnings');
  const bad = readPeerAuthentication({ metadata: { name: 'd', namespace: 'shop' }, spec: { portLevelMtls: { 80: { mode: 'STRICT' } } } }, OPTS);
  const [rejected] = peerAuthenticationStatus(bad);
  assert.deepEqual([rejected!.status, rejected!.reason], ['False', 'Invalid']);
  assert.match(rejected!.message, /spec\.portLevelMtls: port-level modes need a selector/);
});
