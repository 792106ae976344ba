// Tests of the validation of WaypointConfig.security: a valid config using every attribute and
// matcher kind passes; each bad value is refused with its field path and reason, both alone
// (securityProblems) and inside a whole config (waypointConfigProblems); the problem cap holds.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { securityProblems } from './waypoint-security-validate';
import { waypointConfigProblems } from './waypoint-validate';
import type { WaypointConfig } from './waypoint-types';
import {
  EMPTY_SECURITY, SECURITY_LIMITS,
  type JwtRule, type L7Matcher, type L7Policy, type L7Predicate, type RequestAuthn, type WaypointSecurity,
} from './waypoint-security-types';

const svc = 'shop/reviews.shop.svc.cluster.local';
const jwks = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'BB', kid: 'k1' }] });

const pred = (attribute: L7Predicate['attribute'], values: L7Matcher[], extra: Partial<L7Predicate> = {}): L7Predicate =>
  ({ attribute, key: '', claimPath: [], values, notValues: [], ...extra });
const m = (kind: L7Matcher['kind'], value = ''): L7Matcher => ({ kind, value });

const policy: L7Policy = {
  name: 'allow-reads', namespace: 'shop', action: 'ALLOW', dryRun: false,
  targets: { all: false, services: [svc] },
  rules: [{
    from: [{ predicates: [
      pred('source.principal', [m('exact', 'cluster.local/ns/shop/sa/web'), m('prefix', 'cluster.local/ns/')]),
      pred('source.namespace', [m('suffix', 'op')]),
      pred('source.ip', [m('cidr', '198.18.0.0/15'), m('cidr', '2001:db8::/32'), m('cidr', '198.18.0.1')]),
      pred('remote.ip', [], { notValues: [m('cidr', '198.19.0.0/16')] }),
      pred('request.auth.principal', [m('presence')]),
    ] }],
    to: [{ predicates: [
      pred('request.method', [m('exact', 'GET'), m('exact', 'HEAD')]),
      pred('request.path', [m('template', '/api/{*}/items/{**}'), m('prefix', '/public/'), m('suffix', '.css')]),
      pred('request.host', [m('exact', 'reviews.shop')]),
      pred('destination.port', [m('port', '9080')]),
      pred('destination.ip', [m('cidr', '198.19.0.0/16')]),
    ] }],
    when: [
      pred('request.header', [m('exact', 'yes')], { key: 'x-canary' }),
      pred('request.auth.claim', [m('exact', 'admins')], { claimPath: ['realm', 'groups'] }),
      pred('request.auth.audiences', [m('exact', 'shop')]),
      pred('request.auth.presenter', [m('exact', 'web')]),
      pred('connection.sni', [m('presence')]),
    ],
  }],
};

const rule: JwtRule = {
  issuer: 'https://issuer.example', audiences: ['shop'], jwks: '', jwksUri: 'https://issuer.example/.well-known/jwks.json',
  fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer ' }], fromParams: ['token'], fromCookies: ['session'],
  forwardOriginalToken: true, outputPayloadToHeader: 'x-jwt-payload',
  outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }], timeoutMs: 5000,
};
const authn: RequestAuthn = { name: 'jwt', namespace: 'shop', targets: { all: true, services: [] }, rules: [rule, { ...rule, jwks, jwksUri: '' }] };

const valid: WaypointSecurity = { pathNormalization: 'BASE', authorization: [policy], authentication: [authn] };

/** `valid` with its policy's first `to` entry replaced by one predicate. */
const withTo = (p: L7Predicate): WaypointSecurity =>
  ({ ...valid, authorization: [{ ...policy, rules: [{ from: [], to: [{ predicates: [p] }], when: [] }] }] });
const withRule = (change: Partial<JwtRule>): WaypointSecurity =>
  ({ ...valid, authentication: [{ ...authn, rules: [{ ...rule, ...change }] }] });

const to0 = 'security.authorization[0].rules[0].to[0].predicates[0]';
const jwt0 = 'security.authentication[0].rules[0]';
const longJwks = `{"keys":[],"x":"${'a'.repeat(SECURITY_LIMITS.jwksChars)}"}`;

function refused(s: WaypointSecurity, expected: string | RegExp): void {
  const problems = securityProblems(s);
  const hit = (p: string): boolean => (typeof expected === 'string' ? p.startsWith(expected) : expected.test(p));
  assert.ok(problems.some(hit), `no problem matching ${String(expected)}: ${JSON.stringify(problems)}`);
}

describe('waypoint security validation', () => {
  it('accepts a config using every attribute and matcher kind', () => {
    assert.deepEqual(securityProblems(valid), []);
    assert.deepEqual(securityProblems(EMPTY_SECURITY), []);
  });

  const cases: readonly (readonly [string, WaypointSecurity, string | RegExp])[] = [
    ['an unknown path normalization', { ...valid, pathNormalization: 'LOWER' as never }, 'security.pathNormalization: unknown value "LOWER"'],
    ['an unknown action', { ...valid, authorization: [{ ...policy, action: 'CUSTOM' as never }] }, 'security.authorization[0].action: unknown value "CUSTOM"'],
    ['an unknown attribute', withTo(pred('request.query' as never, [m('exact', 'x')])), `${to0}.attribute: unknown value "request.query"`],
    ['cidr on request.path', withTo(pred('request.path', [m('cidr', '198.18.0.0/15')])), `${to0}.values[0].kind: cidr does not apply to request.path`],
    ['prefix on request.method', withTo(pred('request.method', [m('prefix', 'G')])), `${to0}.values[0].kind: prefix does not apply to request.method (want exact)`],
    ['a lower-case method', withTo(pred('request.method', [m('exact', 'get')])), `${to0}.values[0].value: "get" is not an upper-case HTTP method`],
    ['exact on source.ip', withTo(pred('source.ip', [m('exact', '198.18.0.1')])), `${to0}.values[0].kind: exact does not apply to source.ip (want cidr)`],
    ['template on request.host', withTo(pred('request.host', [m('template', '/{*}')])), `${to0}.values[0].kind: template does not apply`],
    ['a bad template', withTo(pred('request.path', [m('template', '/a/{**}/b')])), /^security\.authorization\[0\]\.rules\[0\]\.to\[0\]\.predicates\[0\]\.values\[0\]\.value: .*\{\*\*\} must be the last segment/],
    ['a template with a wildcard', withTo(pred('request.path', [], { notValues: [m('template', '/a/*/{*}')] })), `${to0}.notValues[0].value: template "/a/*/{*}"`],
    ['a bad CIDR address', withTo(pred('destination.ip', [m('cidr', '198.18.0.256/24')])), `${to0}.values[0].value: "198.18.0.256" is not an IP address`],
    ['a CIDR prefix too long', withTo(pred('source.ip', [m('cidr', '198.18.0.0/33')])), `${to0}.values[0].value: prefix length 33 exceeds 32`],
    ['an IPv6 prefix too long', withTo(pred('source.ip', [m('cidr', '2001:db8::/129')])), `${to0}.values[0].value: prefix length 129 exceeds 128`],
    ['port 0', withTo(pred('destination.port', [m('port', '0')])), `${to0}.values[0].value: "0" is not a port 1..65535`],
    ['port 65536', withTo(pred('destination.port', [m('port', '65536')])), `${to0}.values[0].value: "65536" is not a port`],
    ['a named port', withTo(pred('destination.port', [m('port', 'http')])), `${to0}.values[0].value: "http" is not a port`],
    ['a presence matcher with a value', withTo(pred('request.host', [m('presence', 'x')])), `${to0}.values[0].value: must be empty for presence`],
    ['an empty exact value', withTo(pred('request.host', [m('exact', '')])), `${to0}.values[0].value: empty (exact needs a value)`],
    ['a value with a newline', withTo(pred('request.host', [m('exact', 'a\nb')])), `${to0}.values[0].value: "a\\nb" contains CR, LF or NUL`],
    ['an unknown matcher kind', withTo(pred('request.host', [m('regex' as never, '.*')])), `${to0}.values[0].kind: unknown value "regex"`],
    ['a header predicate without a key', withTo(pred('request.header', [m('presence')])), `${to0}.key: empty`],
    ['an upper-case header key', withTo(pred('request.header', [m('presence')], { key: 'X-User' })), `${to0}.key: "X-User" is not a valid lower-case HTTP header name`],
    ['a key on another attribute', withTo(pred('request.path', [m('exact', '/')], { key: 'x' })), `${to0}.key: "x" set, but only request.header takes a key`],
    ['a claim predicate without a path', withTo(pred('request.auth.claim', [m('exact', 'a')])), `${to0}.claimPath: empty (request.auth.claim needs a claim path)`],
    ['a claim path on another attribute', withTo(pred('request.auth.principal', [m('exact', 'a')], { claimPath: ['x'] })), `${to0}.claimPath: set, but only request.auth.claim`],
    ['a claim path too deep', withTo(pred('request.auth.claim', [m('exact', 'a')], { claimPath: Array.from({ length: 9 }, () => 'c') })), `${to0}.claimPath: 9 entries (max 8)`],
    ['an empty claim path element', withTo(pred('request.auth.claim', [m('exact', 'a')], { claimPath: ['realm', ''] })), `${to0}.claimPath[1]: empty`],
    ['an empty policy name', { ...valid, authorization: [{ ...policy, name: '' }] }, 'security.authorization[0].name: empty'],
    ['an empty namespace', { ...valid, authentication: [{ ...authn, namespace: '' }] }, 'security.authentication[0].namespace: empty'],
    ['a bad Service key', { ...valid, authorization: [{ ...policy, targets: { all: false, services: ['reviews'] } }] }, 'security.authorization[0].targets.services[0]: "reviews" is not a Service key'],
    ['a duplicate policy', { ...valid, authorization: [policy, { ...policy, action: 'DENY' }] }, 'security.authorization[1]: "shop/allow-reads" duplicates security.authorization[0]'],
    ['a duplicate RequestAuthentication', { ...valid, authentication: [authn, authn] }, 'security.authentication[1]: "shop/jwt" duplicates security.authentication[0]'],
    ['an empty issuer', withRule({ issuer: '' }), `${jwt0}.issuer: empty`],
    ['both jwks and jwksUri', withRule({ jwks }), `${jwt0}: both jwks and jwksUri set (want exactly one)`],
    ['neither jwks nor jwksUri', withRule({ jwksUri: '' }), `${jwt0}: neither jwks nor jwksUri set`],
    ['jwks that is not JSON', withRule({ jwks: '{keys: []', jwksUri: '' }), `${jwt0}.jwks: not JSON`],
    ['jwks that is a list', withRule({ jwks: '[]', jwksUri: '' }), `${jwt0}.jwks: not a JSON object`],
    ['jwks without keys', withRule({ jwks: '{"kty":"RSA"}', jwksUri: '' }), `${jwt0}.jwks.keys: missing or not a list`],
    ['jwks with a non-object key', withRule({ jwks: '{"keys":[1]}', jwksUri: '' }), `${jwt0}.jwks.keys[0]: not an object`],
    ['jwks with too many keys', withRule({ jwks: JSON.stringify({ keys: Array.from({ length: 65 }, () => ({})) }), jwksUri: '' }), `${jwt0}.jwks.keys: 65 entries (max 64)`],
    ['jwks too long', withRule({ jwks: longJwks, jwksUri: '' }), `${jwt0}.jwks: ${longJwks.length} characters (max ${SECURITY_LIMITS.jwksChars})`],
    ['a relative jwksUri', withRule({ jwksUri: '/jwks.json' }), `${jwt0}.jwksUri: "/jwks.json" is not an absolute URL`],
    ['a file: jwksUri', withRule({ jwksUri: 'file:///etc/jwks.json' }), `${jwt0}.jwksUri: "file:///etc/jwks.json" is not an http: or https: URL`],
    ['a jwksUri with credentials', withRule({ jwksUri: 'https://u:p@issuer.example/jwks' }), `${jwt0}.jwksUri: "https://u:p@issuer.example/jwks" carries credentials`],
    ['an upper-case token header', withRule({ fromHeaders: [{ name: 'Authorization', prefix: 'Bearer ' }] }), `${jwt0}.fromHeaders[0].name: "Authorization" is not a valid lower-case`],
    ['a prefix with a control character', withRule({ fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer\t' }] }), `${jwt0}.fromHeaders[0].prefix: "Bearer\\t" contains control characters`],
    ['a non-ASCII prefix', withRule({ fromHeaders: [{ name: 'x-jwt', prefix: 'Bé ' }] }), `${jwt0}.fromHeaders[0].prefix: "Bé " is not a valid prefix`],
    ['an empty query parameter', withRule({ fromParams: [''] }), `${jwt0}.fromParams[0]: empty`],
    ['a bad cookie name', withRule({ fromCookies: ['a b'] }), `${jwt0}.fromCookies[0]: "a b" is not a valid cookie name`],
    ['timeout 0', withRule({ timeoutMs: 0 }), `${jwt0}.timeoutMs: 0 (want an integer 1..60000)`],
    ['timeout too long', withRule({ timeoutMs: 60_001 }), `${jwt0}.timeoutMs: 60001 (want an integer 1..60000)`],
    ['a pseudo-header output', withRule({ outputPayloadToHeader: ':path' }), `${jwt0}.outputPayloadToHeader: ":path" is a pseudo-header`],
    ['a host output', withRule({ outputClaimToHeaders: [{ header: 'host', claim: 'sub' }] }), `${jwt0}.outputClaimToHeaders[0].header: "host" may not be overwritten`],
    ['a content-length output', withRule({ outputPayloadToHeader: 'content-length' }), `${jwt0}.outputPayloadToHeader: "content-length" may not be overwritten`],
    ['an invalid output header', withRule({ outputClaimToHeaders: [{ header: 'x user', claim: 'sub' }] }), `${jwt0}.outputClaimToHeaders[0].header: "x user" is not a valid`],
    ['an empty claim name', withRule({ outputClaimToHeaders: [{ header: 'x-user', claim: '' }] }), `${jwt0}.outputClaimToHeaders[0].claim: empty`],
  ];
  for (const [what, s, expected] of cases) it(`refuses ${what}`, () => refused(s, expected));

  it('enforces the list and size limits', () => {
    const many = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);
    refused(withTo(pred('request.host', many(SECURITY_LIMITS.valuesPerPredicate + 1, m('exact', 'a')))), `${to0}.values: 1025 entries (max 1024)`);
    refused(withTo(pred('request.host', [m('exact', 'a'.repeat(SECURITY_LIMITS.valueChars + 1))])), `${to0}.values[0].value: 4097 characters (max 4096)`);
    const rules = many(SECURITY_LIMITS.rulesPerPolicy + 1, { from: [], to: [], when: [] });
    refused({ ...valid, authorization: [{ ...policy, rules }] }, 'security.authorization[0].rules: 513 entries (max 512)');
    refused({ ...valid, authorization: [{ ...policy, rules: [{ from: many(257, { predicates: [] }), to: [], when: [] }] }] },
      'security.authorization[0].rules[0].from: 257 entries (max 256)');
    refused({ ...valid, authorization: [{ ...policy, rules: [{ from: [], to: [], when: many(65, pred('request.host', [m('presence')])) }] }] },
      'security.authorization[0].rules[0].when: 65 entries (max 64)');
    refused({ ...valid, authentication: [{ ...authn, rules: many(65, rule) }] }, 'security.authentication[0].rules: 65 entries (max 64)');
    refused({ ...valid, authorization: many(SECURITY_LIMITS.policies + 1, policy) }, 'security.authorization: 1025 entries (max 1024)');
  });

  it('stops after max problems and says so', () => {
    const bad = withTo(pred('request.host', Array.from({ length: 200 }, () => m('exact', ''))));
    const problems = securityProblems(bad, 'sec', 10);
    assert.equal(problems.length, 11);
    assert.equal(problems[10], '(stopped after 10 problems)');
    assert.ok(problems[0]!.startsWith('sec.authorization[0].rules[0].to[0].predicates[0].values[0].value: empty'));
  });

  it('refuses values of the wrong shape without throwing', () => {
    assert.deepEqual(securityProblems(null as never), ['security: not an object']);
    const odd = { ...valid, authorization: [null], authentication: 'x' } as never;
    assert.deepEqual(securityProblems(odd), ['security.authorization[0]: not an object', 'security.authentication: not a list']);
  });

  it('is part of the whole config validation', () => {
    const base: WaypointConfig = { namespace: 'shop', name: 'waypoint', waypointFor: 'service', services: [], workloads: [], backends: [] };
    assert.deepEqual(waypointConfigProblems({ ...base, security: valid }), []);
    const problems = waypointConfigProblems({ ...base, security: withRule({ jwks }) });
    assert.deepEqual(problems, [`${jwt0}: both jwks and jwksUri set (want exactly one)`]);
    assert.deepEqual(waypointConfigProblems({ ...base, security: 7 as never }), ['security: not an object']);
  });
});
