// JWKS from jwksUri as a request sees it: fail closed before the first fetch succeeds, recovery
// after backoff, a failed refresh keeps the old keys, key rotation through an early refresh (rate
// limited), one shared in-flight fetch, invalid JWKS in status, caches kept across updates, and
// parseJwks keeping only public signature keys.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeshError } from '../../pkg/errors/mesh-error';
import { memoryLogger } from '../../pkg/log/logger';
import { parseJwks } from './jwks-cache';
import { JwtAuthenticator } from './jwt-authn';
import { bearer, eventually, jwks, policy, rule, sign, T0, testKey } from './jwt-test-support';

const URI = 'https://keys.example/jwks.json';

/** A fetcher whose next answers the test controls; counts calls. */
function fakeFetcher(initial: string | Error) {
  const state = { answer: initial as string | Error, calls: 0, timeouts: [] as number[] };
  const fetchJwks = (uri: string, timeoutMs: number): Promise<string> => {
    assert.equal(uri, URI);
    state.calls += 1;
    state.timeouts.push(timeoutMs);
    return state.answer instanceof Error ? Promise.reject(state.answer) : Promise.resolve(state.answer);
  };
  return { state, fetchJwks };
}

function setup(initial: string | Error, refreshIntervalMs = 20 * 60_000) {
  const clock = { now: T0 };
  const f = fakeFetcher(initial);
  const a = new JwtAuthenticator({ fetchJwks: f.fetchJwks, logger: memoryLogger(), now: () => clock.now, refreshIntervalMs });
  a.update([policy([rule({ jwksUri: URI, timeoutMs: 1500 })])]);
  return { a, f, clock };
}

test('JWKS fetch failing → jwks_unavailable (never default keys); recovery once a later fetch succeeds', async () => {
  const k = await testKey('RS256', 'k');
  const { a, f, clock } = setup(new Error('connection refused'));
  assert.deepEqual(a.status(), [{ source: URI, keys: 0 }]);
  const token = await sign(k);
  const r = await a.authenticate(undefined, bearer(token));
  assert.equal(r.outcome, 'fail');
  assert.equal(r.failure, 'jwks_unavailable');
  assert.equal(f.state.calls, 1);
  assert.deepEqual(f.state.timeouts, [1500]);
  assert.match(a.status()[0]?.error ?? '', /connection refused/);
  // Within the backoff no new fetch starts.
  assert.equal((await a.authenticate(undefined, bearer(token))).failure, 'jwks_unavailable');
  assert.equal(f.state.calls, 1);
  f.state.answer = jwks(k.jwk);
  clock.now += 1000;
  const ok = await a.authenticate(undefined, bearer(token));
  assert.equal(ok.outcome, 'ok');
  assert.equal(f.state.calls, 2);
  const status = a.status()[0];
  assert.equal(status?.keys, 1);
  assert.equal(status?.error, undefined);
  assert.equal(status?.fetchedAt, new Date(clock.now).toISOString());
  a.close();
});

test('a failed refresh keeps the last good keys', async () => {
  const k = await testKey('ES256', 'k');
  const { a, f, clock } = setup(jwks(k.jwk), 60_000);
  const token = await sign(k, { expIn: 7200 });
  assert.equal((await a.authenticate(undefined, bearer(token))).outcome, 'ok');
  f.state.answer = new Error('HTTP status 503');
  clock.now += 60_000;
  assert.equal((await a.authenticate(undefined, bearer(token))).outcome, 'ok');
  await eventually(() => a.status()[0]?.error !== undefined);
  assert.equal(f.state.calls, 2);
  assert.equal(a.status()[0]?.keys, 1);
  assert.equal((await a.authenticate(undefined, bearer(token))).outcome, 'ok');
  f.state.answer = '{"keys": "not a list"}';
  clock.now += 1000;
  assert.equal((await a.authenticate(undefined, bearer(token))).outcome, 'ok');
  await eventually(() => f.state.calls >= 3 && /no "keys" list/.test(a.status()[0]?.error ?? ''));
  assert.equal((await a.authenticate(undefined, bearer(token))).outcome, 'ok');
  a.close();
});

test('invalid JWKS JSON → jwks_unavailable with the error in status', async () => {
  const k = await testKey('RS256', 'k');
  const { a } = setup('<html>not json</html>');
  assert.equal((await a.authenticate(undefined, bearer(await sign(k)))).failure, 'jwks_unavailable');
  assert.match(a.status()[0]?.error ?? '', /not valid JSON/);
  a.close();
});

test('an unknown kid refreshes early once (key rotation), at most once a minute', async () => {
  const old = await testKey('RS256', 'old');
  const rotated = await testKey('RS256', 'new');
  const stranger = await testKey('RS256', 'stranger');
  const { a, f, clock } = setup(jwks(old.jwk));
  assert.equal((await a.authenticate(undefined, bearer(await sign(old)))).outcome, 'ok');
  assert.equal(f.state.calls, 1);
  f.state.answer = jwks(old.jwk, rotated.jwk);
  assert.equal((await a.authenticate(undefined, bearer(await sign(rotated)))).outcome, 'ok');
  assert.equal(f.state.calls, 2);
  assert.equal((await a.authenticate(undefined, bearer(await sign(stranger)))).failure, 'unknown_kid');
  assert.equal((await a.authenticate(undefined, bearer(await sign(stranger)))).failure, 'unknown_kid');
  assert.equal(f.state.calls, 2);
  clock.now += 61_000;
  assert.equal((await a.authenticate(undefined, bearer(await sign(stranger, { now: clock.now })))).failure, 'unknown_kid');
  assert.equal(f.state.calls, 3);
  a.close();
});

test('concurrent requests share one in-flight fetch', async () => {
  const k = await testKey('RS256', 'k');
  let release: (text: string) => void = () => undefined;
  let calls = 0;
  const a = new JwtAuthenticator({
    fetchJwks: () => { calls += 1; return new Promise<string>((resolve) => { release = resolve; }); },
    logger: memoryLogger(), now: () => T0,
  });
  a.update([policy([rule({ jwksUri: URI })])]);
  const token = await sign(k);
  const pending = [1, 2, 3].map(() => a.authenticate(undefined, bearer(token)));
  await eventually(() => calls > 0);
  release(jwks(k.jwk));
  const results = await Promise.all(pending);
  assert.deepEqual(results.map((r) => r.outcome), ['ok', 'ok', 'ok']);
  assert.equal(calls, 1);
  a.close();
});

test('a request that gives up stops waiting for the fetch; close() cancels it', async () => {
  const k = await testKey('RS256', 'k');
  let fetchSignal: AbortSignal | undefined;
  const a = new JwtAuthenticator({
    fetchJwks: (_u, _t, signal) => { fetchSignal = signal; return new Promise<string>(() => undefined); },
    logger: memoryLogger(), now: () => T0,
  });
  a.update([policy([rule({ jwksUri: URI })])]);
  const ctl = new AbortController();
  const pending = a.authenticate(undefined, bearer(await sign(k)), ctl.signal);
  await eventually(() => fetchSignal !== undefined);
  ctl.abort();
  assert.equal((await pending).failure, 'jwks_unavailable');
  a.close();
  assert.equal(fetchSignal?.aborted, true);
});

test('update keeps the cache of unchanged URIs and drops removed ones', async () => {
  const k = await testKey('RS256', 'k');
  const { a, f } = setup(jwks(k.jwk));
  const token = await sign(k);
  assert.equal((await a.authenticate(undefined, bearer(token))).outcome, 'ok');
  a.update([policy([rule({ jwksUri: URI, timeoutMs: 1500, audiences: [] })], undefined, 'renamed')]);
  assert.equal((await a.authenticate(undefined, bearer(token))).outcome, 'ok');
  assert.equal(f.state.calls, 1);
  a.update([policy([rule({ jwks: jwks(k.jwk) })])]);
  assert.deepEqual(a.status(), [{ source: 'inline:shop/jwt[0]', keys: 1 }]);
  a.close();
});

test('parseJwks keeps public signature keys only', async () => {
  const rsa = await testKey('RS256', 'rsa');
  const set = parseJwks(JSON.stringify({
    keys: [
      { ...rsa.jwk, d: 'private-part' },
      { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
      { ...rsa.jwk, kid: 'enc', use: 'enc' },
      { kty: 'EC', crv: 'secp256k1', x: 'AA', y: 'AA', kid: 'k1' },
      'junk',
    ],
  }));
  assert.equal(set.keys.length, 1);
  assert.equal(set.keys[0]?.kid, 'rsa');
  assert.equal('d' in (set.keys[0]?.jwk ?? {}), false);
  for (const bad of ['', '[]', '{"keys": []}', '{"keys": [{"kty": "oct", "k": "AA"}]}', '{"nope": 1}']) {
    assert.throws(() => parseJwks(bad), (err: unknown) => isMeshError(err), bad);
  }
});
