// The authorization hook over the real policy engine: what a decision carries for the access log
// and metrics — the deciding policy on allow and on deny (including a referenced policy that has
// not arrived), no policy when none decided, and a dry-run policy that would have denied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Authorization } from '../../pkg/api/authorization-types';
import { buildPolicyIndex } from '../policy/policy-index';
import { FRONTEND, policy, rule } from '../policy/test-policies';
import { authzLogOutcome } from './admission';
import { allowAll, policyAuthorizer, type AuthorizationRequest } from './authorize';
import { testWorkload } from './test-state';

const server = testWorkload({ name: 'server', addresses: ['198.18.2.7'], node: 'node-b' });

function request(over: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return { sourceIdentity: FRONTEND, sourceAddress: '198.18.1.5', destination: server, destinationAddress: '198.18.2.7', destinationPort: 9080, ...over };
}

function decide(policies: Authorization[], req: AuthorizationRequest = request()): ReturnType<ReturnType<typeof policyAuthorizer>> {
  const index = buildPolicyIndex(policies);
  return policyAuthorizer(() => index)(req);
}

test('an allow names the ALLOW policy that matched; with no policy it names none', () => {
  const decision = decide([policy('ALLOW', [rule([{ destinationPorts: [9080] }])], { name: 'web' })]);
  assert.deepEqual(decision, { allow: true, policy: 'shop/web' });
  assert.deepEqual(authzLogOutcome(decision), { result: 'allow', policy: 'shop/web' });
  assert.deepEqual(decide([]), { allow: true });
  assert.deepEqual(authzLogOutcome(allowAll(request())), { result: 'allow' });
});

test('a deny names the DENY policy, keeps the reason text, and names none when no ALLOW matched', () => {
  const denied = decide([policy('DENY', [rule([{ destinationPorts: [9080] }])], { name: 'block' })]);
  assert.deepEqual(denied, { allow: false, reason: 'denied by DENY policy shop/block (policy shop/block)', policy: 'shop/block' });
  assert.deepEqual(authzLogOutcome(denied), { result: 'deny', policy: 'shop/block' });
  const unmatched = decide([policy('ALLOW', [rule([{ destinationPorts: [80] }])])]);
  assert.deepEqual(unmatched, { allow: false, reason: 'no ALLOW policy matched (1 apply)' });
  assert.deepEqual(authzLogOutcome(unmatched), { result: 'deny' });
});

test('a policy the workload references but ztunnel has not received is the deciding policy', () => {
  const waiting = testWorkload({ name: 'server', addresses: ['198.18.2.7'], node: 'node-b', authorizationPolicies: ['shop/not-yet'] });
  const decision = decide([], request({ destination: waiting }));
  assert.equal(decision.allow, false);
  assert.equal(decision.policy, 'shop/not-yet');
});

test('a dry-run policy that would deny is carried on the allow, with its name when it has one', () => {
  const heard: string[] = [];
  const index = buildPolicyIndex([policy('DENY', [rule([{ destinationPorts: [9080] }])], { name: 'trial', dryRun: true })]);
  const decision = policyAuthorizer(() => index, (_req, name, reason) => heard.push(`${name}: ${reason}`))(request());
  assert.deepEqual(decision, { allow: true, dryRunDeny: { policy: 'shop/trial', reason: 'denied by DENY policy shop/trial' } });
  assert.deepEqual(heard, ['shop/trial: denied by DENY policy shop/trial']);
  assert.deepEqual(authzLogOutcome(decision), { result: 'allow', dryRunDeny: { policy: 'shop/trial' } });
  const dryAllow = decide([policy('ALLOW', [rule([{ destinationPorts: [80] }])], { name: 'trial-allow', dryRun: true })]);
  assert.deepEqual(authzLogOutcome(dryAllow), { result: 'allow', dryRunDeny: {} });
});
