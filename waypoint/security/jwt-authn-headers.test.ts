// JwtAuthenticator and the request's headers: token locations (fromHeaders with a prefix,
// fromParams, fromCookies, the defaults), the token header removed unless forwardOriginalToken,
// output headers set from a verified payload and always stripped so a client cannot forge them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryLogger } from '../../pkg/log/logger';
import { JwtAuthenticator } from './jwt-authn';
import { bearer, ISSUER, jwks, policy, request, rule, sign, T0, testKey } from './jwt-test-support';

const noFetch = (): Promise<string> => Promise.reject(new Error('no fetch expected'));

function authn(...rules: Parameters<typeof rule>[0][]): JwtAuthenticator {
  const a = new JwtAuthenticator({ fetchJwks: noFetch, logger: memoryLogger(), now: () => T0 });
  a.update([policy(rules.map((r) => rule(r)))]);
  return a;
}

test('forged output headers are always removed, and set from the verified token', async () => {
  const k = await testKey('ES256', 'k');
  const a = authn({
    jwks: jwks(k.jwk), outputPayloadToHeader: 'x-jwt-payload',
    outputClaimToHeaders: [
      { header: 'x-sub', claim: 'sub' }, { header: 'x-team', claim: 'org.team' }, { header: 'x-level', claim: 'level' },
      { header: 'x-admin', claim: 'admin' }, { header: 'x-groups', claim: 'groups' }, { header: 'x-org', claim: 'org' },
      { header: 'x-missing', claim: 'nope' }, { header: 'x-evil', claim: 'evil' },
    ],
  });
  const outputs = ['x-jwt-payload', 'x-sub', 'x-team', 'x-level', 'x-admin', 'x-groups', 'x-org', 'x-missing', 'x-evil'];
  const none = await a.authenticate(undefined, request({ 'x-sub': 'admin', 'x-jwt-payload': 'forged' }));
  assert.equal(none.outcome, 'none');
  assert.deepEqual([...none.removeHeaders].sort(), [...outputs].sort());
  assert.deepEqual(none.setHeaders, []);

  const claims = { org: { team: 'payments' }, level: 3, admin: true, groups: ['a', 'b'], evil: 'x\r\nset-cookie: a=b' };
  const token = await sign(k, { claims });
  const ok = await a.authenticate(undefined, bearer(token));
  assert.equal(ok.outcome, 'ok');
  assert.deepEqual([...ok.removeHeaders].sort(), [...outputs, 'authorization'].sort());
  const set = Object.fromEntries(ok.setHeaders.map((h) => [h.name, h.value]));
  assert.deepEqual(Object.keys(set).sort(), ['x-admin', 'x-jwt-payload', 'x-level', 'x-sub', 'x-team']);
  assert.equal(set['x-sub'], 'alice');
  assert.equal(set['x-team'], 'payments');
  assert.equal(set['x-level'], '3');
  assert.equal(set['x-admin'], 'true');
  const payload = JSON.parse(Buffer.from(set['x-jwt-payload']!, 'base64url').toString('utf8')) as Record<string, unknown>;
  assert.equal(payload.iss, ISSUER);
  assert.deepEqual(payload.org, { team: 'payments' });

  const bad = await a.authenticate(undefined, bearer(await sign(k, { expIn: -3600 })));
  assert.equal(bad.outcome, 'fail');
  assert.deepEqual([...bad.removeHeaders].sort(), [...outputs].sort());
  a.close();
});

test('forwardOriginalToken keeps the token header; the default removes it', async () => {
  const k = await testKey('RS256', 'k');
  const token = await sign(k);
  const keep = authn({ jwks: jwks(k.jwk), forwardOriginalToken: true });
  const kept = await keep.authenticate(undefined, bearer(token));
  assert.equal(kept.outcome, 'ok');
  assert.deepEqual(kept.removeHeaders, []);
  const drop = authn({ jwks: jwks(k.jwk) });
  assert.deepEqual((await drop.authenticate(undefined, bearer(token))).removeHeaders, ['authorization']);
  const viaParam = await drop.authenticate(undefined, request({}, `access_token=${token}`));
  assert.equal(viaParam.outcome, 'ok');
  assert.deepEqual(viaParam.removeHeaders, []);
  keep.close();
  drop.close();
});

test('fromHeaders: the value must start with the prefix; other locations are not read', async () => {
  const k = await testKey('RS256', 'k');
  const token = await sign(k);
  const a = authn({ jwks: jwks(k.jwk), fromHeaders: [{ name: 'x-jwt-assertion', prefix: 'Token ' }] });
  const ok = await a.authenticate(undefined, request({ 'x-jwt-assertion': `Token ${token}` }));
  assert.equal(ok.outcome, 'ok');
  assert.deepEqual(ok.removeHeaders, ['x-jwt-assertion']);
  assert.equal((await a.authenticate(undefined, request({ 'x-jwt-assertion': token }))).outcome, 'none');
  assert.equal((await a.authenticate(undefined, bearer(token))).outcome, 'none');
  assert.equal((await a.authenticate(undefined, request({}, `access_token=${token}`))).outcome, 'none');
  const raw = authn({ jwks: jwks(k.jwk), fromHeaders: [{ name: 'x-token', prefix: '' }] });
  assert.equal((await raw.authenticate(undefined, request({ 'x-token': token }))).outcome, 'ok');
  a.close();
  raw.close();
});

test('fromParams reads URL-decoded query parameters; fromCookies reads cookies', async () => {
  const k = await testKey('RS256', 'k');
  const token = await sign(k);
  const a = authn({ jwks: jwks(k.jwk), fromParams: ['token'], fromCookies: ['session'] });
  assert.equal((await a.authenticate(undefined, request({}, `a=1&token=${encodeURIComponent(token)}`))).outcome, 'ok');
  assert.equal((await a.authenticate(undefined, request({}, `tok%65n=${token.replace(/\./g, '%2E')}`))).outcome, 'ok');
  const cookie = await a.authenticate(undefined, request({ cookie: `theme=dark; session=${token}` }));
  assert.equal(cookie.outcome, 'ok');
  assert.deepEqual(cookie.removeHeaders, []);
  assert.equal((await a.authenticate(undefined, request({}, `token=${token.slice(0, -2)}`))).outcome, 'fail');
  assert.equal((await a.authenticate(undefined, bearer(token))).outcome, 'none');
  a.close();
});

test('the default Bearer scheme matches case-insensitively; other schemes are not tokens', async () => {
  const k = await testKey('RS256', 'k');
  const token = await sign(k);
  const a = authn({ jwks: jwks(k.jwk) });
  assert.equal((await a.authenticate(undefined, request({ authorization: `bearer ${token}` }))).outcome, 'ok');
  assert.equal((await a.authenticate(undefined, request({ authorization: `Basic ${token}` }))).outcome, 'none');
  assert.equal((await a.authenticate(undefined, request({ authorization: 'Bearer ' }))).outcome, 'none');
  a.close();
});

test("a token in one issuer's location signed by another issuer is refused", async () => {
  const k1 = await testKey('RS256', 'k1');
  const k2 = await testKey('RS256', 'k2');
  const a = new JwtAuthenticator({ fetchJwks: noFetch, logger: memoryLogger(), now: () => T0 });
  a.update([
    policy([rule({ issuer: 'https://a.example', jwks: jwks(k1.jwk), fromHeaders: [{ name: 'x-a', prefix: '' }] })], undefined, 'a'),
    policy([rule({ issuer: 'https://b.example', jwks: jwks(k2.jwk) })], undefined, 'b'),
  ]);
  const fromA = await sign(k1, { iss: 'https://a.example' });
  const ok = await a.authenticate(undefined, request({ 'x-a': fromA }));
  assert.equal(ok.outcome, 'ok');
  assert.equal(ok.identity?.principal, 'https://a.example/alice');
  const wrongPlace = await a.authenticate(undefined, bearer(fromA));
  assert.equal(wrongPlace.outcome, 'fail');
  assert.equal(wrongPlace.failure, 'unknown_issuer');
  const both = await a.authenticate(undefined, request({ 'x-a': fromA, authorization: `Bearer ${await sign(k2, { iss: 'https://b.example', sub: 'bob' })}` }));
  assert.equal(both.outcome, 'ok');
  assert.deepEqual([...both.removeHeaders].sort(), ['authorization', 'x-a']);
  a.close();
});
