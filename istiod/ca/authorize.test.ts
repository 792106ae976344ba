// Table tests for the CA's authorization decisions: own identity, node-agent impersonation and
// every way an impersonation request can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import type { KubePod, TokenReviewOutcome } from '../kube/types';
import { authorize, AuthorizeInput, callerFromReview, POD_NAME_EXTRA, POD_UID_EXTRA } from './authorize';

const TD = 'cluster.local';
const ztunnelReview: TokenReviewOutcome = {
  authenticated: true, username: 'system:serviceaccount:istio-system:ztunnel', groups: [], audiences: ['istio-ca'],
  extra: { [POD_NAME_EXTRA]: ['ztunnel-a'], [POD_UID_EXTRA]: ['uid-z'] },
};
const ztunnelPod: KubePod = { namespace: 'istio-system', name: 'ztunnel-a', uid: 'uid-z', serviceAccountName: 'ztunnel', nodeName: 'node1', phase: 'Running', deleting: false };
const shopPod = (over: Partial<KubePod> = {}): KubePod => ({
  namespace: 'shop', name: 'cart-1', uid: 'uid-c', serviceAccountName: 'cart', nodeName: 'node1', phase: 'Running', deleting: false, ...over,
});
const base: AuthorizeInput = {
  review: ztunnelReview, requestedIdentity: 'spiffe://cluster.local/ns/shop/sa/cart', callerPod: ztunnelPod, podsOnNode: [shopPod()],
  trustedNodeAccounts: [{ namespace: 'istio-system', serviceAccount: 'ztunnel' }], trustDomain: TD, audience: 'istio-ca',
};

test('allowed requests and the identity they get', () => {
  const cases: Array<[string, Partial<AuthorizeInput>, string]> = [
    ['node agent for a pod on its node', {}, 'spiffe://cluster.local/ns/shop/sa/cart'],
    ['node agent without impersonation gets its own identity', { requestedIdentity: undefined }, 'spiffe://cluster.local/ns/istio-system/sa/ztunnel'],
    ['an empty impersonation value means none', { requestedIdentity: '' }, 'spiffe://cluster.local/ns/istio-system/sa/ztunnel'],
    ['a workload asking for itself', {
      review: { ...ztunnelReview, username: 'system:serviceaccount:shop:cart', extra: {} }, requestedIdentity: undefined, trustedNodeAccounts: [],
    }, 'spiffe://cluster.local/ns/shop/sa/cart'],
    ['a workload naming its own identity explicitly', {
      review: { ...ztunnelReview, username: 'system:serviceaccount:shop:cart', extra: {} }, trustedNodeAccounts: [],
    }, 'spiffe://cluster.local/ns/shop/sa/cart'],
    ['a terminating (not terminated) target pod still counts', { podsOnNode: [shopPod({ deleting: true })] }, 'spiffe://cluster.local/ns/shop/sa/cart'],
    ['one of several pods matches', { podsOnNode: [shopPod({ serviceAccountName: 'other' }), shopPod({ phase: 'Failed' }), shopPod({ name: 'cart-2' })] },
      'spiffe://cluster.local/ns/shop/sa/cart'],
    ['review without audiences (server did not say)', { review: { ...ztunnelReview, audiences: [] } }, 'spiffe://cluster.local/ns/shop/sa/cart'],
  ];
  for (const [name, over, identity] of cases) {
    const d = authorize({ ...base, ...over });
    assert.ok(d.allowed, `${name}: ${d.allowed ? '' : d.reason}`);
    assert.equal(formatSpiffeId(d.identity), identity, name);
  }
});

test('refused requests, with code and reason', () => {
  const cases: Array<[string, Partial<AuthorizeInput>, 'Unauthenticated' | 'PermissionDenied', RegExp]> = [
    ['token not authenticated', { review: { authenticated: false, groups: [], extra: {}, audiences: [], error: 'token has expired' } },
      'Unauthenticated', /not accepted: token has expired/],
    ['token for another audience', { review: { ...ztunnelReview, audiences: ['api'] } }, 'Unauthenticated', /audience "istio-ca"/],
    ['not a service account', { review: { ...ztunnelReview, username: 'admin' } }, 'Unauthenticated', /"admin" is not a service account/],
    ['malformed service account user', { review: { ...ztunnelReview, username: 'system:serviceaccount:onlyns' } }, 'Unauthenticated', /not a service account/],
    ['caller not trusted', { review: { ...ztunnelReview, username: 'system:serviceaccount:shop:web' } }, 'PermissionDenied',
      /shop\/web is not a trusted node account, so it may not ask for spiffe:\/\/cluster.local\/ns\/shop\/sa\/cart/],
    ['token not bound to a pod', { review: { ...ztunnelReview, extra: {} } }, 'PermissionDenied', /not bound to a pod/],
    ['caller pod missing', { callerPod: undefined }, 'PermissionDenied', /pod istio-system\/ztunnel-a does not exist/],
    ['caller pod with another uid', { callerPod: { ...ztunnelPod, uid: 'uid-new' } }, 'PermissionDenied', /stale token/],
    ['caller pod with another service account', { callerPod: { ...ztunnelPod, serviceAccountName: 'default' } }, 'PermissionDenied', /runs as service account default/],
    ['caller pod unscheduled', { callerPod: { ...ztunnelPod, nodeName: undefined } }, 'PermissionDenied', /not scheduled on a node/],
    ['caller pod terminated', { callerPod: { ...ztunnelPod, phase: 'Succeeded' } }, 'PermissionDenied', /has terminated/],
    ['target on another node', { podsOnNode: [shopPod({ nodeName: 'node2' })] }, 'PermissionDenied', /no pod with service account shop\/cart runs on node node1/],
    ['no pods at all', { podsOnNode: [] }, 'PermissionDenied', /no pod with service account shop\/cart/],
    ['target pod terminated', { podsOnNode: [shopPod({ phase: 'Failed' })] }, 'PermissionDenied', /no pod/],
    ['target pod of another service account', { podsOnNode: [shopPod({ serviceAccountName: 'web' })] }, 'PermissionDenied', /no pod/],
    ['other trust domain', { requestedIdentity: 'spiffe://evil.example/ns/shop/sa/cart' }, 'PermissionDenied', /not in this mesh's trust domain/],
    ['malformed identity', { requestedIdentity: 'spiffe://cluster.local/ns/shop' }, 'PermissionDenied', /invalid requested identity/],
    ['not a SPIFFE URI', { requestedIdentity: 'cart' }, 'PermissionDenied', /invalid requested identity/],
  ];
  for (const [name, over, code, reason] of cases) {
    const d = authorize({ ...base, ...over });
    assert.equal(d.allowed, false, name);
    if (!d.allowed) {
      assert.equal(d.code, code, name);
      assert.match(d.reason, reason, name);
    }
  }
});

test('the caller is read from the review, with pod claims only when both are present once', () => {
  const r = callerFromReview(ztunnelReview, 'istio-ca');
  assert.deepEqual(r, { ok: true, caller: { namespace: 'istio-system', serviceAccount: 'ztunnel', pod: { name: 'ztunnel-a', uid: 'uid-z' } } });
  const partial = callerFromReview({ ...ztunnelReview, extra: { [POD_NAME_EXTRA]: ['a'], [POD_UID_EXTRA]: ['x', 'y'] } }, 'istio-ca');
  assert.deepEqual(partial, { ok: true, caller: { namespace: 'istio-system', serviceAccount: 'ztunnel' } });
});
