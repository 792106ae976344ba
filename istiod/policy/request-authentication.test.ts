// RequestAuthentication conversion as a user meets it: the JWT rules a waypoint gets (defaults,
// lower-cased headers, timeouts), what is refused and why (key material, SSRF-prone jwksUris, OIDC
// discovery, bad headers), selector-based resources accepted but not enforced, the status
// conditions, hostile input, and the golden files testdata/ra-*.yaml (AMBIT_UPDATE_GOLDEN=1
// rewrites them). Every accepted conversion passes the waypoint codec's securityProblems.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadAll } from 'js-yaml';
import { DEFAULT_JWKS_TIMEOUT_MS, DEFAULT_PATH_NORMALIZATION } from '../../pkg/api/waypoint-security-types';
import { securityProblems } from '../../pkg/api/waypoint-security-validate';
import { MAX_REPORTED } from './field-report';
import { durationMs } from './l7-jwks';
import { convertRequestAuthentication, requestAuthenticationStatus, type RequestAuthnConversion } from './request-authentication';

const OPTS = { rootNamespace: 'istio-system' };
const GATEWAY = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' };
const RSA_KEY = {
  kty: 'RSA', kid: 'k1', alg: 'RS256', e: 'AQAB',
  n: Buffer.alloc(256, 7).toString('base64url'),
};
const EC_KEY = { kty: 'EC', crv: 'P-256', kid: 'k2', x: Buffer.alloc(32, 1).toString('base64url'), y: Buffer.alloc(32, 2).toString('base64url') };
const JWKS = JSON.stringify({ keys: [RSA_KEY, EC_KEY] });

function ra(spec: Record<string, unknown>): unknown {
  return { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name: 'jwt', namespace: 'shop' }, spec };
}

function assertSendable(c: RequestAuthnConversion): void {
  assert.ok(c.rules);
  assert.deepEqual(securityProblems({
    pathNormalization: DEFAULT_PATH_NORMALIZATION, authorization: [],
    authentication: [{ name: c.name, namespace: c.namespace, targets: { all: true, services: [] }, rules: c.rules }],
  }), []);
}

function accepted(rule: Record<string, unknown>): RequestAuthnConversion {
  const c = convertRequestAuthentication(ra({ targetRefs: [GATEWAY], jwtRules: [rule] }), OPTS);
  assert.deepEqual(c.problems, [], JSON.stringify(rule).slice(0, 200));
  assertSendable(c);
  return c;
}

function problemsOf(rule: Record<string, unknown>): readonly { field: string; reason: string }[] {
  const c = convertRequestAuthentication(ra({ targetRefs: [GATEWAY], jwtRules: [rule] }), OPTS);
  assert.equal(c.rules, undefined, 'nothing reaches the waypoint');
  return c.problems;
}

test('an inline-JWKS rule with defaults: Authorization Bearer and access_token, 5 s timeout, header removed', () => {
  const c = accepted({ issuer: 'https://issuer.example', jwks: JWKS });
  assert.deepEqual(c.refs, [{ kind: 'Gateway', name: 'waypoint' }]);
  assert.deepEqual(c.rules, [{
    issuer: 'https://issuer.example', audiences: [], jwks: JWKS, jwksUri: '', fromHeaders: [], fromParams: [], fromCookies: [],
    forwardOriginalToken: false, outputPayloadToHeader: '', outputClaimToHeaders: [], timeoutMs: DEFAULT_JWKS_TIMEOUT_MS,
  }]);
  assert.deepEqual(c.warnings, []);
});

test('every field: header names lower-cased, timeout in ms', () => {
  const c = accepted({
    issuer: 'iss', audiences: ['a', 'b'], jwksUri: 'https://issuer.example/keys',
    fromHeaders: [{ name: 'X-Jwt', prefix: 'Bearer ' }, { name: 'x-other' }], fromParams: ['token'], fromCookies: ['session'],
    forwardOriginalToken: true, outputPayloadToHeader: 'X-Payload', outputClaimToHeaders: [{ header: 'X-Sub', claim: 'sub' }], timeout: '1.5s',
  });
  const r = c.rules![0]!;
  assert.deepEqual(r.fromHeaders, [{ name: 'x-jwt', prefix: 'Bearer ' }, { name: 'x-other', prefix: '' }]);
  assert.deepEqual([r.outputPayloadToHeader, r.outputClaimToHeaders, r.timeoutMs, r.forwardOriginalToken], ['x-payload', [{ header: 'x-sub', claim: 'sub' }], 1500, true]);
});

test('durations: Istio forms, bounded to 1 ms .. 60 s', () => {
  const cases: [string, number | undefined][] = [['5s', 5000], ['500ms', 500], ['1m', 60000], ['1.5s', 1500], ['1s500ms', 1500],
    ['61s', undefined], ['2m', undefined], ['0s', undefined], ['500us', undefined], ['5', undefined], ['-1s', undefined], ['5 s', undefined]];
  for (const [raw, want] of cases) {
    const d = durationMs(raw);
    assert.equal(d.ok ? d.value : undefined, want, raw);
  }
});

const REFUSED: [string, Record<string, unknown>, string, RegExp][] = [
  ['no issuer', { jwks: JWKS }, 'spec.jwtRules[0].issuer', /is required/],
  ['OIDC discovery (no key source)', { issuer: 'i' }, 'spec.jwtRules[0]', /OIDC discovery is not supported: set jwks or jwksUri/],
  ['both key sources', { issuer: 'i', jwks: JWKS, jwksUri: 'https://x.example/k' }, 'spec.jwtRules[0]', /only one of jwks and jwksUri/],
  ['jwks not JSON', { issuer: 'i', jwks: '{"keys": [' }, 'spec.jwtRules[0].jwks', /is not JSON/],
  ['jwks not a key set', { issuer: 'i', jwks: '[1,2]' }, 'spec.jwtRules[0].jwks', /JSON Web Key Set/],
  ['jwks with no keys', { issuer: 'i', jwks: '{"keys":[]}' }, 'spec.jwtRules[0].jwks', /holds no keys/],
  ['65 keys', { issuer: 'i', jwks: JSON.stringify({ keys: Array.from({ length: 65 }, (_, i) => ({ ...EC_KEY, kid: `k${i}` })) }) }, 'spec.jwtRules[0].jwks', /65 keys \(at most 64\)/],
  ['a symmetric key', { issuer: 'i', jwks: '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}' }, 'spec.jwtRules[0].jwks.keys[0].kty', /symmetric keys are not supported/],
  ['private RSA members', { issuer: 'i', jwks: JSON.stringify({ keys: [{ ...RSA_KEY, d: 'AQAB', p: 'AQAB' }] }) }, 'spec.jwtRules[0].jwks.keys[0]', /private key material must never be in a JWKS/],
  ['private EC member', { issuer: 'i', jwks: JSON.stringify({ keys: [{ ...EC_KEY, d: 'AQAB' }] }) }, 'spec.jwtRules[0].jwks.keys[0]', /private key material/],
  ['unknown kty', { issuer: 'i', jwks: '{"keys":[{"kty":"DSA"}]}' }, 'spec.jwtRules[0].jwks.keys[0].kty', /not RSA, EC or OKP/],
  ['HS alg on an RSA key', { issuer: 'i', jwks: JSON.stringify({ keys: [{ ...RSA_KEY, alg: 'HS256' }] }) }, 'spec.jwtRules[0].jwks.keys[0].alg', /not a public-key signature algorithm/],
  ['alg none', { issuer: 'i', jwks: JSON.stringify({ keys: [{ ...RSA_KEY, alg: 'none' }] }) }, 'spec.jwtRules[0].jwks.keys[0].alg', /not a public-key/],
  ['alg not fitting the curve', { issuer: 'i', jwks: JSON.stringify({ keys: [{ ...EC_KEY, alg: 'ES384' }] }) }, 'spec.jwtRules[0].jwks.keys[0].alg', /does not fit a EC key on P-256/],
  ['X25519 (not a signing curve)', { issuer: 'i', jwks: '{"keys":[{"kty":"OKP","crv":"X25519","x":"AQAB"}]}' }, 'spec.jwtRules[0].jwks.keys[0].crv', /signing curve/],
  ['RSA without n', { issuer: 'i', jwks: '{"keys":[{"kty":"RSA","e":"AQAB"}]}' }, 'spec.jwtRules[0].jwks.keys[0].n', /is required/],
  ['jwks too long', { issuer: 'i', jwks: `{"keys":[],"x":"${'a'.repeat(256 * 1024)}"}` }, 'spec.jwtRules[0].jwks', /at most 262144/],
  ['localhost', { issuer: 'i', jwksUri: 'http://localhost:15000/' }, 'spec.jwtRules[0].jwksUri', /would fetch from the waypoint itself or a metadata endpoint/],
  ['loopback', { issuer: 'i', jwksUri: 'https://127.0.0.2/keys' }, 'spec.jwtRules[0].jwksUri', /metadata endpoint/],
  ['decimal loopback', { issuer: 'i', jwksUri: 'http://2130706433/keys' }, 'spec.jwtRules[0].jwksUri', /metadata endpoint/],
  ['IPv6 loopback', { issuer: 'i', jwksUri: 'http://[::1]:8080/keys' }, 'spec.jwtRules[0].jwksUri', /metadata endpoint/],
  ['v4-mapped loopback', { issuer: 'i', jwksUri: 'http://[::ffff:127.0.0.1]/keys' }, 'spec.jwtRules[0].jwksUri', /metadata endpoint/],
  ['link-local metadata', { issuer: 'i', jwksUri: 'http://169.254.169.254/latest/' }, 'spec.jwtRules[0].jwksUri', /metadata endpoint/],
  ['IPv6 link-local', { issuer: 'i', jwksUri: 'http://[fe80::1]/keys' }, 'spec.jwtRules[0].jwksUri', /metadata endpoint/],
  ['unspecified', { issuer: 'i', jwksUri: 'http://0.0.0.0/keys' }, 'spec.jwtRules[0].jwksUri', /metadata endpoint/],
  ['metadata host name', { issuer: 'i', jwksUri: 'http://metadata.google.internal./v1' }, 'spec.jwtRules[0].jwksUri', /metadata endpoint/],
  ['not http(s)', { issuer: 'i', jwksUri: 'file:///etc/keys' }, 'spec.jwtRules[0].jwksUri', /only http and https/],
  ['relative URL', { issuer: 'i', jwksUri: '/keys' }, 'spec.jwtRules[0].jwksUri', /not an absolute URL/],
  ['credentials in the URL', { issuer: 'i', jwksUri: 'https://u:p@issuer.example/keys' }, 'spec.jwtRules[0].jwksUri', /credentials/],
  ['timeout too long', { issuer: 'i', jwksUri: 'https://x.example/k', timeout: '61s' }, 'spec.jwtRules[0].timeout', /longer than 60s/],
  ['pseudo-header location', { issuer: 'i', jwks: JWKS, fromHeaders: [{ name: ':path' }] }, 'spec.jwtRules[0].fromHeaders[0].name', /is a pseudo-header/],
  ['header location without a name', { issuer: 'i', jwks: JWKS, fromHeaders: [{ prefix: 'x' }] }, 'spec.jwtRules[0].fromHeaders[0].name', /is required/],
  ['output to host', { issuer: 'i', jwks: JWKS, outputClaimToHeaders: [{ header: 'Host', claim: 'sub' }] }, 'spec.jwtRules[0].outputClaimToHeaders[0].header', /framed or routed/],
  ['payload to transfer-encoding', { issuer: 'i', jwks: JWKS, outputPayloadToHeader: 'Transfer-Encoding' }, 'spec.jwtRules[0].outputPayloadToHeader', /framed or routed/],
  ['claim header without claim', { issuer: 'i', jwks: JWKS, outputClaimToHeaders: [{ header: 'x-a' }] }, 'spec.jwtRules[0].outputClaimToHeaders[0].claim', /is required/],
  ['bad cookie name', { issuer: 'i', jwks: JWKS, fromCookies: ['a b'] }, 'spec.jwtRules[0].fromCookies[0]', /not a cookie name/],
  ['forwardOriginalToken as text', { issuer: 'i', jwks: JWKS, forwardOriginalToken: 'yes' }, 'spec.jwtRules[0].forwardOriginalToken', /true or false/],
  ['unknown field', { issuer: 'i', jwks: JWKS, jwksURL: 'x' }, 'spec.jwtRules[0].jwksURL', /unknown field/],
  ['65 audiences', { issuer: 'i', jwks: JWKS, audiences: Array.from({ length: 65 }, (_, i) => `a${i}`) }, 'spec.jwtRules[0].audiences', /65 entries \(at most 64\)/],
];

for (const [name, rule, field, reason] of REFUSED) {
  test(`refused: ${name}`, () => {
    const p = problemsOf(rule).find((x) => x.field === field);
    assert.ok(p, `${field} in ${JSON.stringify(problemsOf(rule))}`);
    assert.match(p.reason, reason);
  });
}

test('warned: no kid, a short RSA key, an encryption key, plain http off-mesh, a timeout with inline keys', () => {
  const noKid = accepted({ issuer: 'i', jwks: JSON.stringify({ keys: [{ ...EC_KEY, kid: undefined }] }) });
  assert.match(noKid.warnings[0]!.reason, /has no "kid"/);
  const short = accepted({ issuer: 'i', jwks: JSON.stringify({ keys: [{ ...RSA_KEY, n: Buffer.alloc(128, 7).toString('base64url') }] }) });
  assert.match(short.warnings[0]!.reason, /1024-bit RSA key is too weak/);
  const enc = accepted({ issuer: 'i', jwks: JSON.stringify({ keys: [{ ...RSA_KEY, use: 'enc' }] }) });
  assert.match(enc.warnings[0]!.reason, /not for signatures/);
  const http = accepted({ issuer: 'i', jwksUri: 'http://issuer.example/keys' });
  assert.match(http.warnings[0]!.reason, /plain http/);
  assert.deepEqual(accepted({ issuer: 'i', jwksUri: 'http://keycloak.auth.svc.cluster.local/keys' }).warnings, [], 'a mesh Service goes through the mesh');
  const timeout = accepted({ issuer: 'i', jwks: JWKS, timeout: '2s' });
  assert.match(timeout.warnings[0]!.reason, /applies to fetching jwksUri only/);
});

test('selector-based and selector-less resources are checked, accepted, and not enforced', () => {
  for (const spec of [{ selector: { matchLabels: { app: 'web' } } }, {}]) {
    const c = convertRequestAuthentication(ra({ ...spec, jwtRules: [{ issuer: 'i', jwks: JWKS }] }), OPTS);
    assert.deepEqual(c.problems, []);
    assert.equal(c.rules, undefined);
    assert.deepEqual(c.refs, []);
    assert.match(c.warnings.at(-1)!.reason, /only targetRefs RequestAuthentications are enforced \(at a waypoint\); this one is not enforced/);
    const [cond] = requestAuthenticationStatus(c);
    assert.deepEqual([cond!.status, cond!.reason], ['True', 'NotEnforced']);
  }
  const bad = convertRequestAuthentication(ra({ selector: { matchLabels: { app: 'web' } }, jwtRules: [{ issuer: 'i' }] }), OPTS);
  assert.deepEqual(bad.problems.map((p) => p.field), ['spec.jwtRules[0]']);
  const both = convertRequestAuthentication(ra({ selector: {}, targetRefs: [GATEWAY], jwtRules: [] }), OPTS);
  assert.deepEqual(both.problems.map((p) => p.field), ['spec.selector']);
});

test('status: accepted, rejected (with and without a previous version)', () => {
  const ok = convertRequestAuthentication(ra({ targetRefs: [GATEWAY], jwtRules: [{ issuer: 'i', jwks: JWKS }] }), OPTS);
  const [accepted0] = requestAuthenticationStatus(ok);
  assert.deepEqual([accepted0!.status, accepted0!.reason], ['True', 'Accepted']);
  assert.match(accepted0!.message, /Enforced by the waypoint of each targeted Gateway\/Service/);
  assert.match(accepted0!.message, /requestPrincipals: \["\*"\]/);
  const bad = convertRequestAuthentication(ra({ targetRefs: [GATEWAY], jwtRules: [{ issuer: 'i', jwksUri: 'http://localhost/' }] }), OPTS);
  assert.deepEqual(bad.refs, [{ kind: 'Gateway', name: 'waypoint' }]);
  const [rejected] = requestAuthenticationStatus(bad);
  assert.deepEqual([rejected!.status, rejected!.reason], ['False', 'Invalid']);
  assert.match(rejected!.message, /^Rejected: nothing of it is enforced/);
  assert.match(rejected!.message, /spec\.jwtRules\[0\]\.jwksUri: "http:\/\/localhost\/" would fetch from the waypoint itself/);
  assert.match(requestAuthenticationStatus(bad, 3)[0]!.message, /^Rejected: the last valid version \(generation 3\) stays in force\./);
});

test('hostile input never throws and is refused, with a bounded problem list', () => {
  const inputs: unknown[] = [
    null, 7, 'ra', [], {}, ra({ jwtRules: 'all' }), ra({ targetRefs: [GATEWAY], jwtRules: [null] }),
    ra({ targetRefs: [GATEWAY], jwtRules: [{ issuer: 'i', jwks: '['.repeat(100_000) }] }),
    ra({ targetRefs: [GATEWAY], jwtRules: [{ issuer: 'i', jwks: '{"keys":[{"kty":"RSA","n":{"__proto__":1},"e":[]}]}' }] }),
    ra({ targetRefs: [GATEWAY], jwtRules: Array.from({ length: 65 }, () => ({ issuer: 'i', jwks: JWKS })) }),
    JSON.parse('{"metadata":{"name":"a","namespace":"b"},"spec":{"targetRefs":[{"kind":"Service","name":"a"}],"jwtRules":[{"__proto__":{"issuer":"x"}}]}}'),
  ];
  for (const input of inputs) {
    const c = convertRequestAuthentication(input, OPTS);
    assert.ok(c.problems.length > 0, JSON.stringify(input).slice(0, 100));
    assert.equal(c.rules, undefined);
  }
  const many = convertRequestAuthentication(ra({ targetRefs: [GATEWAY], jwtRules: Array.from({ length: 64 }, () => ({})) }), OPTS);
  assert.equal(many.problems.length, MAX_REPORTED + 1);
});

// Golden files: testdata/ra-*.yaml → .golden.json beside them.
function testdata(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'istiod', 'policy', 'testdata');
    if (existsSync(join(candidate, 'ra-jwt.yaml'))) return candidate;
  }
  throw new Error('istiod/policy/testdata not found');
}

for (const file of readdirSync(testdata()).filter((f) => f.startsWith('ra-') && f.endsWith('.yaml')).sort()) {
  test(`golden: RequestAuthentications of ${file}`, () => {
    const docs = loadAll(readFileSync(join(testdata(), file), 'utf8')).filter((d) => d !== null && d !== undefined);
    const out = docs.map((doc) => {
      const c = convertRequestAuthentication(doc, OPTS);
      if (c.rules) assertSendable(c);
      return { input: `${c.namespace}/${c.name}`, ...c, status: requestAuthenticationStatus(c) };
    });
    const golden = join(testdata(), file.replace(/\.yaml$/, '.golden.json'));
    const text = `${JSON.stringify(out, null, 2)}\n`;
    if (process.env.AMBIT_UPDATE_GOLDEN === '1') writeFileSync(golden, text);
    assert.equal(text, readFileSync(golden, 'utf8'), `${file} differs from its golden file`);
  });
}
