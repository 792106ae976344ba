// compilePredicate: every attribute × the matcher kinds it takes, values OR-ed / notValues none,
// absent attributes, host case and ports, method case, repeated and padded headers, nested and
// list claims, CIDRs (IPv4, IPv6, v4-mapped), ports, and matchers that do not fit their attribute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { L7Predicate } from '../../pkg/api/waypoint-security-types';
import type { JwtIdentity } from './attributes';
import { claimValues, compilePredicate, stripPort } from './authz-match';
import { attrs, m, pred, type AttrOptions } from './test-attributes';

const jwt: JwtIdentity = {
  principal: 'https://issuer.example/alice',
  audiences: ['shop', 'billing'],
  presenter: 'web-app',
  claims: {
    iss: 'https://issuer.example',
    sub: 'alice',
    group: 'admins',
    realm: { roles: ['reader', 'admin', 7], level: 3, nested: { deep: 'yes' } },
    groups: ['dev', 'ops'],
    admin: true,
    ratio: 0.5,
    gone: null,
  },
};

interface Case {
  readonly name: string;
  readonly p: L7Predicate;
  readonly req: AttrOptions;
  readonly hit: boolean;
}

const principal = 'cluster.local/ns/shop/sa/web';

const cases: readonly Case[] = [
  // source.principal: string kinds, OR, notValues, absence
  { name: 'principal exact', p: pred('source.principal', [m('exact', principal)]), req: {}, hit: true },
  { name: 'principal exact other', p: pred('source.principal', [m('exact', 'cluster.local/ns/shop/sa/api')]), req: {}, hit: false },
  { name: 'principal exact is literal (a.b never matches aXb)', p: pred('source.principal', [m('exact', 'cluster.local/ns/shop/sa/a.b')]), req: { sourcePrincipal: 'cluster.local/ns/shop/sa/aXb' }, hit: false },
  { name: 'principal prefix', p: pred('source.principal', [m('prefix', 'cluster.local/ns/shop/')]), req: {}, hit: true },
  { name: 'principal suffix', p: pred('source.principal', [m('suffix', '/ns/shop/sa/web')]), req: {}, hit: true },
  { name: 'principal presence', p: pred('source.principal', [m('presence')]), req: {}, hit: true },
  { name: 'principal values OR-ed', p: pred('source.principal', [m('exact', 'x'), m('suffix', '/sa/web')]), req: {}, hit: true },
  { name: 'principal notValues: one match fails', p: pred('source.principal', [], [m('exact', 'x'), m('prefix', 'cluster.local/')]), req: {}, hit: false },
  { name: 'principal notValues: none match passes', p: pred('source.principal', [], [m('exact', 'x')]), req: {}, hit: true },
  { name: 'principal values and notValues', p: pred('source.principal', [m('prefix', 'cluster.local/')], [m('suffix', '/sa/web')]), req: {}, hit: false },
  { name: 'principal absent fails values', p: pred('source.principal', [m('presence')]), req: { anonymous: true }, hit: false },
  { name: 'principal absent passes notValues', p: pred('source.principal', [], [m('presence')]), req: { anonymous: true }, hit: true },
  { name: 'no values and no notValues matches anything', p: pred('source.principal', []), req: { anonymous: true }, hit: true },
  // source.namespace
  { name: 'namespace exact', p: pred('source.namespace', [m('exact', 'shop')]), req: {}, hit: true },
  { name: 'namespace prefix', p: pred('source.namespace', [m('prefix', 'sh')]), req: {}, hit: true },
  { name: 'namespace suffix miss', p: pred('source.namespace', [m('suffix', 'x')]), req: {}, hit: false },
  { name: 'namespace notValues', p: pred('source.namespace', [], [m('exact', 'shop')]), req: {}, hit: false },
  { name: 'namespace absent', p: pred('source.namespace', [m('presence')]), req: { anonymous: true }, hit: false },
  // source.ip / remote.ip / destination.ip
  { name: 'source.ip v4 cidr', p: pred('source.ip', [m('cidr', '198.18.1.0/24')]), req: {}, hit: true },
  { name: 'source.ip v4 outside', p: pred('source.ip', [m('cidr', '198.18.2.0/24')]), req: {}, hit: false },
  { name: 'source.ip host bits in the cidr ignored', p: pred('source.ip', [m('cidr', '198.18.1.77/24')]), req: {}, hit: true },
  { name: 'source.ip odd prefix length', p: pred('source.ip', [m('cidr', '198.18.0.0/15')]), req: { sourceIp: '198.19.200.1' }, hit: true },
  { name: 'source.ip /15 outside', p: pred('source.ip', [m('cidr', '198.18.0.0/15')]), req: { sourceIp: '198.20.0.1' }, hit: false },
  { name: 'source.ip bare address', p: pred('source.ip', [m('cidr', '198.18.1.5')]), req: {}, hit: true },
  { name: 'source.ip /0', p: pred('source.ip', [m('cidr', '0.0.0.0/0')]), req: {}, hit: true },
  { name: 'source.ip v4-mapped peer vs v4 cidr', p: pred('source.ip', [m('cidr', '198.18.1.0/24')]), req: { sourceIp: '::ffff:198.18.1.5' }, hit: true },
  { name: 'source.ip v4 peer vs v4-mapped cidr', p: pred('source.ip', [m('cidr', '::ffff:198.18.1.0/120')]), req: {}, hit: true },
  { name: 'source.ip v6 cidr', p: pred('source.ip', [m('cidr', 'fd00:1::/64')]), req: { sourceIp: 'fd00:1::5' }, hit: true },
  { name: 'source.ip v6 outside', p: pred('source.ip', [m('cidr', 'fd00:1::/64')]), req: { sourceIp: 'fd00:2::5' }, hit: false },
  { name: 'source.ip v6 cidr never matches v4', p: pred('source.ip', [m('cidr', '::/0')]), req: {}, hit: false },
  { name: 'source.ip notValues', p: pred('source.ip', [], [m('cidr', '198.18.1.0/24')]), req: {}, hit: false },
  { name: 'source.ip unparsable address is absent', p: pred('source.ip', [m('cidr', '0.0.0.0/0')]), req: { sourceIp: 'garbage' }, hit: false },
  { name: 'remote.ip', p: pred('remote.ip', [m('cidr', '198.18.3.0/24')]), req: { remoteIp: '198.18.3.9' }, hit: true },
  { name: 'remote.ip outside', p: pred('remote.ip', [m('cidr', '198.18.3.0/24')]), req: {}, hit: false },
  { name: 'destination.ip vip', p: pred('destination.ip', [m('cidr', '198.19.0.0/16')]), req: {}, hit: true },
  { name: 'destination.ip dialled a name: absent', p: pred('destination.ip', [m('cidr', '0.0.0.0/0')]), req: { destinationIp: '' }, hit: false },
  { name: 'destination.ip absent passes notValues', p: pred('destination.ip', [], [m('cidr', '0.0.0.0/0')]), req: { destinationIp: '' }, hit: true },
  // destination.port
  { name: 'port', p: pred('destination.port', [m('port', '80')]), req: {}, hit: true },
  { name: 'port other', p: pred('destination.port', [m('port', '8080')]), req: {}, hit: false },
  { name: 'port numeric (leading zero)', p: pred('destination.port', [m('port', '080')]), req: {}, hit: true },
  { name: 'port notValues', p: pred('destination.port', [], [m('port', '80')]), req: {}, hit: false },
  // request.host
  { name: 'host exact', p: pred('request.host', [m('exact', 'echo.shop')]), req: {}, hit: true },
  { name: 'host case-insensitive', p: pred('request.host', [m('exact', 'example.com')]), req: { host: 'Example.COM' }, hit: true },
  { name: 'host value upper-case', p: pred('request.host', [m('exact', 'Example.com')]), req: { host: 'example.com' }, hit: true },
  { name: 'host with port matches port-less value', p: pred('request.host', [m('exact', 'example.com')]), req: { host: 'Example.COM:8080' }, hit: true },
  { name: 'host value with port', p: pred('request.host', [m('exact', 'example.com:8080')]), req: { host: 'example.com:8080' }, hit: true },
  { name: 'host value with port needs the port', p: pred('request.host', [m('exact', 'example.com:8080')]), req: { host: 'example.com' }, hit: false },
  { name: 'host value with other port', p: pred('request.host', [m('exact', 'example.com:8080')]), req: { host: 'example.com:80' }, hit: false },
  { name: 'notHosts cannot be dodged with a port', p: pred('request.host', [], [m('exact', 'secret.com')]), req: { host: 'Secret.com:80' }, hit: false },
  { name: 'notHosts other host', p: pred('request.host', [], [m('exact', 'secret.com')]), req: { host: 'public.com' }, hit: true },
  { name: 'host suffix with port', p: pred('request.host', [m('suffix', '.example.com')]), req: { host: 'a.example.com:443' }, hit: true },
  { name: 'host prefix', p: pred('request.host', [m('prefix', 'api.')]), req: { host: 'API.example.com' }, hit: true },
  { name: 'host presence', p: pred('request.host', [m('presence')]), req: {}, hit: true },
  { name: 'host empty is absent', p: pred('request.host', [m('presence')]), req: { host: '' }, hit: false },
  { name: 'host ipv6 literal with port', p: pred('request.host', [m('exact', '[fd00::1]')]), req: { host: '[FD00::1]:8080' }, hit: true },
  // request.method
  { name: 'method exact', p: pred('request.method', [m('exact', 'GET')]), req: {}, hit: true },
  { name: 'method upper-cased', p: pred('request.method', [m('exact', 'DELETE')]), req: { method: 'delete' }, hit: true },
  { name: 'method mixed case', p: pred('request.method', [m('exact', 'DELETE')]), req: { method: 'DeLeTe' }, hit: true },
  { name: 'method other', p: pred('request.method', [m('exact', 'POST')]), req: {}, hit: false },
  { name: 'notMethods', p: pred('request.method', [], [m('exact', 'GET')]), req: { method: 'get' }, hit: false },
  // request.path
  { name: 'path exact', p: pred('request.path', [m('exact', '/admin')]), req: { path: '/admin' }, hit: true },
  { name: 'path exact case-sensitive', p: pred('request.path', [m('exact', '/admin')]), req: { path: '/ADMIN' }, hit: false },
  { name: 'path prefix', p: pred('request.path', [m('prefix', '/admin/')]), req: { path: '/admin/x' }, hit: true },
  { name: 'path suffix', p: pred('request.path', [m('suffix', '.php')]), req: { path: '/x/y.php' }, hit: true },
  { name: 'path presence', p: pred('request.path', [m('presence')]), req: { path: '/' }, hit: true },
  { name: 'path template {*}', p: pred('request.path', [m('template', '/admin/{*}/x')]), req: { path: '/admin/a/x' }, hit: true },
  { name: 'path template {*} one segment', p: pred('request.path', [m('template', '/admin/{*}')]), req: { path: '/admin/a/b' }, hit: false },
  { name: 'path template {**}', p: pred('request.path', [m('template', '/admin/{**}')]), req: { path: '/admin/a/b' }, hit: true },
  { name: 'notPaths template', p: pred('request.path', [], [m('template', '/admin/{**}')]), req: { path: '/admin/a' }, hit: false },
  // request.header
  { name: 'header exact', p: pred('request.header', [m('exact', 'admin')], [], { key: 'x-role' }), req: { headers: { 'x-role': ['admin'] } }, hit: true },
  { name: 'header repeated: each value separately', p: pred('request.header', [m('exact', 'admin')], [], { key: 'x-role' }), req: { headers: { 'x-role': ['user', 'admin'] } }, hit: true },
  { name: 'header never comma-joined', p: pred('request.header', [m('exact', 'user,admin')], [], { key: 'x-role' }), req: { headers: { 'x-role': ['user', 'admin'] } }, hit: false },
  { name: 'header notValues see every value', p: pred('request.header', [], [m('exact', 'admin')], { key: 'x-role' }), req: { headers: { 'x-role': ['user', 'admin'] } }, hit: false },
  { name: 'header trimmed', p: pred('request.header', [m('exact', 'admin')], [], { key: 'x-role' }), req: { headers: { 'x-role': [' admin \t'] } }, hit: true },
  { name: 'header prefix', p: pred('request.header', [m('prefix', 'Bearer ')], [], { key: 'authorization' }), req: { headers: { authorization: ['Bearer x'] } }, hit: true },
  { name: 'header suffix', p: pred('request.header', [m('suffix', 'min')], [], { key: 'x-role' }), req: { headers: { 'x-role': ['admin'] } }, hit: true },
  { name: 'header presence', p: pred('request.header', [m('presence')], [], { key: 'x-role' }), req: { headers: { 'x-role': ['a'] } }, hit: true },
  { name: 'header presence: empty value is not present', p: pred('request.header', [m('presence')], [], { key: 'x-role' }), req: { headers: { 'x-role': ['  '] } }, hit: false },
  { name: 'header absent', p: pred('request.header', [m('presence')], [], { key: 'x-role' }), req: {}, hit: false },
  { name: 'header absent passes notValues', p: pred('request.header', [], [m('exact', 'admin')], { key: 'x-role' }), req: {}, hit: true },
  { name: 'header key upper-case in config', p: pred('request.header', [m('exact', 'a')], [], { key: 'X-Role' }), req: { headers: { 'x-role': ['a'] } }, hit: true },
  // request.auth.*
  { name: 'auth principal', p: pred('request.auth.principal', [m('exact', 'https://issuer.example/alice')]), req: { auth: jwt }, hit: true },
  { name: 'auth principal presence', p: pred('request.auth.principal', [m('presence')]), req: { auth: jwt }, hit: true },
  { name: 'auth principal prefix', p: pred('request.auth.principal', [m('prefix', 'https://issuer.example/')]), req: { auth: jwt }, hit: true },
  { name: 'no JWT: principal absent', p: pred('request.auth.principal', [m('presence')]), req: {}, hit: false },
  { name: 'no JWT: notRequestPrincipals [*] fires', p: pred('request.auth.principal', [], [m('presence')]), req: {}, hit: true },
  { name: 'audiences: each element', p: pred('request.auth.audiences', [m('exact', 'billing')]), req: { auth: jwt }, hit: true },
  { name: 'audiences suffix', p: pred('request.auth.audiences', [m('suffix', 'ing')]), req: { auth: jwt }, hit: true },
  { name: 'audiences miss', p: pred('request.auth.audiences', [m('exact', 'other')]), req: { auth: jwt }, hit: false },
  { name: 'audiences notValues', p: pred('request.auth.audiences', [], [m('exact', 'shop')]), req: { auth: jwt }, hit: false },
  { name: 'presenter', p: pred('request.auth.presenter', [m('exact', 'web-app')]), req: { auth: jwt }, hit: true },
  { name: 'presenter absent', p: pred('request.auth.presenter', [m('presence')]), req: { auth: { ...jwt, presenter: undefined } }, hit: false },
  { name: 'claim string', p: pred('request.auth.claim', [m('exact', 'admins')], [], { claimPath: ['group'] }), req: { auth: jwt }, hit: true },
  { name: 'claim string other', p: pred('request.auth.claim', [m('exact', 'users')], [], { claimPath: ['group'] }), req: { auth: jwt }, hit: false },
  { name: 'claim nested list element', p: pred('request.auth.claim', [m('exact', 'admin')], [], { claimPath: ['realm', 'roles'] }), req: { auth: jwt }, hit: true },
  { name: 'claim list: non-string element ignored', p: pred('request.auth.claim', [m('exact', '7')], [], { claimPath: ['realm', 'roles'] }), req: { auth: jwt }, hit: false },
  { name: 'claim nested deeper', p: pred('request.auth.claim', [m('exact', 'yes')], [], { claimPath: ['realm', 'nested', 'deep'] }), req: { auth: jwt }, hit: true },
  { name: 'claim number as JSON text', p: pred('request.auth.claim', [m('exact', '3')], [], { claimPath: ['realm', 'level'] }), req: { auth: jwt }, hit: true },
  { name: 'claim boolean as JSON text', p: pred('request.auth.claim', [m('exact', 'true')], [], { claimPath: ['admin'] }), req: { auth: jwt }, hit: true },
  { name: 'claim float as JSON text', p: pred('request.auth.claim', [m('exact', '0.5')], [], { claimPath: ['ratio'] }), req: { auth: jwt }, hit: true },
  { name: 'claim prefix on list', p: pred('request.auth.claim', [m('prefix', 'op')], [], { claimPath: ['groups'] }), req: { auth: jwt }, hit: true },
  { name: 'claim notValues on list', p: pred('request.auth.claim', [], [m('exact', 'ops')], { claimPath: ['groups'] }), req: { auth: jwt }, hit: false },
  { name: 'claim object is absent', p: pred('request.auth.claim', [m('presence')], [], { claimPath: ['realm'] }), req: { auth: jwt }, hit: false },
  { name: 'claim null is absent', p: pred('request.auth.claim', [m('presence')], [], { claimPath: ['gone'] }), req: { auth: jwt }, hit: false },
  { name: 'claim missing', p: pred('request.auth.claim', [m('presence')], [], { claimPath: ['nope', 'x'] }), req: { auth: jwt }, hit: false },
  { name: 'claim through a string is absent', p: pred('request.auth.claim', [m('presence')], [], { claimPath: ['group', 'length'] }), req: { auth: jwt }, hit: false },
  { name: 'claim inherited property is absent', p: pred('request.auth.claim', [m('presence')], [], { claimPath: ['constructor'] }), req: { auth: jwt }, hit: false },
  { name: 'claim __proto__ is absent', p: pred('request.auth.claim', [m('presence')], [], { claimPath: ['__proto__'] }), req: { auth: jwt }, hit: false },
  { name: 'no JWT: claim absent', p: pred('request.auth.claim', [m('exact', 'admins')], [], { claimPath: ['group'] }), req: {}, hit: false },
  // connection.sni: never present at a waypoint
  { name: 'sni values never match', p: pred('connection.sni', [m('presence')]), req: {}, hit: false },
  { name: 'sni notValues always pass', p: pred('connection.sni', [], [m('exact', 'a.com')]), req: {}, hit: true },
];

for (const c of cases) {
  test(`${c.p.attribute}: ${c.name}`, () => {
    const compiled = compilePredicate(c.p);
    assert.ok(compiled, 'compiles');
    assert.equal(compiled(attrs(c.req)), c.hit);
  });
}

const misfits: readonly [string, L7Predicate][] = [
  ['cidr on request.path', pred('request.path', [m('cidr', '198.18.0.0/15')])],
  ['template on request.host', pred('request.host', [m('template', '/a/{*}')])],
  ['template on a header', pred('request.header', [m('template', '/a/{*}')], [], { key: 'x' })],
  ['bad template', pred('request.path', [m('template', '/a/{**}/b')])],
  ['exact on source.ip', pred('source.ip', [m('exact', '198.18.0.1')])],
  ['bad cidr', pred('source.ip', [], [m('cidr', '198.18.0.0/33')])],
  ['port on request.method', pred('request.method', [m('port', '80')])],
  ['non-numeric port', pred('destination.port', [m('port', 'http')])],
  ['cidr on destination.port', pred('destination.port', [m('cidr', '0.0.0.0/0')])],
  ['header without a key', pred('request.header', [m('presence')])],
  ['claim without a path', pred('request.auth.claim', [m('presence')])],
];

for (const [name, p] of misfits) {
  test(`a matcher that does not fit its attribute does not compile: ${name}`, () => {
    assert.equal(compilePredicate(p), undefined);
  });
}

test('stripPort', () => {
  assert.equal(stripPort('example.com:8080'), 'example.com');
  assert.equal(stripPort('example.com'), 'example.com');
  assert.equal(stripPort('example.com:'), 'example.com');
  assert.equal(stripPort('example.com:http'), 'example.com:http');
  assert.equal(stripPort('[fd00::1]:80'), '[fd00::1]');
  assert.equal(stripPort('[fd00::1]'), '[fd00::1]');
  assert.equal(stripPort('fd00::1'), 'fd00::1');
});

test('claimValues walks own properties only', () => {
  const claims = JSON.parse('{"a":{"__proto__":{"x":"evil"},"b":["1",2,true,"z"]}}') as Record<string, unknown>;
  assert.deepEqual(claimValues(claims, ['a', 'b']), ['1', 'z']);
  assert.deepEqual(claimValues(claims, ['a', '__proto__', 'x']), ['evil']);
  assert.deepEqual(claimValues({}, ['toString']), []);
  assert.deepEqual(claimValues({ a: [['nested']] }, ['a']), []);
});
