// Tests of the policy decision order and policy selection: DENY over ALLOW, no ALLOW → allow,
// ALLOW present but unmatched → deny, missing referenced policies denied, dry-run reported but
// never deciding, STRICT mTLS as istiod expresses it, and which policies apply to a workload.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMeshError } from '../../pkg/errors/mesh-error';
import { authorizeConnection, selectPolicies } from './evaluate';
import { buildPolicyIndex } from './policy-index';
import { conn, decide, plaintext, policy, rule } from './test-policies';

const port9080 = { destinationPorts: [9080] };
const port80 = { destinationPorts: [80] };

describe('authorization decision', () => {
  it('allows when no policy applies', () => {
    assert.deepEqual(decide([], conn()), { allowed: true, reason: 'no ALLOW policy applies' });
  });

  it('DENY wins over ALLOW', () => {
    const decision = decide([policy('ALLOW', [rule([port9080])]), policy('DENY', [rule([port9080])])], conn());
    assert.deepEqual(decision, { allowed: false, policy: 'shop/deny-policy', reason: 'denied by DENY policy shop/deny-policy' });
  });

  it('a DENY that does not match leaves the connection allowed', () => {
    assert.deepEqual(decide([policy('DENY', [rule([port80])])], conn()), { allowed: true, reason: 'no ALLOW policy applies' });
  });

  it('with ALLOW policies, one must match', () => {
    const allow80 = policy('ALLOW', [rule([port80])], { name: 'a-80' });
    const allow9080 = policy('ALLOW', [rule([port9080])], { name: 'b-9080' });
    assert.deepEqual(decide([allow80], conn()), { allowed: false, reason: 'no ALLOW policy matched (1 apply)' });
    assert.deepEqual(decide([allow80, allow9080], conn()), { allowed: true, policy: 'shop/b-9080', reason: 'allowed by ALLOW policy shop/b-9080' });
  });

  it('denies when the workload names a policy not received yet, even if another ALLOW matches', () => {
    const dest = { namespace: 'shop', authorizationPolicies: ['shop/not-yet'] };
    assert.deepEqual(decide([policy('ALLOW', [rule([port9080])])], conn(), dest), {
      allowed: false,
      policy: 'shop/not-yet',
      reason: 'policy shop/not-yet referenced by the workload has not been received',
    });
    assert.equal(decide([], conn(), dest).allowed, false);
  });

  it('dry-run policies never decide but report what they would do', () => {
    const dryDeny = policy('DENY', [rule([port9080])], { name: 'dry-deny', dryRun: true });
    assert.deepEqual(decide([dryDeny], conn()), {
      allowed: true,
      reason: 'no ALLOW policy applies',
      dryRunWouldDeny: { policy: 'shop/dry-deny', reason: 'denied by DENY policy shop/dry-deny' },
    });
    const dryAllow80 = policy('ALLOW', [rule([port80])], { name: 'dry-allow', dryRun: true });
    assert.deepEqual(decide([dryAllow80], conn()), {
      allowed: true,
      reason: 'no ALLOW policy applies',
      dryRunWouldDeny: { reason: 'no ALLOW policy matched (1 apply)' },
    });
    const dryAllow9080 = policy('ALLOW', [rule([port9080])], { name: 'dry-allow', dryRun: true });
    assert.deepEqual(decide([dryAllow9080], conn()), { allowed: true, reason: 'no ALLOW policy applies' });
    // A dry-run ALLOW cannot rescue a connection an enforced ALLOW set refuses.
    const allow80 = policy('ALLOW', [rule([port80])], { name: 'allow-80' });
    assert.deepEqual(decide([allow80, dryAllow9080], conn()), { allowed: false, reason: 'no ALLOW policy matched (1 apply)' });
  });

  it('STRICT mTLS (istiod: DENY not_principals [presence]) refuses plaintext, admits mTLS', () => {
    const strict = policy('DENY', [rule([{ notPrincipals: [{ kind: 'presence' }] }])], {
      name: 'istio_converted_static_strict',
      namespace: 'istio-system',
      scope: 'WORKLOAD_SELECTOR',
    });
    const dest = { namespace: 'shop', authorizationPolicies: ['istio-system/istio_converted_static_strict'] };
    assert.deepEqual(decide([strict], plaintext(), dest), {
      allowed: false,
      policy: 'istio-system/istio_converted_static_strict',
      reason: 'denied by DENY policy istio-system/istio_converted_static_strict',
    });
    assert.equal(decide([strict], conn(), dest).allowed, true);
    // Not attached → not enforced.
    assert.equal(decide([strict], plaintext()).allowed, true);
  });

  it('refuses connections whose addresses or port are not valid', () => {
    assert.deepEqual(decide([], conn({ sourceIp: 'nope' })), { allowed: false, reason: 'source address "nope" is not an IP address' });
    assert.deepEqual(decide([], conn({ destinationIp: '' })), { allowed: false, reason: 'destination address "" is not an IP address' });
    assert.deepEqual(decide([], conn({ destinationPort: 0 })), { allowed: false, reason: 'destination port 0 is not a port' });
  });
});

describe('policy selection', () => {
  const global = policy('DENY', [rule([port80])], { name: 'mesh-deny', namespace: 'istio-system', scope: 'GLOBAL' });
  const shopNs = policy('ALLOW', [rule([port9080])], { name: 'shop-allow' });
  const otherNs = policy('DENY', [{ clauses: [] }], { name: 'deny-all', namespace: 'other' });
  const selected = policy('DENY', [{ clauses: [] }], { name: 'selected', scope: 'WORKLOAD_SELECTOR' });
  const index = buildPolicyIndex([otherNs, selected, shopNs, global]);

  it('applies GLOBAL and own-namespace policies, and selector policies only where listed', () => {
    const keys = (pols: readonly { key: string }[]) => pols.map((p) => p.key);
    assert.deepEqual(keys(selectPolicies({ namespace: 'shop', authorizationPolicies: [] }, index).policies), ['istio-system/mesh-deny', 'shop/shop-allow']);
    assert.deepEqual(keys(selectPolicies({ namespace: 'other', authorizationPolicies: [] }, index).policies), ['istio-system/mesh-deny', 'other/deny-all']);
    const listed = selectPolicies({ namespace: 'shop', authorizationPolicies: ['shop/selected', 'shop/shop-allow', 'shop/selected', 'istio-system/mesh-deny'] }, index);
    assert.deepEqual(keys(listed.policies), ['istio-system/mesh-deny', 'shop/shop-allow', 'shop/selected']);
    assert.deepEqual(listed.missing, []);
  });

  it('decides with the selected policies only', () => {
    assert.equal(authorizeConnection(index, { namespace: 'shop', authorizationPolicies: [] }, conn()).allowed, true);
    assert.equal(authorizeConnection(index, { namespace: 'shop', authorizationPolicies: ['shop/selected'] }, conn()).allowed, false);
    assert.equal(authorizeConnection(index, { namespace: 'other', authorizationPolicies: [] }, conn()).allowed, false);
    assert.equal(authorizeConnection(index, { namespace: 'shop', authorizationPolicies: [] }, conn({ destinationPort: 80 })).reason, 'denied by DENY policy istio-system/mesh-deny');
  });

  it('reuses compiled forms of unchanged policies and recompiles changed ones', () => {
    const changed = { ...shopNs, rules: [rule([port80])] };
    const next = buildPolicyIndex([otherNs, selected, changed, global], index);
    assert.equal(next.byName.get('istio-system/mesh-deny'), index.byName.get('istio-system/mesh-deny'));
    assert.notEqual(next.byName.get('shop/shop-allow'), index.byName.get('shop/shop-allow'));
    assert.equal(authorizeConnection(next, { namespace: 'shop', authorizationPolicies: [] }, conn()).allowed, false);
    assert.equal(authorizeConnection(index, { namespace: 'shop', authorizationPolicies: [] }, conn()).allowed, true);
  });

  it('refuses two policies with one name and policies that do not compile', () => {
    assert.throws(() => buildPolicyIndex([shopNs, { ...shopNs }]), (err: unknown) => isMeshError(err, 'InvalidArgument') && /shop\/shop-allow appears twice/.test(err.message));
    assert.throws(() => buildPolicyIndex([policy('ALLOW', [rule([{ sourceIps: ['198.18.0.0/33'] }])])]), /prefix length 33 exceeds 32/);
  });
});
