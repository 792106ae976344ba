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

test('waypoint policies: who enforces, AUDIT, dry-run, CUSTOM as DENY', () => {
  const gw = [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }];
  const plain = authorizationPolicyStatus(convertAuthorizationPolicy(ap({ targetRefs: gw, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }), OPTS));
  assert.deepEqual(plain, [{ type: 'Accepted', status: 'True', reason: 'WaypointTarget', message: 'Enforced by the waypoint of each targeted Gateway/Service (per request).' }]);
  const audit = authorizationPolicyStatus(convertAuthorizationPolicy(ap({ targetRefs: gw, action: 'AUDIT', rules: [{}] }, { 'istio.io/dry-run': 'true' }), OPTS));
  assert.match(audit[0]!.message, /AUDIT: matching requests are logged and counted, never denied\. Dry-run: /);
  const custom = authorizationPolicyStatus(convertAuthorizationPolicy(ap({ targetRefs: gw, action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] }), OPTS));
  assert.match(custom[0]!.message, /CUSTOM is enforced as DENY/);
});

test('rejected waypoint policies: fail closed until fixed, or the last valid version', () => {
  const bad = convertAuthorizationPolicy(ap({ targetRefs: [{ kind: 'Service', name: 'web' }], rules: [{ to: [{ operation: { paths: ['/a/{**}/b'] } }] }] }), OPTS);
  assert.match(authorizationPolicyStatus(bad)[0]!.message,
    /^Rejected: until it is fixed the waypoint enforces it as an ALLOW policy with no rules, so it allows nothing \(fail closed\)\. Problems: spec\.rules\[0\]\.to\[0\]\.operation\.paths\[0\]: invalid path template/);
  assert.match(authorizationPolicyStatus(bad, 4)[0]!.message, /^Rejected: the last valid version \(generation 4\) stays in force\./);
  const noRefs = convertAuthorizationPolicy(ap({ targetRefs: [{ kind: 'Deployment', group: 'apps', name: 'web' }] }), OPTS);
  assert.match(authorizationPolicyStatus(noRefs)[0]!.message, /^Rejected: nothing of this policy is enforced \(no valid targetRefs/);
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
