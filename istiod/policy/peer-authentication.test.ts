// PeerAuthentication → Authorizations and per-workload policy names, as a user meets it: which
// workloads refuse plaintext, port exceptions, precedence, and invalid policies being ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConversionOptions } from './authorization-policy';
import { convertPeerAuthentications, peerAuthenticationFor, STATIC_STRICT_POLICY_NAME } from './peer-authentication-index';

const OPTS: ConversionOptions = { rootNamespace: 'istio-system', trustDomain: 'cluster.local' };
const STRICT = `istio-system/${STATIC_STRICT_POLICY_NAME}`;

function pa(namespace: string, name: string, spec: Record<string, unknown>, created = '2025-01-01T00:00:00Z'): unknown {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, creationTimestamp: created }, spec };
}

test('no PeerAuthentication: nothing is pushed and no workload lists anything', () => {
  const c = convertPeerAuthentications([], OPTS);
  assert.deepEqual(c.policies, []);
  assert.deepEqual(peerAuthenticationFor({ namespace: 'shop', labels: {} }, c.index), []);
});

test('mesh STRICT: the static policy denies connections without a peer identity, every workload lists it', () => {
  const c = convertPeerAuthentications([pa('istio-system', 'default', { mtls: { mode: 'STRICT' } })], OPTS);
  assert.equal(c.policies.length, 1);
  const strict = c.policies[0]!;
  assert.deepEqual([strict.namespace, strict.name, strict.scope, strict.action], ['istio-system', STATIC_STRICT_POLICY_NAME, 'WORKLOAD_SELECTOR', 'DENY']);
  assert.deepEqual(strict.rules[0]!.clauses[0]!.matches[0]!.notPrincipals, [{ kind: 'presence' }]);
  assert.deepEqual(peerAuthenticationFor({ namespace: 'shop', labels: { app: 'x' } }, c.index), [STRICT]);
});

test('port exceptions: a STRICT workload with a PERMISSIVE port denies no-identity traffic on every other port', () => {
  const c = convertPeerAuthentications([
    pa('shop', 'default', { mtls: { mode: 'STRICT' } }),
    pa('shop', 'web', { selector: { matchLabels: { app: 'web' } }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } }, '2025-01-02T00:00:00Z'),
  ], OPTS);
  const converted = c.policies.find((p) => p.name === 'converted_peer_authentication_web')!;
  assert.deepEqual(converted.rules[0]!.clauses[0]!.matches[0]!.notDestinationPorts, [8080]);
  assert.deepEqual(peerAuthenticationFor({ namespace: 'shop', labels: { app: 'web', v: '1' } }, c.index), ['shop/converted_peer_authentication_web']);
  assert.deepEqual(peerAuthenticationFor({ namespace: 'shop', labels: { app: 'api' } }, c.index), [STRICT]);
});

test('an invalid policy is ignored whole and reported; the namespace keeps its other policy', () => {
  const c = convertPeerAuthentications([
    pa('shop', 'default', { mtls: { mode: 'STRICT' } }),
    pa('shop', 'web', { selector: { matchLabels: { app: 'web' } }, mtls: { mode: 'OFF' } }),
  ], OPTS);
  assert.deepEqual(c.results[1]!.problems, [{ field: 'spec.mtls.mode', reason: '"OFF" is not one of UNSET, DISABLE, PERMISSIVE, STRICT' }]);
  assert.deepEqual(peerAuthenticationFor({ namespace: 'shop', labels: { app: 'web' } }, c.index), [STRICT]);
});

test('DISABLE is accepted as PERMISSIVE with a warning', () => {
  const c = convertPeerAuthentications([
    pa('istio-system', 'default', { mtls: { mode: 'STRICT' } }),
    pa('shop', 'default', { mtls: { mode: 'DISABLE' } }),
  ], OPTS);
  assert.deepEqual(c.results[1]!.problems, []);
  assert.match(c.results[1]!.warnings[0]!.reason, /not supported in ambient.*treated as PERMISSIVE/);
  assert.deepEqual(peerAuthenticationFor({ namespace: 'shop', labels: {} }, c.index), []);
});

test('selection reads own labels only: an inherited property never matches a selector', () => {
  const c = convertPeerAuthentications([pa('shop', 'web', { selector: { matchLabels: { constructor: 'x' } }, mtls: { mode: 'STRICT' } })], OPTS);
  assert.deepEqual(peerAuthenticationFor({ namespace: 'shop', labels: {} }, c.index), []);
  assert.deepEqual(peerAuthenticationFor({ namespace: 'shop', labels: { constructor: 'x' } }, c.index), [STRICT]);
});

test('hostile input never throws', () => {
  const c = convertPeerAuthentications([null, 'x', [], { spec: { portLevelMtls: [] } }, pa('shop', 'a', { portLevelMtls: { 80: 'STRICT' } })], OPTS);
  assert.equal(c.results.length, 5);
  for (const r of c.results) assert.ok(r.problems.length > 0);
  assert.deepEqual(c.policies, []);
});
