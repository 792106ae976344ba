// Unit tests for xDS stream authentication: missing and rejected tokens, the brief cache of
// successful reviews (one TokenReview per token, expiry), and the per-address limit on reviews.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '@grpc/grpc-js';
import type { TokenReviewOutcome } from '../kube/types';
import { createAuthenticator } from './authenticate';

const ztunnel: TokenReviewOutcome = {
  authenticated: true, username: 'system:serviceaccount:istio-system:ztunnel', groups: [], extra: {}, audiences: ['istio-ca'],
};
const bearer = (token: string): Metadata => {
  const m = new Metadata();
  m.set('authorization', `Bearer ${token}`);
  return m;
};

function fakeKube(reviews: Record<string, TokenReviewOutcome>) {
  const calls: string[] = [];
  return {
    calls,
    reviewToken: async (token: string) => {
      calls.push(token);
      return reviews[token] ?? { authenticated: false, groups: [], extra: {}, audiences: [], error: 'invalid bearer token' };
    },
  };
}

test('no token and rejected tokens are UNAUTHENTICATED with the reason', async () => {
  const kube = fakeKube({ wrong: { ...ztunnel, audiences: ['other'] } });
  const auth = createAuthenticator({ kube, audience: 'istio-ca', cacheTtlMs: 60_000 });
  const none = await auth.authenticate(new Metadata(), 'ipv4:127.0.0.1:5000');
  assert.deepEqual(none.ok ? undefined : [none.code, /no bearer token/.test(none.message)], ['UNAUTHENTICATED', true]);
  const bad = await auth.authenticate(bearer('junk'), 'ipv4:127.0.0.1:5000');
  assert.deepEqual(bad.ok ? undefined : [bad.code, bad.message], ['UNAUTHENTICATED', 'the token was not accepted: invalid bearer token']);
  const audience = await auth.authenticate(bearer('wrong'), 'ipv4:127.0.0.1:5000');
  assert.match(audience.ok ? '' : audience.message, /audience "istio-ca"/);
  assert.equal(auth.cached, 0, 'failures are not cached');
});

test('a successful review is reused until it expires; concurrent streams share one review', async () => {
  let now = 1_000;
  const kube = fakeKube({ good: ztunnel });
  const auth = createAuthenticator({ kube, audience: 'istio-ca', cacheTtlMs: 60_000, now: () => now });
  const [a, b] = await Promise.all([auth.authenticate(bearer('good'), 'ipv4:127.0.0.1:1'), auth.authenticate(bearer('good'), 'ipv4:127.0.0.1:2')]);
  assert.ok(a.ok && b.ok);
  assert.deepEqual(a.ok ? a.caller : undefined, { namespace: 'istio-system', serviceAccount: 'ztunnel' });
  assert.equal(kube.calls.length, 1);
  now += 59_000;
  assert.ok((await auth.authenticate(bearer('good'), 'ipv4:127.0.0.1:3')).ok);
  assert.equal(kube.calls.length, 1);
  now += 2_000;
  assert.ok((await auth.authenticate(bearer('good'), 'ipv4:127.0.0.1:3')).ok);
  assert.equal(kube.calls.length, 2, 'reviewed again after the cache entry expired');
});

test('reviews of uncached tokens are rate-limited per peer address; an unreachable API is UNAVAILABLE', async () => {
  const kube = fakeKube({});
  const auth = createAuthenticator({ kube, audience: 'istio-ca', cacheTtlMs: 60_000, peerLimit: { burst: 2, perSecond: 0.001 } });
  for (let i = 0; i < 2; i++) assert.equal((await auth.authenticate(bearer(`t${i}`), 'ipv4:198.18.0.99:1')).ok, false);
  const limited = await auth.authenticate(bearer('t9'), 'ipv4:198.18.0.99:2');
  assert.equal(limited.ok ? '' : limited.code, 'RESOURCE_EXHAUSTED');
  assert.equal(kube.calls.length, 2);
  const down = createAuthenticator({ kube: { reviewToken: () => Promise.reject(new Error('connection refused')) }, audience: 'istio-ca', cacheTtlMs: 1 });
  const outcome = await down.authenticate(bearer('x'), 'ipv4:127.0.0.1:1');
  assert.deepEqual(outcome.ok ? undefined : [outcome.code, outcome.message], ['UNAVAILABLE', 'cannot review the token: connection refused']);
});
