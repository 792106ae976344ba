// PolicyState: what ztunnel gets and what workloads list as AuthorizationPolicies and
// PeerAuthentications come and go; an invalid update leaves the last valid version in force and
// says so in status and in the log; reserved names are refused; changes are reported precisely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyChanges, PolicyState, type PolicyChanges, type PolicyObject } from './policy-state';

const OPTS = { rootNamespace: 'istio-system', trustDomain: 'cluster.local' };

function ap(namespace: string, name: string, spec: Record<string, unknown>, generation = 1): PolicyObject {
  return {
    namespace, name, generation,
    object: { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { namespace, name, generation }, spec },
  };
}

function pa(namespace: string, name: string, spec: Record<string, unknown>, generation = 1, created = '2026-01-01T00:00:00Z'): PolicyObject {
  return {
    namespace, name, generation,
    object: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { namespace, name, generation, creationTimestamp: created }, spec },
  };
}

function run(fn: (c: PolicyChanges) => void): PolicyChanges {
  const c = emptyChanges();
  fn(c);
  return c;
}

const ALLOW_FRONTEND = {
  selector: { matchLabels: { app: 'db' } },
  rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }] }],
};

test('a selector policy is pushed and listed by the workloads it selects only', () => {
  const s = new PolicyState(OPTS);
  const c = run((ch) => s.applyAuthorizationPolicy(ap('shop', 'db-allow', ALLOW_FRONTEND), ch));
  assert.deepEqual([...c.authorizations], ['shop/db-allow']);
  assert.deepEqual(c.namespaces, new Set(['shop']));
  assert.equal(s.authorizations().get('shop/db-allow')?.scope, 'WORKLOAD_SELECTOR');
  assert.deepEqual(s.workloadPolicies('shop', { app: 'db', tier: 'x' }), ['shop/db-allow']);
  assert.deepEqual(s.workloadPolicies('shop', { app: 'web' }), []);
  assert.deepEqual(s.workloadPolicies('other', { app: 'db' }), []);
});

test('a namespace-wide policy is pushed but listed by no workload (ztunnel selects it by scope)', () => {
  const s = new PolicyState(OPTS);
  const c = run((ch) => s.applyAuthorizationPolicy(ap('shop', 'deny-all', {}), ch));
  assert.equal(s.authorizations().get('shop/deny-all')?.scope, 'NAMESPACE');
  assert.equal(c.namespaces !== 'all' && c.namespaces.size, 0);
  assert.deepEqual(s.workloadPolicies('shop', { app: 'db' }), []);
  const mesh = run((ch) => s.applyAuthorizationPolicy(ap('istio-system', 'mesh', {}), ch));
  assert.equal(s.authorizations().get('istio-system/mesh')?.scope, 'GLOBAL');
  assert.deepEqual([...mesh.authorizations], ['istio-system/mesh']);
});

test('a selector policy in the root namespace selects workloads of every namespace', () => {
  const s = new PolicyState(OPTS);
  const c = run((ch) => s.applyAuthorizationPolicy(ap('istio-system', 'db-everywhere', ALLOW_FRONTEND), ch));
  assert.equal(c.namespaces, 'all');
  assert.deepEqual(s.workloadPolicies('shop', { app: 'db' }), ['istio-system/db-everywhere']);
  assert.deepEqual(s.workloadPolicies('billing', { app: 'db' }), ['istio-system/db-everywhere']);
});

test('an invalid update is rejected and the last valid version stays in force', () => {
  const s = new PolicyState(OPTS);
  run((ch) => s.applyAuthorizationPolicy(ap('shop', 'db-allow', ALLOW_FRONTEND), ch));
  const before = s.authorizations().get('shop/db-allow');
  const bad = { ...ALLOW_FRONTEND, rules: [{ from: [{ source: { ipBlocks: ['198.18.0.0/99'] } }] }] };
  const c = run((ch) => s.applyAuthorizationPolicy(ap('shop', 'db-allow', bad, 2), ch));
  assert.equal(c.authorizations.size, 0, 'nothing to push');
  assert.deepEqual(s.authorizations().get('shop/db-allow'), before);
  assert.deepEqual(s.workloadPolicies('shop', { app: 'db' }), ['shop/db-allow']);
  assert.equal(c.log.length, 1);
  assert.match(c.log[0] ?? '', /AuthorizationPolicy shop\/db-allow \(generation 2\) rejected: spec\.rules\[0\]\.from\[0\]\.source\.ipBlocks\[0\]: .*generation 1 stays in force/);
  const status = s.status('AuthorizationPolicy', 'shop', 'db-allow');
  assert.equal(status?.generation, 2);
  assert.equal(status?.conditions[0]?.status, 'False');
  assert.match(status?.conditions[0]?.message ?? '', /last valid version \(generation 1\) stays in force.*ipBlocks/);
  // The same rejection seen again (e.g. after our own status write) is not logged twice.
  assert.equal(run((ch) => s.applyAuthorizationPolicy(ap('shop', 'db-allow', bad, 2), ch)).log.length, 0);
  // Fixing it enforces the fix.
  const fixed = { ...ALLOW_FRONTEND, rules: [{ from: [{ source: { ipBlocks: ['198.18.0.0/16'] } }] }] };
  const c3 = run((ch) => s.applyAuthorizationPolicy(ap('shop', 'db-allow', fixed, 3), ch));
  assert.deepEqual([...c3.authorizations], ['shop/db-allow']);
  assert.equal(s.status('AuthorizationPolicy', 'shop', 'db-allow')?.conditions[0]?.status, 'True');
});

test('a new invalid policy enforces nothing and does not disturb the rest', () => {
  const s = new PolicyState(OPTS);
  run((ch) => s.applyAuthorizationPolicy(ap('shop', 'db-allow', ALLOW_FRONTEND), ch));
  const c = run((ch) => s.applyAuthorizationPolicy(ap('shop', 'typo', { selector: { matchLabels: { app: 'db' } }, rulez: [] }), ch));
  assert.equal(c.authorizations.size, 0);
  assert.deepEqual([...s.authorizations().keys()], ['shop/db-allow']);
  assert.match(c.log[0] ?? '', /shop\/typo .*spec\.rulez.*nothing of it is enforced/);
  assert.match(s.status('AuthorizationPolicy', 'shop', 'typo')?.conditions[0]?.message ?? '', /^Rejected: nothing of this policy is enforced/);
});

test('deleting a policy withdraws it and re-lists the workloads of its namespace', () => {
  const s = new PolicyState(OPTS);
  run((ch) => s.applyAuthorizationPolicy(ap('shop', 'db-allow', ALLOW_FRONTEND), ch));
  const c = run((ch) => s.deleteAuthorizationPolicy('shop', 'db-allow', ch));
  assert.deepEqual([...c.authorizations], ['shop/db-allow']);
  assert.deepEqual(c.namespaces, new Set(['shop']));
  assert.equal(s.authorizations().size, 0);
  assert.deepEqual(s.workloadPolicies('shop', { app: 'db' }), []);
  assert.equal(s.status('AuthorizationPolicy', 'shop', 'db-allow'), undefined);
});

test('policies named like converted PeerAuthentications are refused', () => {
  const s = new PolicyState(OPTS);
  run((ch) => s.applyAuthorizationPolicy(ap('istio-system', 'istio_converted_static_strict', {}), ch));
  run((ch) => s.applyAuthorizationPolicy(ap('shop', 'converted_peer_authentication_x', {}), ch));
  assert.equal(s.authorizations().size, 0);
  assert.match(s.status('AuthorizationPolicy', 'shop', 'converted_peer_authentication_x')?.conditions[0]?.message ?? '', /metadata\.name: .*reserved/);
});

test('a STRICT namespace lists the static strict policy on its workloads; removing it lifts it', () => {
  const s = new PolicyState(OPTS);
  const c = run((ch) => s.applyPeerAuthentication(pa('shop', 'strict', { mtls: { mode: 'STRICT' } }), ch));
  assert.deepEqual([...c.authorizations], ['istio-system/istio_converted_static_strict']);
  assert.deepEqual(c.namespaces, new Set(['shop']));
  assert.deepEqual(s.workloadPolicies('shop', { app: 'web' }), ['istio-system/istio_converted_static_strict']);
  assert.deepEqual(s.workloadPolicies('other', { app: 'web' }), []);
  assert.equal(s.status('PeerAuthentication', 'shop', 'strict')?.conditions[0]?.status, 'True');
  const d = run((ch) => s.deletePeerAuthentication('shop', 'strict', ch));
  assert.deepEqual([...d.authorizations], ['istio-system/istio_converted_static_strict']);
  assert.deepEqual(s.workloadPolicies('shop', { app: 'web' }), []);
});

test('a mesh-wide STRICT touches every namespace; a workload PERMISSIVE port exception gets its own policy', () => {
  const s = new PolicyState(OPTS);
  const c = run((ch) => s.applyPeerAuthentication(pa('istio-system', 'mesh', { mtls: { mode: 'STRICT' } }), ch));
  assert.equal(c.namespaces, 'all');
  assert.deepEqual(s.workloadPolicies('shop', {}), ['istio-system/istio_converted_static_strict']);
  run((ch) => s.applyPeerAuthentication(pa('shop', 'db-metrics', {
    selector: { matchLabels: { app: 'db' } }, portLevelMtls: { 9090: { mode: 'PERMISSIVE' } },
  }), ch));
  assert.deepEqual(s.workloadPolicies('shop', { app: 'db' }), ['shop/converted_peer_authentication_db-metrics']);
  const converted = s.authorizations().get('shop/converted_peer_authentication_db-metrics');
  assert.equal(converted?.action, 'DENY');
  assert.deepEqual(converted?.rules[0]?.clauses[0]?.matches[0]?.notDestinationPorts, [9090]);
});

test('an invalid PeerAuthentication update keeps the previous mode', () => {
  const s = new PolicyState(OPTS);
  run((ch) => s.applyPeerAuthentication(pa('shop', 'strict', { mtls: { mode: 'STRICT' } }), ch));
  const c = run((ch) => s.applyPeerAuthentication(pa('shop', 'strict', { mtls: { mode: 'STRICTEST' } }, 2), ch));
  assert.equal(c.authorizations.size, 0);
  assert.deepEqual(s.workloadPolicies('shop', {}), ['istio-system/istio_converted_static_strict']);
  assert.match(c.log[0] ?? '', /PeerAuthentication shop\/strict \(generation 2\) rejected: spec\.mtls\.mode: .*generation 1 stays in force/);
  assert.match(s.status('PeerAuthentication', 'shop', 'strict')?.conditions[0]?.message ?? '', /generation 1\) stays in force/);
});

test('of two namespace-wide PeerAuthentications the older decides and the newer says so in status', () => {
  const s = new PolicyState(OPTS);
  run((ch) => s.applyPeerAuthentication(pa('shop', 'old', { mtls: { mode: 'PERMISSIVE' } }, 1, '2026-01-01T00:00:00Z'), ch));
  run((ch) => s.applyPeerAuthentication(pa('shop', 'new', { mtls: { mode: 'STRICT' } }, 1, '2026-02-01T00:00:00Z'), ch));
  assert.deepEqual(s.workloadPolicies('shop', {}), []);
  assert.match(s.status('PeerAuthentication', 'shop', 'new')?.conditions[0]?.message ?? '', /"old", is older/);
});
