// Table-driven tests of how one match decides a connection: every L4 attribute, negations, the
// prefix/suffix/presence wildcards, IPv4/IPv6/IPv4-mapped CIDRs, plaintext peers, and the AND/OR
// structure of rules, clauses and matches. Each row is enforced through a real ALLOW (or DENY)
// policy, so what is asserted is the decision a client would see.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizationAction, AuthorizationMatch } from '../../pkg/api/authorization-types';
import { spiffeId } from '../../pkg/identity/spiffe';
import type { ConnectionAttributes } from './evaluate';
import { conn, decide, plaintext, policy, rule } from './test-policies';

interface Row {
  readonly name: string;
  readonly match: Partial<AuthorizationMatch>;
  readonly conn: ConnectionAttributes;
  /** Does the match apply to the connection? */
  readonly matches: boolean;
  readonly action?: AuthorizationAction;
}

const other = spiffeId('cluster.local', 'other', 'frontend');
const foreignTd = spiffeId('example.org', 'shop', 'frontend');
const exact = (value: string) => ({ kind: 'exact', value }) as const;
const prefix = (value: string) => ({ kind: 'prefix', value }) as const;
const suffix = (value: string) => ({ kind: 'suffix', value }) as const;
const presence = { kind: 'presence' } as const;

const rows: Row[] = [
  // namespaces (from the SPIFFE identity)
  { name: 'namespaces exact', match: { namespaces: [exact('shop')] }, conn: conn(), matches: true },
  { name: 'namespaces exact, other namespace', match: { namespaces: [exact('shop')] }, conn: conn({ sourceIdentity: other }), matches: false },
  { name: 'namespaces are OR-ed', match: { namespaces: [exact('other'), exact('shop')] }, conn: conn(), matches: true },
  { name: 'namespaces prefix', match: { namespaces: [prefix('sh')] }, conn: conn(), matches: true },
  { name: 'namespaces suffix', match: { namespaces: [suffix('op')] }, conn: conn(), matches: true },
  { name: 'namespaces suffix, no match', match: { namespaces: [suffix('her')] }, conn: conn(), matches: false },
  { name: 'namespaces presence', match: { namespaces: [presence] }, conn: conn(), matches: true },
  { name: 'namespaces presence, plaintext', match: { namespaces: [presence] }, conn: plaintext(), matches: false },
  { name: 'namespaces exact, plaintext', match: { namespaces: [exact('shop')] }, conn: plaintext(), matches: false },
  { name: 'namespaces empty prefix, plaintext', match: { namespaces: [prefix('')] }, conn: plaintext(), matches: false },
  { name: 'notNamespaces, other namespace', match: { notNamespaces: [exact('other')] }, conn: conn(), matches: true },
  { name: 'notNamespaces, own namespace', match: { notNamespaces: [exact('shop')] }, conn: conn(), matches: false },
  { name: 'notNamespaces, plaintext, ALLOW (stricter than Istio)', match: { notNamespaces: [exact('other')] }, conn: plaintext(), matches: false },
  { name: 'notNamespaces, plaintext, DENY', match: { notNamespaces: [exact('other')] }, conn: plaintext(), matches: true, action: 'DENY' },
  { name: 'namespaces and notNamespaces together', match: { namespaces: [prefix('s')], notNamespaces: [exact('shop')] }, conn: conn(), matches: false },
  // service accounts
  { name: 'serviceAccounts', match: { serviceAccounts: [{ namespace: 'shop', serviceAccount: 'frontend' }] }, conn: conn(), matches: true },
  { name: 'serviceAccounts ignore the trust domain', match: { serviceAccounts: [{ namespace: 'shop', serviceAccount: 'frontend' }] }, conn: conn({ sourceIdentity: foreignTd }), matches: true },
  { name: 'serviceAccounts, other namespace', match: { serviceAccounts: [{ namespace: 'shop', serviceAccount: 'frontend' }] }, conn: conn({ sourceIdentity: other }), matches: false },
  {
    name: 'serviceAccounts "." is literal, not a regex wildcard',
    match: { serviceAccounts: [{ namespace: 'shop', serviceAccount: 'front.end' }] },
    conn: conn({ sourceIdentity: spiffeId('cluster.local', 'shop', 'frontxend') }),
    matches: false,
  },
  { name: 'serviceAccounts, plaintext', match: { serviceAccounts: [{ namespace: 'shop', serviceAccount: 'frontend' }] }, conn: plaintext(), matches: false },
  { name: 'notServiceAccounts, listed', match: { notServiceAccounts: [{ namespace: 'shop', serviceAccount: 'frontend' }] }, conn: conn(), matches: false },
  { name: 'notServiceAccounts, not listed', match: { notServiceAccounts: [{ namespace: 'shop', serviceAccount: 'db' }] }, conn: conn(), matches: true },
  { name: 'notServiceAccounts, plaintext, ALLOW', match: { notServiceAccounts: [{ namespace: 'shop', serviceAccount: 'db' }] }, conn: plaintext(), matches: false },
  { name: 'notServiceAccounts, plaintext, DENY', match: { notServiceAccounts: [{ namespace: 'shop', serviceAccount: 'db' }] }, conn: plaintext(), matches: true, action: 'DENY' },
  // principals (identity without spiffe://)
  { name: 'principals exact', match: { principals: [exact('cluster.local/ns/shop/sa/frontend')] }, conn: conn(), matches: true },
  { name: 'principals never carry spiffe://', match: { principals: [exact('spiffe://cluster.local/ns/shop/sa/frontend')] }, conn: conn(), matches: false },
  { name: 'principals exact, other trust domain', match: { principals: [exact('cluster.local/ns/shop/sa/frontend')] }, conn: conn({ sourceIdentity: foreignTd }), matches: false },
  { name: 'principals suffix (*/ns/shop/sa/frontend)', match: { principals: [suffix('/ns/shop/sa/frontend')] }, conn: conn({ sourceIdentity: foreignTd }), matches: true },
  { name: 'principals prefix (cluster.local/ns/shop/*)', match: { principals: [prefix('cluster.local/ns/shop/')] }, conn: conn(), matches: true },
  { name: 'principals prefix, other namespace', match: { principals: [prefix('cluster.local/ns/shop/')] }, conn: conn({ sourceIdentity: other }), matches: false },
  { name: 'principals presence', match: { principals: [presence] }, conn: conn(), matches: true },
  { name: 'principals presence, plaintext', match: { principals: [presence] }, conn: plaintext(), matches: false },
  { name: 'notPrincipals presence, mTLS', match: { notPrincipals: [presence] }, conn: conn(), matches: false },
  { name: 'notPrincipals presence, plaintext, DENY (STRICT)', match: { notPrincipals: [presence] }, conn: plaintext(), matches: true, action: 'DENY' },
  { name: 'notPrincipals presence, plaintext, ALLOW', match: { notPrincipals: [presence] }, conn: plaintext(), matches: true },
  { name: 'notPrincipals exact, plaintext, ALLOW', match: { notPrincipals: [exact('cluster.local/ns/x/sa/y')] }, conn: plaintext(), matches: false },
  { name: 'notPrincipals exact, plaintext, DENY', match: { notPrincipals: [exact('cluster.local/ns/x/sa/y')] }, conn: plaintext(), matches: true, action: 'DENY' },
  { name: 'notPrincipals suffix, mTLS', match: { notPrincipals: [suffix('/sa/frontend')] }, conn: conn(), matches: false },
  // source IPs
  { name: 'sourceIps', match: { sourceIps: ['198.18.1.0/24'] }, conn: conn(), matches: true },
  { name: 'sourceIps, outside', match: { sourceIps: ['198.18.0.0/24'] }, conn: conn(), matches: false },
  { name: 'sourceIps with host bits set', match: { sourceIps: ['198.18.1.99/24'] }, conn: conn(), matches: true },
  { name: 'sourceIps /32', match: { sourceIps: ['198.18.1.5/32'] }, conn: conn(), matches: true },
  { name: 'sourceIps /0 (IPv4)', match: { sourceIps: ['0.0.0.0/0'] }, conn: conn(), matches: true },
  { name: 'sourceIps IPv4 /0 does not hold IPv6', match: { sourceIps: ['0.0.0.0/0'] }, conn: conn({ sourceIp: 'fd00::1' }), matches: false },
  { name: 'sourceIps, IPv4-mapped peer', match: { sourceIps: ['198.18.1.0/24'] }, conn: conn({ sourceIp: '::ffff:198.18.1.5' }), matches: true },
  { name: 'sourceIps IPv4-mapped CIDR, IPv4 peer', match: { sourceIps: ['::ffff:198.18.1.0/120'] }, conn: conn(), matches: true },
  { name: 'sourceIps IPv6', match: { sourceIps: ['fd00::/8'] }, conn: conn({ sourceIp: 'fd00::1' }), matches: true },
  { name: 'sourceIps IPv6, outside', match: { sourceIps: ['fd00::/8'] }, conn: conn({ sourceIp: 'fe80::1' }), matches: false },
  { name: 'sourceIps IPv6 /65', match: { sourceIps: ['fd00::8000:0:0:0/65'] }, conn: conn({ sourceIp: 'fd00::8000:0:0:1' }), matches: true },
  { name: 'sourceIps IPv6 /65, outside', match: { sourceIps: ['fd00::8000:0:0:0/65'] }, conn: conn({ sourceIp: 'fd00::1' }), matches: false },
  { name: 'sourceIps IPv6 /128', match: { sourceIps: ['2001:db8::7/128'] }, conn: conn({ sourceIp: '2001:db8::7' }), matches: true },
  { name: 'sourceIps IPv6 does not hold IPv4', match: { sourceIps: ['::/0'] }, conn: conn(), matches: false },
  { name: 'notSourceIps, listed', match: { notSourceIps: ['198.18.1.5/32'] }, conn: conn(), matches: false },
  { name: 'notSourceIps, not listed', match: { notSourceIps: ['198.18.9.0/24'] }, conn: conn(), matches: true },
  { name: 'source IP attributes work for plaintext peers', match: { sourceIps: ['198.18.1.0/24'] }, conn: plaintext(), matches: true },
  // destination IPs and ports
  { name: 'destinationIps', match: { destinationIps: ['198.18.2.7'] }, conn: conn(), matches: true },
  { name: 'destinationIps, outside', match: { destinationIps: ['198.18.3.0/24'] }, conn: conn(), matches: false },
  { name: 'destinationIps, IPv4-mapped local address', match: { destinationIps: ['198.18.2.0/24'] }, conn: conn({ destinationIp: '::ffff:198.18.2.7' }), matches: true },
  { name: 'notDestinationIps, listed', match: { notDestinationIps: ['198.18.2.0/24'] }, conn: conn(), matches: false },
  { name: 'notDestinationIps, not listed', match: { notDestinationIps: ['198.18.3.0/24'] }, conn: conn(), matches: true },
  { name: 'destinationPorts', match: { destinationPorts: [80, 9080] }, conn: conn(), matches: true },
  { name: 'destinationPorts, other port', match: { destinationPorts: [80] }, conn: conn(), matches: false },
  { name: 'notDestinationPorts, listed', match: { notDestinationPorts: [9080] }, conn: conn(), matches: false },
  { name: 'notDestinationPorts, not listed', match: { notDestinationPorts: [80] }, conn: conn(), matches: true },
  // different fields are AND-ed
  { name: 'all fields must hold', match: { namespaces: [exact('shop')], sourceIps: ['198.18.1.0/24'], destinationPorts: [9080] }, conn: conn(), matches: true },
  { name: 'one field failing fails the match', match: { namespaces: [exact('shop')], destinationPorts: [80] }, conn: conn(), matches: false },
];

describe('authorization match semantics', () => {
  for (const row of rows) {
    it(row.name, () => {
      const action = row.action ?? 'ALLOW';
      const decision = decide([policy(action, [rule([row.match])])], row.conn);
      const expectAllowed = action === 'ALLOW' ? row.matches : !row.matches;
      assert.equal(decision.allowed, expectAllowed, decision.reason);
    });
  }

  it('a policy with zero rules matches nothing: ALLOW denies everything, DENY denies nothing', () => {
    assert.equal(decide([policy('ALLOW', [])], conn()).allowed, false);
    assert.equal(decide([policy('DENY', [])], conn()).allowed, true);
  });

  it('a rule with zero clauses matches everything', () => {
    assert.equal(decide([policy('ALLOW', [{ clauses: [] }])], plaintext()).allowed, true);
    assert.deepEqual(decide([policy('DENY', [{ clauses: [] }])], conn()), { allowed: false, policy: 'shop/deny-policy', reason: 'denied by DENY policy shop/deny-policy' });
  });

  it('a clause with zero matches matches everything (as ztunnel)', () => {
    assert.equal(decide([policy('ALLOW', [rule([], [{ destinationPorts: [9080] }])])], conn()).allowed, true);
  });

  it('an empty match never matches, alone or beside others', () => {
    assert.equal(decide([policy('ALLOW', [rule([{}])])], conn()).allowed, false);
    assert.equal(decide([policy('DENY', [rule([{}])])], conn()).allowed, true);
    assert.equal(decide([policy('ALLOW', [rule([{}, { destinationPorts: [9080] }])])], conn()).allowed, true);
    assert.equal(decide([policy('ALLOW', [rule([{ destinationPorts: [9080] }], [{}])])], conn()).allowed, false);
  });

  it('rules are OR-ed, clauses AND-ed, matches within a clause OR-ed', () => {
    const port80 = { destinationPorts: [80] };
    const port9080 = { destinationPorts: [9080] };
    const fromShop = { namespaces: [exact('shop')] };
    assert.equal(decide([policy('ALLOW', [rule([port80]), rule([port9080])])], conn()).allowed, true);
    assert.equal(decide([policy('ALLOW', [rule([port9080], [fromShop])])], conn()).allowed, true);
    assert.equal(decide([policy('ALLOW', [rule([port9080], [fromShop])])], conn({ sourceIdentity: other })).allowed, false);
    assert.equal(decide([policy('ALLOW', [rule([port80, fromShop])])], conn()).allowed, true);
  });
});
