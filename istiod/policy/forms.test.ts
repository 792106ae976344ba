// The value forms of security resources: wildcards, principals (spiffe:// stripped, cluster.local
// alias), namespaces, service accounts, labels, ports and CIDRs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrValue, portValue } from './network-forms';
import {
  labelKeyProblem, labelValueProblem, namespaceMatch, principalMatch, serviceAccountMatch, wildcardMatch,
} from './string-forms';

test('wildcards: * is presence, *x a suffix, x* a prefix, anything else with * is refused', () => {
  assert.deepEqual(wildcardMatch('*'), { ok: true, value: { kind: 'presence' } });
  assert.deepEqual(wildcardMatch('*-prod'), { ok: true, value: { kind: 'suffix', value: '-prod' } });
  assert.deepEqual(wildcardMatch('team-*'), { ok: true, value: { kind: 'prefix', value: 'team-' } });
  assert.deepEqual(wildcardMatch('shop'), { ok: true, value: { kind: 'exact', value: 'shop' } });
  for (const bad of ['a*b', '**', '*a*', 'a**']) {
    const r = wildcardMatch(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.reason, /only as the whole value, at the start or at the end/);
  }
});

test('principals: spiffe:// is stripped, cluster.local means the mesh trust domain, other domains warn', () => {
  assert.deepEqual(principalMatch('spiffe://cluster.local/ns/a/sa/b', 'cluster.local'),
    { ok: true, value: { kind: 'exact', value: 'cluster.local/ns/a/sa/b' } });
  assert.deepEqual(principalMatch('cluster.local/ns/a/sa/b', 'corp.example'),
    { ok: true, value: { kind: 'exact', value: 'corp.example/ns/a/sa/b' } });
  assert.deepEqual(principalMatch('cluster.local/ns/a/*', 'corp.example'),
    { ok: true, value: { kind: 'prefix', value: 'corp.example/ns/a/' } });
  const foreign = principalMatch('other.example/ns/a/sa/b', 'corp.example');
  assert.ok(foreign.ok && foreign.warning?.includes('never matches'));
  const notIdentity = principalMatch('cluster.local/ns/a', 'cluster.local');
  assert.ok(!notIdentity.ok && notIdentity.reason.includes('/ns/<namespace>/sa/<service-account>'));
  assert.equal(principalMatch('spiffe://', 'cluster.local').ok, false);
  assert.equal(principalMatch('*/sa/has space', 'cluster.local').ok, false);
});

test('namespaces and service accounts: Kubernetes names only', () => {
  assert.deepEqual(namespaceMatch('qa-*'), { ok: true, value: { kind: 'prefix', value: 'qa-' } });
  assert.equal(namespaceMatch('Shop').ok, false);
  assert.equal(namespaceMatch('a'.repeat(64)).ok, false);
  assert.deepEqual(serviceAccountMatch('web', 'shop'), { ok: true, value: { namespace: 'shop', serviceAccount: 'web' } });
  assert.deepEqual(serviceAccountMatch('front/web', 'shop'), { ok: true, value: { namespace: 'front', serviceAccount: 'web' } });
  for (const bad of ['front/*', 'a/b/c', '/web', 'front/', 'Web', 'x'.repeat(321)]) assert.equal(serviceAccountMatch(bad, 'shop').ok, false, bad);
});

test('labels: Kubernetes syntax, no wildcards', () => {
  assert.equal(labelKeyProblem('app'), undefined);
  assert.equal(labelKeyProblem('app.kubernetes.io/name'), undefined);
  assert.ok(labelKeyProblem(''));
  assert.ok(labelKeyProblem('/app'));
  assert.ok(labelKeyProblem('__proto__'));
  assert.equal(labelValueProblem(''), undefined);
  assert.ok(labelValueProblem('rev*'));
});

test('ports: decimal 1..65535, nothing else', () => {
  assert.deepEqual(portValue('8080'), { ok: true, value: 8080 });
  assert.deepEqual(portValue('65535'), { ok: true, value: 65535 });
  for (const bad of ['0', '65536', '080', '+80', '80 ', '1e3', '0x50', '']) assert.equal(portValue(bad).ok, false, bad);
});

test('CIDRs: canonical text, bare addresses get their full length, host bits cleared with a warning', () => {
  assert.deepEqual(cidrValue('198.18.1.5'), { ok: true, value: '198.18.1.5/32' });
  assert.deepEqual(cidrValue('FD00:0:0::1'), { ok: true, value: 'fd00::1/128' });
  const hostBits = cidrValue('fd00::ffff/100');
  assert.ok(hostBits.ok && hostBits.value === 'fd00::/100' && hostBits.warning?.includes('host bits'));
  const mapped = cidrValue('::ffff:198.18.0.0/112');
  assert.ok(mapped.ok && mapped.value === '198.18.0.0/16');
  assert.equal(cidrValue('::ffff:198.18.0.0/64').ok, false);
  for (const bad of ['198.18.0.0/33', '198.18.0.0/', '198.18.0.0/-1', '198.18.0.0/08', '198.18.0', 'fe80::1%eth0', '[fd00::1]']) {
    assert.equal(cidrValue(bad).ok, false, bad);
  }
});
