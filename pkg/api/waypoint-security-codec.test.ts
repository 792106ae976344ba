// Tests of the `security` part of the WaypointConfig codec: a round trip using every field, absent
// vs empty security, the default normalization omitted on the wire, deeply frozen results, and
// hostile wire bytes refused with the field path and reason (never thrown).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMeshError } from '../errors/mesh-error';
import { messageType } from './proto-root';
import { decodeWaypointConfig, encodeWaypointConfig, WAYPOINT_CONFIG_MESSAGE } from './waypoint-codec';
import type { WaypointConfig } from './waypoint-types';
import { EMPTY_SECURITY, type JwtRule, type L7Policy, type WaypointSecurity } from './waypoint-security-types';

const svc = 'shop/reviews.shop.svc.cluster.local';
const jwks = JSON.stringify({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'k1' }] });

const deny: L7Policy = {
  name: 'deny-admin', namespace: 'shop', action: 'DENY', dryRun: true,
  targets: { all: true, services: [] },
  rules: [
    {
      from: [{ predicates: [{ attribute: 'source.ip', key: '', claimPath: [], values: [{ kind: 'cidr', value: '198.18.0.0/15' }], notValues: [] }] }],
      to: [
        { predicates: [
          { attribute: 'request.method', key: '', claimPath: [], values: [{ kind: 'exact', value: 'DELETE' }], notValues: [] },
          { attribute: 'request.path', key: '', claimPath: [], values: [{ kind: 'template', value: '/admin/{**}' }], notValues: [{ kind: 'exact', value: '/admin/health' }] },
        ] },
        { predicates: [] },
      ],
      when: [
        { attribute: 'request.header', key: 'x-debug', claimPath: [], values: [{ kind: 'presence', value: '' }], notValues: [] },
        { attribute: 'request.auth.claim', key: '', claimPath: ['realm', 'roles'], values: [], notValues: [{ kind: 'exact', value: 'admin' }] },
        { attribute: 'destination.port', key: '', claimPath: [], values: [{ kind: 'port', value: '9080' }], notValues: [] },
      ],
    },
    { from: [], to: [], when: [] },
  ],
};
const allowNothing: L7Policy = { name: 'lockdown', namespace: 'shop', action: 'ALLOW', dryRun: false, targets: { all: false, services: [svc] }, rules: [] };
const audit: L7Policy = { ...allowNothing, name: 'audit', action: 'AUDIT' };

const fullRule: JwtRule = {
  issuer: 'https://issuer.example', audiences: ['shop', 'web'], jwks, jwksUri: '',
  fromHeaders: [{ name: 'authorization', prefix: 'Bearer ' }, { name: 'x-token', prefix: '' }],
  fromParams: ['token'], fromCookies: ['session'], forwardOriginalToken: true, outputPayloadToHeader: 'x-jwt-payload',
  outputClaimToHeaders: [{ header: 'x-sub', claim: 'sub' }, { header: 'x-team', claim: 'org.team' }], timeoutMs: 2500,
};
const bareRule: JwtRule = {
  issuer: 'iss', audiences: [], jwks: '', jwksUri: 'http://keys.shop.svc.cluster.local:8080/jwks', fromHeaders: [], fromParams: [],
  fromCookies: [], forwardOriginalToken: false, outputPayloadToHeader: '', outputClaimToHeaders: [], timeoutMs: 5000,
};

const security: WaypointSecurity = {
  pathNormalization: 'MERGE_SLASHES',
  authorization: [deny, allowNothing, audit],
  authentication: [
    { name: 'jwt', namespace: 'shop', targets: { all: false, services: [svc] }, rules: [fullRule, bareRule] },
    { name: 'none', namespace: 'shop', targets: { all: true, services: [] }, rules: [] },
  ],
};

const base: WaypointConfig = { namespace: 'shop', name: 'waypoint', waypointFor: 'service', services: [], workloads: [], backends: [] };
const rawBase = { namespace: 'shop', name: 'waypoint', waypointFor: 'service' };

function raw(obj: object): Uint8Array {
  const t = messageType(WAYPOINT_CONFIG_MESSAGE);
  return t.encode(t.fromObject(obj)).finish();
}

function decodeRefused(bytes: Uint8Array, expected: string): readonly string[] {
  const result = decodeWaypointConfig(bytes);
  assert.equal(result.ok, false, `accepted: ${JSON.stringify(result)}`);
  if (result.ok) return [];
  assert.ok(result.errors.some((e) => e.startsWith(expected)), `no error starting ${JSON.stringify(expected)}: ${JSON.stringify(result.errors)}`);
  return result.errors;
}

const rawPolicy = { name: 'p', namespace: 'shop', action: 'ALLOW', targets: { all: true } };
const rawAuthn = { name: 'a', namespace: 'shop', targets: { all: true } };
const rawRule = { issuer: 'iss', jwksUri: 'https://issuer.example/jwks', timeoutMs: 5000 };

describe('waypoint security codec', () => {
  it('round-trips a security config using every field', () => {
    const c: WaypointConfig = { ...base, security };
    assert.deepEqual(decodeWaypointConfig(encodeWaypointConfig(c)), { ok: true, value: c });
  });

  it('keeps absent security absent and empty security present', () => {
    const absent = decodeWaypointConfig(encodeWaypointConfig(base));
    assert.ok(absent.ok);
    assert.equal('security' in absent.value, false);
    const empty = decodeWaypointConfig(encodeWaypointConfig({ ...base, security: EMPTY_SECURITY }));
    assert.deepEqual(empty, { ok: true, value: { ...base, security: EMPTY_SECURITY } });
  });

  it('omits defaults on the wire and reads an empty mode as the default', () => {
    assert.deepEqual(Buffer.from(encodeWaypointConfig({ ...base, security: EMPTY_SECURITY })), Buffer.from(raw({ ...rawBase, security: {} })));
    const c: WaypointConfig = { ...base, security: { ...EMPTY_SECURITY, authentication: [{ name: 'a', namespace: 'shop', targets: { all: false, services: [] }, rules: [bareRule] }] } };
    const expected = raw({
      ...rawBase,
      security: { authentication: [{ name: 'a', namespace: 'shop', targets: {}, rules: [{ issuer: 'iss', jwksUri: bareRule.jwksUri, timeoutMs: 5000 }] }] },
    });
    assert.deepEqual(Buffer.from(encodeWaypointConfig(c)), Buffer.from(expected));
    const decoded = decodeWaypointConfig(raw({ ...rawBase, security: { pathNormalization: '' } }));
    assert.ok(decoded.ok);
    assert.equal(decoded.value.security?.pathNormalization, 'DECODE_AND_MERGE_SLASHES');
  });

  it('returns a deeply frozen value', () => {
    const result = decodeWaypointConfig(encodeWaypointConfig({ ...base, security }));
    assert.ok(result.ok);
    const s = result.value.security!;
    assert.ok(Object.isFrozen(s));
    assert.ok(Object.isFrozen(s.authorization[0]!.rules[0]!.to[0]!.predicates[1]!.notValues[0]));
    assert.ok(Object.isFrozen(s.authorization[0]!.rules[0]!.when[1]!.claimPath));
    assert.ok(Object.isFrozen(s.authentication[0]!.rules[0]!.fromHeaders[0]));
    assert.throws(() => (s.authorization as L7Policy[]).push(deny), TypeError);
  });

  it('refuses to encode an invalid security config, naming every problem', () => {
    const bad: WaypointConfig = { ...base, security: { ...security, pathNormalization: 'LOWER' as never, authentication: [{ ...security.authentication[0]!, rules: [{ ...bareRule, jwks }] }] } };
    assert.throws(() => encodeWaypointConfig(bad), (err) => isMeshError(err, 'InvalidArgument')
      && err.message.includes('security.pathNormalization: unknown value "LOWER"')
      && err.message.includes('security.authentication[0].rules[0]: both jwks and jwksUri set'));
  });
});

describe('waypoint security decoding of hostile wire values', () => {
  const table: readonly (readonly [string, object, string])[] = [
    ['an unknown mode', { pathNormalization: 'lower' }, 'security.pathNormalization: unknown value "lower"'],
    ['a policy without targets', { authorization: [{ ...rawPolicy, targets: null }] }, 'security.authorization[0].targets: missing'],
    ['a RequestAuthentication without targets', { authentication: [{ name: 'a', namespace: 'shop' }] }, 'security.authentication[0].targets: missing'],
    ['an unknown attribute', { authorization: [{ ...rawPolicy, rules: [{ when: [{ attribute: 'request.query', values: [{ kind: 'exact', value: 'x' }] }] }] }] },
      'security.authorization[0].rules[0].when[0].attribute: unknown value "request.query"'],
    ['cidr on request.path', { authorization: [{ ...rawPolicy, rules: [{ to: [{ predicates: [{ attribute: 'request.path', values: [{ kind: 'cidr', value: '198.18.0.0/15' }] }] }] }] }] },
      'security.authorization[0].rules[0].to[0].predicates[0].values[0].kind: cidr does not apply to request.path'],
    ['a bad template', { authorization: [{ ...rawPolicy, rules: [{ to: [{ predicates: [{ attribute: 'request.path', values: [{ kind: 'template', value: '/a/{**}/b' }] }] }] }] }] },
      'security.authorization[0].rules[0].to[0].predicates[0].values[0].value: template "/a/{**}/b": {**} must be the last segment'],
    ['a matcher without a kind', { authorization: [{ ...rawPolicy, rules: [{ to: [{ predicates: [{ attribute: 'request.host', values: [{ value: 'x' }] }] }] }] }] },
      'security.authorization[0].rules[0].to[0].predicates[0].values[0].kind: unknown value ""'],
    ['a policy without an action', { authorization: [{ ...rawPolicy, action: '' }] }, 'security.authorization[0].action: unknown value ""'],
    ['both jwks and jwksUri', { authentication: [{ ...rawAuthn, rules: [{ ...rawRule, jwks }] }] }, 'security.authentication[0].rules[0]: both jwks and jwksUri set'],
    ['jwks not JSON', { authentication: [{ ...rawAuthn, rules: [{ ...rawRule, jwksUri: '', jwks: 'not json' }] }] }, 'security.authentication[0].rules[0].jwks: not JSON'],
    ['a rule without a timeout', { authentication: [{ ...rawAuthn, rules: [{ ...rawRule, timeoutMs: 0 }] }] }, 'security.authentication[0].rules[0].timeoutMs: 0 (want an integer 1..60000)'],
    ['a huge timeout', { authentication: [{ ...rawAuthn, rules: [{ ...rawRule, timeoutMs: 4_000_000_000 }] }] }, 'security.authentication[0].rules[0].timeoutMs: 4000000000'],
    ['an output header clobbering Host', { authentication: [{ ...rawAuthn, rules: [{ ...rawRule, outputPayloadToHeader: 'host' }] }] }, 'security.authentication[0].rules[0].outputPayloadToHeader: "host" may not be overwritten'],
    ['a header key with CR LF', { authorization: [{ ...rawPolicy, rules: [{ when: [{ attribute: 'request.header', key: 'x\r\ny', values: [{ kind: 'presence' }] }] }] }] },
      'security.authorization[0].rules[0].when[0].key: "x\\r\\ny" contains CR, LF or NUL'],
  ];
  for (const [what, sec, expected] of table) {
    it(`refuses ${what}`, () => {
      decodeRefused(raw({ ...rawBase, security: sec }), expected);
    });
  }

  it('reports every problem at once, wire issues first', () => {
    const errors = decodeRefused(raw({ ...rawBase, security: { pathNormalization: 'x', authorization: [{ ...rawPolicy, targets: null, action: 'MAYBE' }] } }),
      'security.authorization[0].targets: missing');
    assert.equal(errors[0], 'security.authorization[0].targets: missing');
    assert.ok(errors.some((e) => e.startsWith('security.pathNormalization: unknown value "x"')));
    assert.ok(errors.some((e) => e.startsWith('security.authorization[0].action: unknown value "MAYBE"')));
  });

  it('refuses oversized lists with a count, not a throw', () => {
    const policies = Array.from({ length: 1025 }, (_, i) => ({ ...rawPolicy, name: `p${i}` }));
    decodeRefused(raw({ ...rawBase, security: { authorization: policies } }), 'security.authorization: 1025 entries (max 1024)');
    const values = Array.from({ length: 1025 }, () => ({ kind: 'presence' }));
    decodeRefused(raw({ ...rawBase, security: { authorization: [{ ...rawPolicy, rules: [{ when: [{ attribute: 'request.host', values }] }] }] } }),
      'security.authorization[0].rules[0].when[0].values: 1025 entries (max 1024)');
  });

  it('accepts a minimal policy from the wire', () => {
    const result = decodeWaypointConfig(raw({ ...rawBase, security: { authorization: [rawPolicy] } }));
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.value.security, {
      pathNormalization: 'DECODE_AND_MERGE_SLASHES',
      authorization: [{ name: 'p', namespace: 'shop', action: 'ALLOW', dryRun: false, targets: { all: true, services: [] }, rules: [] }],
      authentication: [],
    });
  });
});
