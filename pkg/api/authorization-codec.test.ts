// Tests of the istio.security.Authorization codec: round trips, Istio's field numbers on the wire,
// omitted defaults, and hostile inputs refused with a message naming the field path.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMeshError } from '../errors/mesh-error';
import { field, tags } from '../testing/proto-fields';
import { messageType } from './proto-root';
import { AUTHORIZATION_MESSAGE, decodeAuthorization, encodeAuthorization, MAX_AUTHORIZATION_BYTES } from './authorization-codec';
import { EMPTY_MATCH, type Authorization, type AuthorizationMatch } from './authorization-types';

const fullMatch: AuthorizationMatch = {
  namespaces: [{ kind: 'exact', value: 'shop' }, { kind: 'prefix', value: 'team-' }],
  notNamespaces: [{ kind: 'suffix', value: '-sandbox' }],
  serviceAccounts: [{ namespace: 'shop', serviceAccount: 'frontend' }],
  notServiceAccounts: [{ namespace: 'shop', serviceAccount: 'legacy.v1' }],
  principals: [{ kind: 'presence' }, { kind: 'exact', value: 'cluster.local/ns/shop/sa/frontend' }],
  notPrincipals: [{ kind: 'suffix', value: '/sa/default' }],
  sourceIps: ['198.18.1.0/24', 'fd00::/8'],
  notSourceIps: ['198.18.1.7/32'],
  destinationIps: ['198.18.2.0/24', '::ffff:198.18.3.0/120'],
  notDestinationIps: ['2001:db8::1/128'],
  destinationPorts: [8080, 9080],
  notDestinationPorts: [15000],
};

const full: Authorization = {
  name: 'allow-frontend',
  namespace: 'shop',
  scope: 'WORKLOAD_SELECTOR',
  action: 'DENY',
  rules: [
    { clauses: [{ matches: [fullMatch, { ...EMPTY_MATCH, destinationPorts: [443] }] }, { matches: [] }] },
    { clauses: [] },
  ],
  dryRun: true,
};

const minimal: Authorization = { name: 'p', namespace: 'ns', scope: 'GLOBAL', action: 'ALLOW', rules: [], dryRun: false };

/** Encodes a raw wire object (camelCase) without ambit's encoder, for hostile inputs. */
function raw(obj: object): Uint8Array {
  const t = messageType(AUTHORIZATION_MESSAGE);
  return t.encode(t.fromObject(obj)).finish();
}

function withMatch(m: object): Uint8Array {
  return raw({ name: 'p', namespace: 'ns', rules: [{ clauses: [{ matches: [m] }] }] });
}

function rejects(buf: Uint8Array, expected: string | RegExp): void {
  const result = decodeAuthorization(buf);
  assert.equal(result.ok, false, `accepted: ${JSON.stringify(result)}`);
  if (result.ok) return;
  if (typeof expected === 'string') assert.equal(result.error, expected);
  else assert.match(result.error, expected);
}

const v4 = (a: number, b: number, c: number, d: number): Buffer => Buffer.from([a, b, c, d]);

describe('authorization codec', () => {
  it('round-trips a policy using every field', () => {
    assert.deepEqual(decodeAuthorization(encodeAuthorization(full)), { ok: true, value: full });
    assert.deepEqual(decodeAuthorization(encodeAuthorization(minimal)), { ok: true, value: minimal });
  });

  it('keeps an empty exact value distinct from an unset match', () => {
    const a: Authorization = { ...minimal, rules: [{ clauses: [{ matches: [{ ...EMPTY_MATCH, principals: [{ kind: 'exact', value: '' }] }] }] }] };
    assert.deepEqual(decodeAuthorization(encodeAuthorization(a)), { ok: true, value: a });
  });

  it('stores a bare address with its full prefix length and IPv6 in canonical form', () => {
    const m = { ...EMPTY_MATCH, sourceIps: ['198.18.0.9', 'FD00:0:0::1'], destinationIps: ['fd00::/8'] };
    const result = decodeAuthorization(encodeAuthorization({ ...minimal, rules: [{ clauses: [{ matches: [m] }] }] }));
    assert.ok(result.ok);
    const decoded = result.value.rules[0]!.clauses[0]!.matches[0]!;
    assert.deepEqual(decoded.sourceIps, ['198.18.0.9/32', 'fd00::1/128']);
    assert.deepEqual(decoded.destinationIps, ['fd00::/8']);
  });

  it("writes Istio's field numbers and omits defaults", () => {
    assert.deepEqual(tags(encodeAuthorization(minimal)), [1, 2]); // GLOBAL, ALLOW, no rules, not dry-run
    const buf = encodeAuthorization(full);
    assert.deepEqual(tags(buf), [1, 2, 3, 4, 5, 5, 6]);
    const rule = field(buf, 5);
    assert.deepEqual(tags(rule), [1, 1]); // Rule.clauses = 1
    const clause = field(rule, 1);
    assert.deepEqual(tags(clause), [2, 2]); // Clause.matches = 2 (1 is unused)
    const match = field(clause, 2);
    assert.deepEqual(tags(match), [1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(tags(field(match, 1)), [1]); // StringMatch.exact
    assert.deepEqual(tags(field(field(clause, 2), 2)), [3]); // suffix
    assert.deepEqual(tags(field(match, 3)), [4]); // presence
    assert.deepEqual(tags(field(match, 11)), [1, 2]); // ServiceAccountMatch{namespace, serviceAccount}
    const sa = field(match, 11);
    assert.equal(Buffer.from(field(sa, 2)).toString(), 'frontend');
    const address = field(match, 5);
    assert.deepEqual(tags(address), [1, 2]);
    assert.deepEqual(Buffer.from(field(address, 1)), v4(198, 18, 1, 0));
    assert.equal(address[address.length - 1], 24); // length = 24, a varint in the last byte
    // scope WORKLOAD_SELECTOR = 2, action DENY = 1, dry_run = true: the varints after their tags.
    const t = messageType(AUTHORIZATION_MESSAGE).decode(buf) as unknown as { scope: number; action: number; dryRun: boolean };
    assert.deepEqual([t.scope, t.action, t.dryRun], [2, 1, true]);
  });

  it('accepts what istiod generates for PeerAuthentication STRICT', () => {
    const buf = raw({
      name: 'istio_converted_static_strict', namespace: 'istio-system', scope: 0, action: 1,
      rules: [{ clauses: [{ matches: [{ notPrincipals: [{ presence: {} }] }] }] }],
    });
    const result = decodeAuthorization(buf);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.value.rules[0]!.clauses[0]!.matches[0]!.notPrincipals, [{ kind: 'presence' }]);
    assert.equal(result.value.action, 'DENY');
  });

  it('refuses bad CIDRs naming the field path', () => {
    const addr = (address: Buffer, length: number) => ({ address, length });
    rejects(
      raw({ name: 'p', namespace: 'ns', rules: [{ clauses: [{ matches: [] }, { matches: [{ sourceIps: [addr(v4(1, 2, 3, 4), 8), addr(v4(1, 2, 3, 4), 8), addr(v4(1, 2, 3, 4), 33)] }] }] }] }),
      'rules[0].clauses[1].matches[0].sourceIps[2]: prefix length 33 exceeds 32',
    );
    rejects(withMatch({ notDestinationIps: [addr(Buffer.alloc(16), 129)] }), 'rules[0].clauses[0].matches[0].notDestinationIps[0]: prefix length 129 exceeds 128');
    rejects(withMatch({ destinationIps: [addr(Buffer.alloc(5), 8)] }), 'rules[0].clauses[0].matches[0].destinationIps[0].address: 5 bytes (want 4 or 16)');
    rejects(withMatch({ notSourceIps: [addr(Buffer.alloc(0), 0)] }), /notSourceIps\[0\]\.address: 0 bytes/);
  });

  it('refuses ports outside 1..65535', () => {
    rejects(withMatch({ destinationPorts: [80, 0] }), 'rules[0].clauses[0].matches[0].destinationPorts[1]: port 0 (want 1..65535)');
    rejects(withMatch({ notDestinationPorts: [65536] }), 'rules[0].clauses[0].matches[0].notDestinationPorts[0]: port 65536 (want 1..65535)');
  });

  it('refuses unknown enum values', () => {
    rejects(raw({ name: 'p', namespace: 'ns', scope: 3 }), 'scope: unknown enum value 3');
    rejects(raw({ name: 'p', namespace: 'ns', action: 2 }), 'action: unknown enum value 2'); // AUDIT/CUSTOM are not for ztunnel
    rejects(raw({ name: 'p', namespace: 'ns', action: -1 }), 'action: unknown enum value -1');
  });

  it('refuses extensions instead of ignoring them', () => {
    rejects(raw({ name: 'p', namespace: 'ns', extensions: [{ name: 'x' }] }), /^extensions: 1 extension\(s\) present; extensions are not supported/);
    rejects(withMatch({ destinationPorts: [80], extensions: [{ name: 'x' }] }), /^rules\[0\]\.clauses\[0\]\.matches\[0\]\.extensions: .*not supported/);
  });

  it('refuses a StringMatch with no kind or several kinds', () => {
    rejects(withMatch({ principals: [{}] }), 'rules[0].clauses[0].matches[0].principals[0]: no match kind set (want one of exact, prefix, suffix, presence)');
    rejects(withMatch({ namespaces: [{ exact: 'a' }, { prefix: 'a', presence: {} }] }), 'rules[0].clauses[0].matches[0].namespaces[1]: several match kinds set (prefix, presence)');
  });

  it('refuses names that are not Kubernetes names', () => {
    rejects(raw({ name: '', namespace: 'ns' }), 'name: empty');
    rejects(raw({ name: 'p', namespace: '' }), 'namespace: empty');
    rejects(raw({ name: 'a/b', namespace: 'ns' }), 'name: "a/b" is not a valid policy name');
    rejects(raw({ name: 'p', namespace: 'Shop' }), 'namespace: "Shop" is not a valid namespace name');
    rejects(raw({ name: 'p', namespace: 'a'.repeat(64) }), 'namespace: 64 bytes (max 63)');
    rejects(withMatch({ serviceAccounts: [{ namespace: 'shop', serviceAccount: 'a b' }] }), /serviceAccounts\[0\]\.serviceAccount: "a b" is not a valid service account name/);
    rejects(withMatch({ notServiceAccounts: [{ namespace: '', serviceAccount: 'a' }] }), /notServiceAccounts\[0\]\.namespace: empty/);
  });

  it('enforces the bounds', () => {
    rejects(raw({ name: 'p', namespace: 'ns', rules: new Array(1025).fill({}) }), 'rules: 1025 entries (max 1024)');
    rejects(raw({ name: 'p', namespace: 'ns', rules: [{ clauses: new Array(65).fill({}) }] }), 'rules[0].clauses: 65 entries (max 64)');
    rejects(raw({ name: 'p', namespace: 'ns', rules: [{ clauses: [{ matches: new Array(257).fill({}) }] }] }), 'rules[0].clauses[0].matches: 257 entries (max 256)');
    rejects(withMatch({ destinationPorts: new Array(4097).fill(80) }), 'rules[0].clauses[0].matches[0].destinationPorts: 4097 entries (max 4096)');
    rejects(withMatch({ principals: [{ exact: 'x'.repeat(1025) }] }), 'rules[0].clauses[0].matches[0].principals[0].exact: 1025 bytes (max 1024)');
    rejects(withMatch({ namespaces: [{ prefix: 'a\nb' }] }), /namespaces\[0\]\.prefix: "a\\nb" contains control characters/);
    rejects(new Uint8Array(MAX_AUTHORIZATION_BYTES + 1), /^authorization: 4194305 bytes/);
  });

  it('refuses malformed protobuf and never throws on arbitrary bytes', () => {
    const good = encodeAuthorization(full);
    rejects(good.subarray(0, good.length - 3), /^authorization: malformed protobuf/);
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(good);
      for (let j = 0; j < 4; j++) buf[next() % buf.length] = next();
      const result = decodeAuthorization(buf.subarray(0, buf.length - (next() % 4)));
      assert.equal(typeof result.ok, 'boolean');
    }
  });

  it('refuses to encode an invalid policy, naming the field', () => {
    const bad: Authorization = { ...minimal, rules: [{ clauses: [{ matches: [{ ...EMPTY_MATCH, sourceIps: ['198.18.0.0/40'] }] }] }] };
    assert.throws(
      () => encodeAuthorization(bad),
      (err: unknown) => isMeshError(err, 'InvalidArgument') && err.message === 'authorization ns/p: rules[0].clauses[0].matches[0].sourceIps[0]: prefix length 40 exceeds 32',
    );
    assert.throws(() => encodeAuthorization({ ...minimal, rules: [{ clauses: [{ matches: [{ ...EMPTY_MATCH, sourceIps: ['not-an-ip'] }] }] }] }), /"not-an-ip" is not an IP address/);
    assert.throws(() => encodeAuthorization({ ...minimal, rules: [{ clauses: [{ matches: [{ ...EMPTY_MATCH, destinationPorts: [0] }] }] }] }), /destinationPorts\[0\]: port 0/);
  });
});
