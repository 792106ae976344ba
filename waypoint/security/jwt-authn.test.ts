// JwtAuthenticator verification: every allowed algorithm passes; alg none, HS256 with the RSA
// public key, missing/unknown kid, expiry, nbf, skew, issuer, audience, size and malformed tokens
// are refused with the reason a 401 carries; rule targeting; no exception escapes.

import assert from 'node:assert/strict';
import { exportSPKI, SignJWT } from 'jose';
import { test } from 'node:test';
import { memoryLogger } from '../../pkg/log/logger';
import { JwtAuthenticator, MAX_TOKEN_CHARS, MAX_TOKENS_PER_REQUEST, type AuthnResult } from './jwt-authn';
import { b64url, bearer, ISSUER, jwks, policy, request, rule, sign, T0, testKey, type TestKey } from './jwt-test-support';

const noFetch = (): Promise<string> => Promise.reject(new Error('no fetch expected'));

function authenticator(keys: readonly TestKey[], over: Parameters<typeof rule>[0] = {}): JwtAuthenticator {
  const a = new JwtAuthenticator({ fetchJwks: noFetch, logger: memoryLogger(), now: () => T0 });
  a.update([policy([rule({ jwks: jwks(...keys.map((k) => k.jwk)), ...over })])]);
  return a;
}

function failure(r: AuthnResult): string | undefined {
  return r.outcome === 'fail' ? r.failure : `outcome ${r.outcome}`;
}

test('tokens signed with RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA verify', async () => {
  const keys = await Promise.all([
    testKey('RS256', 'rs256'), testKey('RS384', 'rs384'), testKey('RS512', 'rs512'),
    testKey('PS256', 'ps256'), testKey('PS384', 'ps384'), testKey('PS512', 'ps512'),
    testKey('ES256', 'es256'), testKey('ES384', 'es384'), testKey('ES512', 'es512'), testKey('EdDSA', 'ed'),
  ]);
  const a = authenticator(keys);
  for (const key of keys) {
    const r = await a.authenticate(undefined, bearer(await sign(key, { aud: ['web', 'api'], claims: { azp: 'spa' } })));
    assert.equal(r.outcome, 'ok', `${key.alg}: ${failure(r)}`);
    assert.equal(r.issuer, ISSUER);
    assert.deepEqual(r.identity?.principal, `${ISSUER}/alice`);
    assert.deepEqual(r.identity?.audiences, ['web', 'api']);
    assert.equal(r.identity?.presenter, 'spa');
    assert.equal(r.identity?.claims.sub, 'alice');
    assert.deepEqual(r.removeHeaders, ['authorization']);
  }
  a.close();
});

test('alg none and HS256 signed with the RSA public key are refused', async () => {
  const rsa = await testKey('RS256', 'rsa1');
  const a = authenticator([rsa]);
  const claims = { iss: ISSUER, sub: 'mallory', exp: T0 / 1000 + 3600 };
  const none = `${b64url({ alg: 'none', kid: 'rsa1' })}.${b64url(claims)}.`;
  assert.equal(failure(await a.authenticate(undefined, bearer(none))), 'alg_not_allowed');
  const pem = await exportSPKI(rsa.publicKey);
  const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'rsa1' }).sign(new TextEncoder().encode(pem));
  const r = await a.authenticate(undefined, bearer(hs));
  assert.equal(failure(r), 'alg_not_allowed');
  assert.equal(r.issuer, ISSUER);
  a.close();
});

test('a kid pointing at a key of another type is refused (algorithm pinned by the key)', async () => {
  const rsa = await testKey('RS256', 'shared');
  const ec = await testKey('ES256', 'ec');
  const a = authenticator([rsa, { ...ec, jwk: { ...ec.jwk, kid: 'other' } }]);
  const token = await sign(ec, { kid: 'shared' });
  assert.equal(failure(await a.authenticate(undefined, bearer(token))), 'alg_not_allowed');
  a.close();
});

test('missing and unknown kid are refused; a single kid-less key needs none', async () => {
  const k1 = await testKey('RS256', 'k1');
  const k2 = await testKey('ES256', 'k2');
  const a = authenticator([k1, k2]);
  assert.equal(failure(await a.authenticate(undefined, bearer(await sign(k1, { kid: null })))), 'missing_kid');
  assert.equal(failure(await a.authenticate(undefined, bearer(await sign(k1, { kid: 'k9' })))), 'unknown_kid');
  a.close();
  const { kid: _kid, ...bare } = k1.jwk;
  const single = new JwtAuthenticator({ fetchJwks: noFetch, logger: memoryLogger(), now: () => T0 });
  single.update([policy([rule({ jwks: jwks(bare) })])]);
  assert.equal((await single.authenticate(undefined, bearer(await sign(k1, { kid: null })))).outcome, 'ok');
  assert.equal((await single.authenticate(undefined, bearer(await sign(k1, { kid: 'anything' })))).outcome, 'ok');
  const withKid = authenticator([k1]);
  assert.equal(failure(await withKid.authenticate(undefined, bearer(await sign(k1, { kid: null })))), 'missing_kid');
  single.close();
  withKid.close();
});

test('a signature made by another key with the same kid is refused', async () => {
  const real = await testKey('RS256', 'k1');
  const forger = await testKey('RS256', 'k1');
  const a = authenticator([real]);
  assert.equal(failure(await a.authenticate(undefined, bearer(await sign(forger)))), 'bad_signature');
  const good = await sign(real, { sub: 'alice' });
  const [h, , s] = good.split('.');
  const tampered = `${h}.${b64url({ iss: ISSUER, sub: 'admin' })}.${s}`;
  assert.equal(failure(await a.authenticate(undefined, bearer(tampered))), 'bad_signature');
  a.close();
});

test('exp and nbf are checked with a 60 s skew; a token without exp is accepted', async () => {
  const k = await testKey('ES256', 'k');
  const a = authenticator([k]);
  const check = async (o: Parameters<typeof sign>[1]) => failure(await a.authenticate(undefined, bearer(await sign(k, o))));
  assert.equal(await check({ expIn: -120 }), 'expired');
  assert.equal(await check({ nbfIn: 300 }), 'not_yet_valid');
  assert.equal(await check({ expIn: -30 }), 'outcome ok');
  assert.equal(await check({ nbfIn: 30 }), 'outcome ok');
  assert.equal(await check({ expIn: null }), 'outcome ok');
  a.close();
  const strict = new JwtAuthenticator({ fetchJwks: noFetch, logger: memoryLogger(), now: () => T0, clockSkewSeconds: 0 });
  strict.update([policy([rule({ jwks: jwks(k.jwk) })])]);
  assert.equal(failure(await strict.authenticate(undefined, bearer(await sign(k, { expIn: -30 })))), 'expired');
  strict.close();
});

test('an issuer no rule names is refused, never treated as unauthenticated', async () => {
  const k = await testKey('RS256', 'k');
  const a = authenticator([k]);
  const r = await a.authenticate(undefined, bearer(await sign(k, { iss: 'https://evil.example' })));
  assert.equal(failure(r), 'unknown_issuer');
  assert.equal(r.issuer, 'https://evil.example');
  const noIss = `${b64url({ alg: 'RS256', kid: 'k' })}.${b64url({ sub: 'x' })}.c2ln`;
  assert.equal(failure(await a.authenticate(undefined, bearer(noIss))), 'unknown_issuer');
  a.close();
});

test('audiences: the token must carry one the rule lists', async () => {
  const k = await testKey('RS256', 'k');
  const a = authenticator([k], { audiences: ['api', 'web'] });
  assert.equal(failure(await a.authenticate(undefined, bearer(await sign(k, { aud: 'other' })))), 'audience');
  assert.equal(failure(await a.authenticate(undefined, bearer(await sign(k)))), 'audience');
  assert.equal((await a.authenticate(undefined, bearer(await sign(k, { aud: ['x', 'web'] })))).outcome, 'ok');
  assert.equal((await a.authenticate(undefined, bearer(await sign(k, { aud: 'api' })))).outcome, 'ok');
  a.close();
});

test('oversized, truncated and garbage tokens are refused without a throw', async () => {
  const k = await testKey('RS256', 'k');
  const a = authenticator([k]);
  const big = await sign(k, { claims: { pad: 'x'.repeat(MAX_TOKEN_CHARS) } });
  assert.equal(failure(await a.authenticate(undefined, bearer(big))), 'too_large');
  const good = await sign(k);
  const [h, p, s] = good.split('.') as [string, string, string];
  const cases = ['garbage', 'a.b', 'a.b.c', '!!!.###.$$$', `${h}.${p.slice(0, 10)}.${s}`, `${h}.${p}`, `${h}.${p}.${s}.x.y`,
    `${b64url('str')}.${p}.${s}`, `${h}.${b64url([1, 2])}.${s}`, `${h.slice(0, -3)}.${p}.${s}`];
  for (const token of cases) {
    assert.equal(failure(await a.authenticate(undefined, bearer(token))), 'malformed', token);
  }
  a.close();
});

test('every token must verify: one good and one bad fails; none found passes to authorization', async () => {
  const k = await testKey('RS256', 'k');
  const a = authenticator([k]);
  const good = await sign(k);
  const bad = await sign(k, { expIn: -3600 });
  const both = request({ authorization: `Bearer ${good}` }, `access_token=${bad}`);
  assert.equal(failure(await a.authenticate(undefined, both)), 'expired');
  const same = request({ authorization: `Bearer ${good}` }, `access_token=${good}`);
  assert.equal((await a.authenticate(undefined, same)).outcome, 'ok');
  const many = await Promise.all(Array.from({ length: MAX_TOKENS_PER_REQUEST + 1 }, (_, i) => sign(k, { sub: `u${i}` })));
  assert.equal(failure(await a.authenticate(undefined, request({ authorization: many.map((t) => `Bearer ${t}`) }))), 'too_large');
  const none = await a.authenticate(undefined, request({ authorization: 'Basic dXNlcjpwdw==' }));
  assert.deepEqual(none, { outcome: 'none', removeHeaders: [], setHeaders: [] });
  a.close();
});

test('rules apply by target: targets.all for every request, a Service key only for that Service', async () => {
  const k = await testKey('RS256', 'k');
  const a = new JwtAuthenticator({ fetchJwks: noFetch, logger: memoryLogger(), now: () => T0 });
  a.update([policy([rule({ jwks: jwks(k.jwk), outputPayloadToHeader: 'x-jwt' })], { all: false, services: ['shop/cart.shop.svc.cluster.local'] })]);
  assert.equal(a.applies(undefined), false);
  assert.equal(a.applies('shop/other.shop.svc.cluster.local'), false);
  assert.equal(a.applies('shop/cart.shop.svc.cluster.local'), true);
  const expired = bearer(await sign(k, { expIn: -3600 }));
  assert.deepEqual(await a.authenticate('shop/other.shop.svc.cluster.local', expired), { outcome: 'none', removeHeaders: [], setHeaders: [] });
  assert.equal(failure(await a.authenticate('shop/cart.shop.svc.cluster.local', expired)), 'expired');
  a.update([]);
  assert.equal(a.applies('shop/cart.shop.svc.cluster.local'), false);
  a.close();
});

test('an invalid inline JWKS fails its tokens closed and shows in status', async () => {
  const k = await testKey('RS256', 'k');
  const logger = memoryLogger();
  const a = new JwtAuthenticator({ fetchJwks: noFetch, logger, now: () => T0 });
  a.update([policy([rule({ jwks: '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}' })])]);
  assert.equal(failure(await a.authenticate(undefined, bearer(await sign(k)))), 'jwks_unavailable');
  assert.deepEqual(a.status(), [{ source: 'inline:shop/jwt[0]', keys: 0, error: 'invalid inline JWKS' }]);
  assert.match(logger.lines.join('\n'), /no usable signature key/);
  a.close();
});
