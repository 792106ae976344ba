// AuthorizationPolicies attached to a waypoint (targetRefs), as the waypoint gets them: every
// source, operation and `when` attribute in every form Istio writes it, the values refused (each
// naming its field), the lint warnings, hostile inputs, and that every accepted conversion passes
// the waypoint codec's validation (securityProblems).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { L7Matcher, L7Predicate, WaypointSecurity } from '../../pkg/api/waypoint-security-types';
import { DEFAULT_PATH_NORMALIZATION } from '../../pkg/api/waypoint-security-types';
import { securityProblems } from '../../pkg/api/waypoint-security-validate';
import { type AuthorizationPolicyConversion, convertAuthorizationPolicy } from './authorization-policy';
import { FieldReport } from './field-report';
import { convertL7Rules } from './l7-authorization';

const OPTS = { rootNamespace: 'istio-system', trustDomain: 'cluster.local' };
const GATEWAY = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' };

function wp(spec: Record<string, unknown>, annotations: Record<string, string> = {}): unknown {
  return {
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy',
    metadata: { name: 'p', namespace: 'shop', annotations }, spec: { targetRefs: [GATEWAY], ...spec },
  };
}

/** The policy as the waypoint would get it must pass the codec's validation. */
function assertSendable(r: AuthorizationPolicyConversion): void {
  const l7 = r.l7;
  assert.ok(l7, 'a waypoint policy without problems has l7');
  const security: WaypointSecurity = {
    pathNormalization: DEFAULT_PATH_NORMALIZATION,
    authorization: [{ name: r.name, namespace: r.namespace, action: l7.action, dryRun: l7.dryRun, targets: { all: true, services: [] }, rules: l7.rules }],
    authentication: [],
  };
  assert.deepEqual(securityProblems(security), []);
}

function accepted(spec: Record<string, unknown>, opts = OPTS): AuthorizationPolicyConversion {
  const r = convertAuthorizationPolicy(wp(spec), opts);
  assert.deepEqual(r.problems, [], JSON.stringify(spec));
  assert.equal(r.enforcedBy, 'waypoint');
  assert.equal(r.policy, undefined, 'ztunnel gets nothing');
  assertSendable(r);
  return r;
}

const m = (kind: L7Matcher['kind'], value = ''): L7Matcher => ({ kind, value });

/** The single predicate of a one-rule, one-entry policy. */
function only(r: AuthorizationPolicyConversion, side: 'from' | 'to' | 'when'): L7Predicate {
  const rule = r.l7!.rules[0]!;
  const predicates = side === 'when' ? rule.when : rule[side][0]!.predicates;
  assert.equal(predicates.length, 1);
  return predicates[0]!;
}

const SOURCE_CASES: [string, Record<string, string[]>, Partial<L7Predicate>][] = [
  ['principal exact', { principals: ['cluster.local/ns/a/sa/b'] }, { attribute: 'source.principal', values: [m('exact', 'cluster.local/ns/a/sa/b')] }],
  ['principal with spiffe://', { principals: ['spiffe://cluster.local/ns/a/sa/b'] }, { values: [m('exact', 'cluster.local/ns/a/sa/b')] }],
  ['principal presence', { principals: ['*'] }, { values: [m('presence')] }],
  ['principal prefix', { principals: ['cluster.local/ns/a/*'] }, { values: [m('prefix', 'cluster.local/ns/a/')] }],
  ['principal suffix (CVE-2020-16844 form)', { principals: ['*/ns/x/sa/y'] }, { values: [m('suffix', '/ns/x/sa/y')] }],
  ['notPrincipals', { notPrincipals: ['cluster.local/ns/a/sa/b'] }, { values: [], notValues: [m('exact', 'cluster.local/ns/a/sa/b')] }],
  ['namespaces', { namespaces: ['shop', 'team-*'] }, { attribute: 'source.namespace', values: [m('exact', 'shop'), m('prefix', 'team-')] }],
  ['notNamespaces', { notNamespaces: ['*-dev'] }, { attribute: 'source.namespace', notValues: [m('suffix', '-dev')] }],
  ['serviceAccounts stay literal', { serviceAccounts: ['a.b', 'ops/runner'] }, {
    attribute: 'source.principal', values: [m('exact', 'cluster.local/ns/shop/sa/a.b'), m('exact', 'cluster.local/ns/ops/sa/runner')],
  }],
  ['notServiceAccounts', { notServiceAccounts: ['ci'] }, { attribute: 'source.principal', notValues: [m('exact', 'cluster.local/ns/shop/sa/ci')] }],
  ['ipBlocks', { ipBlocks: ['198.18.0.5', 'fd00::/8'] }, { attribute: 'source.ip', values: [m('cidr', '198.18.0.5/32'), m('cidr', 'fd00::/8')] }],
  ['notIpBlocks', { notIpBlocks: ['198.18.0.0/15'] }, { attribute: 'source.ip', notValues: [m('cidr', '198.18.0.0/15')] }],
  ['remoteIpBlocks', { remoteIpBlocks: ['198.19.0.0/16'] }, { attribute: 'remote.ip', values: [m('cidr', '198.19.0.0/16')] }],
  ['notRemoteIpBlocks', { notRemoteIpBlocks: ['198.19.1.1'] }, { attribute: 'remote.ip', notValues: [m('cidr', '198.19.1.1/32')] }],
  ['requestPrincipals', { requestPrincipals: ['https://issuer.example/alice', 'https://issuer.example/*', '*'] }, {
    attribute: 'request.auth.principal', values: [m('exact', 'https://issuer.example/alice'), m('prefix', 'https://issuer.example/'), m('presence')],
  }],
  ['notRequestPrincipals', { notRequestPrincipals: ['*/bob'] }, { attribute: 'request.auth.principal', notValues: [m('suffix', '/bob')] }],
];

for (const [name, source, want] of SOURCE_CASES) {
  test(`source: ${name}`, () => {
    const p = only(accepted({ rules: [{ from: [{ source }] }] }), 'from');
    for (const [k, v] of Object.entries(want)) assert.deepEqual(p[k as keyof L7Predicate], v, k);
    assert.deepEqual([p.key, p.claimPath], ['', []]);
  });
}

test('source: the mesh trust domain replaces cluster.local, service accounts use it too', () => {
  const r = accepted({ rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/sa/b'] } }, { source: { serviceAccounts: ['x'] } }] }] },
    { ...OPTS, trustDomain: 'example.org' });
  assert.deepEqual(r.l7!.rules[0]!.from.map((e) => e.predicates[0]!.values), [
    [m('exact', 'example.org/ns/a/sa/b')], [m('exact', 'example.org/ns/shop/sa/x')],
  ]);
});

test('source: every field of one source becomes one AND-ed entry; sources are OR-ed entries', () => {
  const r = accepted({ rules: [{ from: [
    { source: { principals: ['*'], namespaces: ['shop'], ipBlocks: ['198.18.0.0/16'], remoteIpBlocks: ['198.19.0.0/16'], requestPrincipals: ['*'] } },
    { source: { namespaces: ['ops'] } },
  ] }] });
  const from = r.l7!.rules[0]!.from;
  assert.deepEqual(from[0]!.predicates.map((p) => p.attribute), ['source.principal', 'source.namespace', 'source.ip', 'remote.ip', 'request.auth.principal']);
  assert.deepEqual(from[1]!.predicates.map((p) => p.attribute), ['source.namespace']);
});

const OPERATION_CASES: [string, Record<string, string[]>, Partial<L7Predicate>][] = [
  ['hosts lower-cased', { hosts: ['Reviews.Shop.svc.cluster.local', 'example.com:8080'] }, {
    attribute: 'request.host', values: [m('exact', 'reviews.shop.svc.cluster.local'), m('exact', 'example.com:8080')],
  }],
  ['hosts wildcards', { hosts: ['*.Example.com', 'api.*', '*'] }, { values: [m('suffix', '.example.com'), m('prefix', 'api.'), m('presence')] }],
  ['notHosts', { notHosts: ['admin.example.com'] }, { attribute: 'request.host', notValues: [m('exact', 'admin.example.com')] }],
  ['ports', { ports: ['9080'], notPorts: ['15000'] }, { attribute: 'destination.port', values: [m('port', '9080')], notValues: [m('port', '15000')] }],
  ['methods', { methods: ['GET', 'DELETE'] }, { attribute: 'request.method', values: [m('exact', 'GET'), m('exact', 'DELETE')] }],
  ['notMethods', { notMethods: ['PATCH'] }, { attribute: 'request.method', notValues: [m('exact', 'PATCH')] }],
  ['paths exact / prefix / suffix / presence', { paths: ['/api', '/api/*', '*.css', '*'] }, {
    attribute: 'request.path', values: [m('exact', '/api'), m('prefix', '/api/'), m('suffix', '.css'), m('presence')],
  }],
  ['paths templates', { paths: ['/a/{*}/b/{**}', '/users/{*}'] }, { values: [m('template', '/a/{*}/b/{**}'), m('template', '/users/{*}')] }],
  ['notPaths', { notPaths: ['/healthz'] }, { attribute: 'request.path', notValues: [m('exact', '/healthz')] }],
];

for (const [name, operation, want] of OPERATION_CASES) {
  test(`operation: ${name}`, () => {
    const r = convertAuthorizationPolicy(wp({ action: 'DENY', rules: [{ to: [{ operation }] }] }), OPTS);
    assert.deepEqual(r.problems, []);
    assertSendable(r);
    const p = only(r, 'to');
    for (const [k, v] of Object.entries(want)) assert.deepEqual(p[k as keyof L7Predicate], v, k);
  });
}

const WHEN_CASES: [string, unknown, Partial<L7Predicate>][] = [
  ['request.headers[X-Tenant]', { key: 'request.headers[X-Tenant]', values: ['gold', 'plat*'], notValues: ['*-test'] }, {
    attribute: 'request.header', key: 'x-tenant', values: [m('exact', 'gold'), m('prefix', 'plat')], notValues: [m('suffix', '-test')],
  }],
  ['request.auth.claims[groups]', { key: 'request.auth.claims[groups]', values: ['admins'] }, {
    attribute: 'request.auth.claim', claimPath: ['groups'], values: [m('exact', 'admins')],
  }],
  ['nested claims', { key: 'request.auth.claims[realm_access][roles]', values: ['*'] }, {
    attribute: 'request.auth.claim', claimPath: ['realm_access', 'roles'], values: [m('presence')],
  }],
  ['request.auth.principal', { key: 'request.auth.principal', values: ['iss/sub'] }, { attribute: 'request.auth.principal', values: [m('exact', 'iss/sub')] }],
  ['request.auth.audiences', { key: 'request.auth.audiences', values: ['api.*'] }, { attribute: 'request.auth.audiences', values: [m('prefix', 'api.')] }],
  ['request.auth.presenter', { key: 'request.auth.presenter', values: ['web'] }, { attribute: 'request.auth.presenter', values: [m('exact', 'web')] }],
  ['source.ip', { key: 'source.ip', values: ['198.18.0.0/24'] }, { attribute: 'source.ip', values: [m('cidr', '198.18.0.0/24')] }],
  ['remote.ip', { key: 'remote.ip', notValues: ['198.18.9.9'] }, { attribute: 'remote.ip', notValues: [m('cidr', '198.18.9.9/32')] }],
  ['destination.ip', { key: 'destination.ip', values: ['198.19.0.10'] }, { attribute: 'destination.ip', values: [m('cidr', '198.19.0.10/32')] }],
  ['destination.port', { key: 'destination.port', values: ['8080'] }, { attribute: 'destination.port', values: [m('port', '8080')] }],
  ['source.namespace', { key: 'source.namespace', values: ['shop'] }, { attribute: 'source.namespace', values: [m('exact', 'shop')] }],
  ['source.principal', { key: 'source.principal', values: ['cluster.local/ns/shop/sa/web'] }, {
    attribute: 'source.principal', values: [m('exact', 'cluster.local/ns/shop/sa/web')],
  }],
  ['connection.sni', { key: 'connection.sni', values: ['*.shop.svc.cluster.local'] }, { attribute: 'connection.sni', values: [m('suffix', '.shop.svc.cluster.local')] }],
];

for (const [name, condition, want] of WHEN_CASES) {
  test(`when: ${name}`, () => {
    const r = accepted({ rules: [{ when: [condition] }] });
    const p = only(r, 'when');
    if (name === 'connection.sni') assert.match(r.warnings[0]!.reason, /never present at a waypoint/);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(p[k as keyof L7Predicate], v, k);
  });
}

test('rules: OR-ed, empty rule matches everything, no rules = zero rules', () => {
  assert.deepEqual(accepted({ rules: [{}] }).l7!.rules, [{ from: [], to: [], when: [] }]);
  assert.deepEqual(accepted({}).l7!.rules, []);
  assert.equal(accepted({ rules: [{}, { to: [{ operation: { ports: ['80'] } }] }] }).l7!.rules.length, 2);
});

test('actions: ALLOW, DENY, AUDIT as written; CUSTOM → DENY with a warning; dry-run from the annotation', () => {
  for (const action of ['ALLOW', 'DENY', 'AUDIT'] as const) {
    const r = accepted({ action, rules: [{}] });
    assert.deepEqual([r.l7!.action, r.l7!.custom, r.l7!.dryRun], [action, false, false]);
  }
  const custom = accepted({ action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] });
  assert.deepEqual([custom.l7!.action, custom.l7!.custom], ['DENY', true]);
  assert.ok(custom.warnings.some((w) => w.reason === 'CUSTOM (ext-authz) is not supported: requests matching its rules are denied'));
  const dry = convertAuthorizationPolicy(wp({ rules: [{}] }, { 'istio.io/dry-run': 'true' }), OPTS);
  assert.equal(dry.l7!.dryRun, true);
});

const PROBLEM_CASES: [string, Record<string, unknown>, string, RegExp][] = [
  ['envoy filter metadata', { when: [{ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['x'] }] }, 'spec.rules[0].when[0].key', /not supported by ambit's waypoint/],
  ['{**} not last', { to: [{ operation: { paths: ['/a/{**}/b'] } }] }, 'spec.rules[0].to[0].operation.paths[0]', /invalid path template/],
  ['unknown template operator', { to: [{ operation: { paths: ['/a/{id}'] } }] }, 'spec.rules[0].to[0].operation.paths[0]', /invalid path template/],
  ['template mixed with *', { to: [{ operation: { paths: ['/a/{*}/b*'] } }] }, 'spec.rules[0].to[0].operation.paths[0]', /invalid path template/],
  ['wildcard in the middle of a path', { to: [{ operation: { paths: ['/a/*/b'] } }] }, 'spec.rules[0].to[0].operation.paths[0]', /wildcard/],
  ['method wildcard', { to: [{ operation: { methods: ['G*'] } }] }, 'spec.rules[0].to[0].operation.methods[0]', /wildcards are not supported in methods/],
  ['method with a space', { to: [{ operation: { methods: ['GE T'] } }] }, 'spec.rules[0].to[0].operation.methods[0]', /not an HTTP method/],
  ['host with a slash', { to: [{ operation: { hosts: ['example.com/admin'] } }] }, 'spec.rules[0].to[0].operation.hosts[0]', /not a host/],
  ['pseudo-header', { when: [{ key: 'request.headers[:authority]', values: ['x'] }] }, 'spec.rules[0].when[0].key', /is a pseudo-header/],
  ['header without brackets', { when: [{ key: 'request.headers', values: ['x'] }] }, 'spec.rules[0].when[0].key', /must name an entry in brackets/],
  ['claims too deep', { when: [{ key: `request.auth.claims${'[a]'.repeat(9)}`, values: ['x'] }] }, 'spec.rules[0].when[0].key', /nested 9 deep/],
  ['unknown attribute', { when: [{ key: 'request.body', values: ['x'] }] }, 'spec.rules[0].when[0].key', /unknown attribute/],
  ['when without values', { when: [{ key: 'source.ip' }] }, 'spec.rules[0].when[0]', /at least one of values or notValues/],
  ['service account wildcard', { from: [{ source: { serviceAccounts: ['shop/*'] } }] }, 'spec.rules[0].from[0].source.serviceAccounts[0]', /wildcards are not allowed/],
  ['service account with two slashes', { from: [{ source: { serviceAccounts: ['a/b/c'] } }] }, 'spec.rules[0].from[0].source.serviceAccounts[0]', /is not "<namespace>/],
  ['service accounts with principals', { from: [{ source: { serviceAccounts: ['a'], principals: ['*'] } }] }, 'spec.rules[0].from[0].source.serviceAccounts', /cannot be combined/],
  ['port 0', { to: [{ operation: { ports: ['0'] } }] }, 'spec.rules[0].to[0].operation.ports[0]', /not a port number/],
  ['bad CIDR', { from: [{ source: { remoteIpBlocks: ['198.18.0.0/40'] } }] }, 'spec.rules[0].from[0].source.remoteIpBlocks[0]', /not an IP address or CIDR/],
  ['bad principal', { from: [{ source: { principals: ['not a principal'] } }] }, 'spec.rules[0].from[0].source.principals[0]', /workload identity/],
  ['empty from', { from: [] }, 'spec.rules[0].from', /must not be empty/],
  ['empty source', { from: [{ source: {} }] }, 'spec.rules[0].from[0].source', /at least one field/],
  ['operation missing', { to: [{}] }, 'spec.rules[0].to[0].operation', /is required/],
  ['unknown operation field', { to: [{ operation: { verbs: ['GET'] } }] }, 'spec.rules[0].to[0].operation.verbs', /unknown field/],
];

for (const [name, rule, field, reason] of PROBLEM_CASES) {
  test(`refused: ${name}`, () => {
    const r = convertAuthorizationPolicy(wp({ rules: [rule] }), OPTS);
    assert.equal(r.l7, undefined, 'nothing reaches the waypoint');
    const p = r.problems.find((x) => x.field === field);
    assert.ok(p, `${field} in ${JSON.stringify(r.problems)}`);
    assert.match(p.reason, reason);
    assert.deepEqual(r.refs, [{ kind: 'Gateway', name: 'waypoint' }], 'the refs stay readable for a fail-closed stand-in');
  });
}

test('refused: oversized lists name their size', () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{ rules: Array.from({ length: 513 }, () => ({})) }, 'spec.rules', '513 entries (at most 512)'],
    [{ rules: [{ from: Array.from({ length: 257 }, () => ({ source: { namespaces: ['a'] } })) }] }, 'spec.rules[0].from', '257 entries (at most 256)'],
    [{ rules: [{ when: Array.from({ length: 63 }, () => ({ key: 'source.ip', values: ['198.18.0.1'] })) }] }, 'spec.rules[0].when', '63 entries (at most 62)'],
    [{ rules: [{ to: [{ operation: { paths: Array.from({ length: 1025 }, (_, i) => `/p${i}`) } }] }] }, 'spec.rules[0].to[0].operation.paths', '1025 entries (at most 1024)'],
  ];
  for (const [spec, field, reason] of cases) {
    assert.deepEqual(convertAuthorizationPolicy(wp(spec), OPTS).problems, [{ field, reason }]);
  }
  const big = accepted({ rules: [{ to: [{ operation: { paths: Array.from({ length: 1024 }, (_, i) => `/p${i}`) } }] }] });
  assert.equal(only(big, 'to').values.length, 1024);
});

const WARNING_CASES: [string, Record<string, unknown>, string, RegExp][] = [
  ['ALLOW + notPaths', { to: [{ operation: { notPaths: ['/admin'] } }] }, 'spec.rules[0].to[0].operation.notPaths', /prefer ALLOW-positive \/ DENY-negative/],
  ['ALLOW + notMethods', { to: [{ operation: { notMethods: ['DELETE'] } }] }, 'spec.rules[0].to[0].operation.notMethods', /prefer ALLOW-positive/],
  ['ALLOW + notHosts', { to: [{ operation: { notHosts: ['admin'] } }] }, 'spec.rules[0].to[0].operation.notHosts', /prefer ALLOW-positive/],
  ['lower-case method', { to: [{ operation: { methods: ['get'] } }] }, 'spec.rules[0].to[0].operation.methods[0]', /matched as "GET"/],
  ['path without "/"', { to: [{ operation: { paths: ['api/v1'] } }] }, 'spec.rules[0].to[0].operation.paths[0]', /does not start with "\/"/],
  ['path with a query', { to: [{ operation: { paths: ['/login?next=x'] } }] }, 'spec.rules[0].to[0].operation.paths[0]', /without the query/],
  ['doubled slash', { to: [{ operation: { paths: ['/a//b'] } }] }, 'spec.rules[0].to[0].operation.paths[0]', /not a normalized path/],
  ['encoded slash', { to: [{ operation: { paths: ['/a%2Fb'] } }] }, 'spec.rules[0].to[0].operation.paths[0]', /not a normalized path/],
  ['dot segment', { to: [{ operation: { paths: ['/a/../admin'] } }] }, 'spec.rules[0].to[0].operation.paths[0]', /not a normalized path/],
  ['host bits set', { from: [{ source: { ipBlocks: ['198.18.1.7/16'] } }] }, 'spec.rules[0].from[0].source.ipBlocks[0]', /host bits are set/],
];

for (const [name, rule, field, reason] of WARNING_CASES) {
  test(`warned: ${name}`, () => {
    const r = accepted({ rules: [rule] });
    const w = r.warnings.find((x) => x.field === field);
    assert.ok(w, `${field} in ${JSON.stringify(r.warnings)}`);
    assert.match(w.reason, reason);
  });
}

test('warned: DENY + paths, not DENY + notPaths; DENY on an absent JWT or header is Istio\'s "require it" form, not warned', () => {
  const deny = accepted({ action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin/*'], methods: ['DELETE'] } }] }] });
  assert.match(deny.warnings.find((w) => w.field === 'spec.rules[0].to[0].operation.paths')!.reason, /DENY rule with paths/);
  assert.deepEqual(accepted({ action: 'DENY', rules: [{ to: [{ operation: { notPaths: ['/public/*'] } }] }] }).warnings, []);
  assert.deepEqual(accepted({ action: 'DENY', rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }] }).warnings, []);
  assert.deepEqual(accepted({ action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-api-key]', notValues: ['k1'] }] }] }).warnings, []);
});

test('targets: ServiceEntry refs are kept but warned about; a DENY without rules has no effect', () => {
  const r = convertAuthorizationPolicy({
    metadata: { name: 'p', namespace: 'shop' },
    spec: { action: 'DENY', targetRefs: [GATEWAY, { group: 'networking.istio.io', kind: 'ServiceEntry', name: 'ext' }, { kind: 'Service', group: '', name: 'reviews' }] },
  }, OPTS);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.l7!.refs, [{ kind: 'Gateway', name: 'waypoint' }, { kind: 'ServiceEntry', name: 'ext' }, { kind: 'Service', name: 'reviews' }]);
  assert.deepEqual(r.warnings.map((w) => [w.field, w.reason]), [
    ['spec.targetRefs[1]', 'ServiceEntry targets are not supported by ambit\'s waypoint; this ref is ignored'],
    ['spec.rules', 'a DENY policy without rules matches nothing: it has no effect'],
  ]);
});

test('targets: only valid refs are returned; a single targetRef is one ref', () => {
  const single = convertAuthorizationPolicy({ metadata: { name: 'p', namespace: 'shop' }, spec: { targetRef: { kind: 'Service', name: 'web' } } }, OPTS);
  assert.deepEqual(single.l7!.refs, [{ kind: 'Service', name: 'web' }]);
  const mixed = convertAuthorizationPolicy({
    metadata: { name: 'p', namespace: 'shop' },
    spec: { targetRefs: [{ kind: 'Service', name: 'web' }, { kind: 'Deployment', name: 'x' }, { kind: 'Service', name: 'Bad_Name' }, { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'w', namespace: 'other' }] },
  }, OPTS);
  assert.equal(mixed.l7, undefined);
  assert.deepEqual(mixed.refs, [{ kind: 'Service', name: 'web' }]);
  assert.deepEqual(mixed.problems.map((p) => p.field), ['spec.targetRefs[1].kind', 'spec.targetRefs[2].name', 'spec.targetRefs[3].namespace']);
});

test('hostile input never throws and never reaches the waypoint', () => {
  const inputs: unknown[] = [
    wp({ rules: [{ when: [{ key: '__proto__', values: ['x'] }] }] }),
    wp({ rules: [{ when: [{ key: 'request.headers[]', values: ['x'] }] }] }),
    wp({ rules: [{ when: [{ key: 'request.auth.claims[a][', values: ['x'] }] }] }),
    wp({ rules: [{ to: [{ operation: { paths: [{}], methods: [7] } }] }] }),
    wp({ rules: [{ to: [{ operation: { paths: ['/a\u0000b'] } }] }] }),
    wp({ rules: [{ to: [{ operation: { hosts: ['x'.repeat(2000)] } }] }] }),
    wp({ rules: [{ from: [{ source: { requestPrincipals: ['**'] } }] }] }),
    wp({ rules: 'everything' }),
    wp({ rules: [null] }),
    JSON.parse('{"metadata":{"name":"p","namespace":"shop"},"spec":{"targetRefs":[{"kind":"Service","name":"a"}],"rules":[{"__proto__":{"from":[]}}]}}'),
  ];
  for (const input of inputs) {
    const r = convertAuthorizationPolicy(input, OPTS);
    assert.ok(r.problems.length > 0, JSON.stringify(input).slice(0, 200));
    assert.equal(r.l7, undefined);
  }
  assert.equal(({} as Record<string, unknown>)['from'], undefined, 'no prototype was touched');
});

test('convertL7Rules alone: problems land in the given report', () => {
  const report = new FieldReport();
  const rules = convertL7Rules([{ to: [{ operation: { methods: ['POST'] } }] }, { to: [{ operation: { ports: ['x'] } }] }], 'rules', {
    policyNamespace: 'shop', trustDomain: 'cluster.local', report,
  });
  assert.equal(rules.length, 2);
  assert.deepEqual(report.problems().map((p) => p.field), ['rules[1].to[0].operation.ports[0]']);
});
