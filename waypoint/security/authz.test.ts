// authorize: policy order (DENY before ALLOW), zero rules, empty from/to, rule/entry/predicate
// combination, ALLOW-only-a-service-account, AUDIT, dry-run, targets and workload traffic, the
// path-bypass catalogue through normalization, fail-closed compilation, 1000 policies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../../pkg/errors/mesh-error';
import { PATH_NORMALIZATIONS, type L7Policy, type PathNormalization } from '../../pkg/api/waypoint-security-types';
import { authorize, authzApplies, compileAuthz, type CompiledAuthz } from './authz';
import { normalizePath } from './normalize-path';
import { attrs, entry, m, policy, pred, rule, type AttrOptions } from './test-attributes';

const SVC = 'shop/echo.shop.svc.cluster.local';
const OTHER = 'shop/other.shop.svc.cluster.local';

function decide(policies: readonly L7Policy[], req: AttrOptions = {}, serviceKey: string | undefined = SVC) {
  return authorize(compileAuthz(policies), serviceKey, attrs(req));
}

const onlyWeb = rule({ from: [entry(pred('source.principal', [m('exact', 'cluster.local/ns/shop/sa/web')]))] });
const adminDelete = rule({
  to: [entry(pred('request.method', [m('exact', 'DELETE')]), pred('request.path', [m('prefix', '/admin/')]))],
});

test('no policy: allowed, no deciding policy', () => {
  const c = compileAuthz([]);
  assert.equal(c.size, 0);
  assert.equal(authzApplies(c, SVC), false);
  assert.deepEqual(authorize(c, SVC, attrs()), { allowed: true, policy: '', audited: [] });
});

test('DENY DELETE on /admin/*: DELETE denied by the policy, GET passes, method case does not matter', () => {
  const policies = [policy('no-admin-delete', 'DENY', [adminDelete])];
  assert.deepEqual(decide(policies, { method: 'DELETE', path: '/admin/users' }), { allowed: false, policy: 'shop/no-admin-delete', audited: [] });
  assert.deepEqual(decide(policies, { method: 'delete', path: '/admin/users' }), { allowed: false, policy: 'shop/no-admin-delete', audited: [] });
  assert.deepEqual(decide(policies, { method: 'GET', path: '/admin/users' }), { allowed: true, policy: '', audited: [] });
  assert.deepEqual(decide(policies, { method: 'DELETE', path: '/public' }), { allowed: true, policy: '', audited: [] });
});

test('ALLOW only a service account: that one allowed by the policy, others denied with no policy', () => {
  const policies = [policy('only-web', 'ALLOW', [onlyWeb])];
  assert.deepEqual(decide(policies), { allowed: true, policy: 'shop/only-web', audited: [] });
  assert.deepEqual(decide(policies, { sourcePrincipal: 'cluster.local/ns/shop/sa/api' }), { allowed: false, policy: '', audited: [] });
  assert.deepEqual(decide(policies, { anonymous: true }), { allowed: false, policy: '', audited: [] });
});

test('DENY wins over a matching ALLOW; the first matching DENY in config order decides', () => {
  const policies = [
    policy('allow-web', 'ALLOW', [onlyWeb]),
    policy('deny-get', 'DENY', [rule({ to: [entry(pred('request.method', [m('exact', 'GET')]))] })]),
    policy('deny-web', 'DENY', [onlyWeb]),
  ];
  assert.deepEqual(decide(policies), { allowed: false, policy: 'shop/deny-get', audited: [] });
  assert.deepEqual(decide(policies, { method: 'POST' }), { allowed: false, policy: 'shop/deny-web', audited: [] });
});

test('several ALLOW policies: any match allows, the first matching one is reported', () => {
  const policies = [
    policy('allow-api', 'ALLOW', [rule({ from: [entry(pred('source.principal', [m('suffix', '/sa/api')]))] })]),
    policy('allow-get', 'ALLOW', [rule({ to: [entry(pred('request.method', [m('exact', 'GET')]))] })]),
    policy('allow-web', 'ALLOW', [onlyWeb]),
  ];
  assert.deepEqual(decide(policies), { allowed: true, policy: 'shop/allow-get', audited: [] });
  assert.deepEqual(decide(policies, { method: 'POST' }), { allowed: true, policy: 'shop/allow-web', audited: [] });
  assert.deepEqual(decide(policies, { method: 'POST', sourcePrincipal: 'x/sa/db' }), { allowed: false, policy: '', audited: [] });
});

test('zero rules: an ALLOW denies every request, a DENY never fires', () => {
  assert.deepEqual(decide([policy('empty-allow', 'ALLOW', [])]), { allowed: false, policy: '', audited: [] });
  assert.deepEqual(decide([policy('empty-deny', 'DENY', [])]), { allowed: true, policy: '', audited: [] });
});

test('a rule with empty from/to/when matches every request', () => {
  assert.deepEqual(decide([policy('deny-all', 'DENY', [rule({})])]), { allowed: false, policy: 'shop/deny-all', audited: [] });
  assert.deepEqual(decide([policy('allow-all', 'ALLOW', [rule({})])], { anonymous: true }), { allowed: true, policy: 'shop/allow-all', audited: [] });
});

test('rules OR-ed, entries OR-ed, predicates in an entry AND-ed, when AND-ed', () => {
  const p = policy('mix', 'ALLOW', [
    rule({
      from: [entry(pred('source.namespace', [m('exact', 'other')])), entry(pred('source.namespace', [m('exact', 'shop')]), pred('source.ip', [m('cidr', '198.18.1.0/24')]))],
      to: [entry(pred('request.path', [m('prefix', '/api/')]), pred('request.method', [m('exact', 'GET'), m('exact', 'HEAD')]))],
      when: [pred('request.header', [m('exact', 'v1')], [], { key: 'x-version' }), pred('destination.port', [m('port', '80')])],
    }),
    rule({ to: [entry(pred('request.path', [m('exact', '/healthz')]))] }),
  ]);
  const ok: AttrOptions = { path: '/api/x', method: 'HEAD', headers: { 'x-version': ['v1'] } };
  assert.equal(decide([p], ok).allowed, true);
  assert.equal(decide([p], { ...ok, sourceIp: '198.18.2.1' }).allowed, false, 'second predicate of the entry fails');
  assert.equal(decide([p], { ...ok, sourceNamespace: 'other', sourceIp: '198.18.2.1' }).allowed, true, 'first entry matches');
  assert.equal(decide([p], { ...ok, method: 'POST' }).allowed, false, 'to entry fails');
  assert.equal(decide([p], { ...ok, headers: {} }).allowed, false, 'a when predicate fails');
  assert.equal(decide([p], { ...ok, destinationPort: 8080 }).allowed, false, 'the other when predicate fails');
  assert.equal(decide([p], { path: '/healthz', anonymous: true }).allowed, true, 'second rule');
});

test('the same header twice: a DENY on one of the values fires', () => {
  const p = policy('deny-admin-role', 'DENY', [rule({ when: [pred('request.header', [m('exact', 'admin')], [], { key: 'x-role' })] })]);
  assert.deepEqual(decide([p], { headers: { 'x-role': ['user', 'admin'] } }), { allowed: false, policy: 'shop/deny-admin-role', audited: [] });
  assert.deepEqual(decide([p], { headers: { 'x-role': ['user'] } }), { allowed: true, policy: '', audited: [] });
});

test('JWT: ALLOW requestPrincipals [*] with claim group=admins; DENY notRequestPrincipals [*] without a token', () => {
  const auth = { principal: 'https://issuer.example/alice', audiences: ['shop'], claims: { group: 'admins' } };
  const allow = policy('admins', 'ALLOW', [rule({
    from: [entry(pred('request.auth.principal', [m('presence')]))],
    when: [pred('request.auth.claim', [m('exact', 'admins')], [], { claimPath: ['group'] })],
  })]);
  assert.equal(decide([allow], { auth }).allowed, true);
  assert.equal(decide([allow], { auth: { ...auth, claims: { group: 'users' } } }).allowed, false);
  assert.equal(decide([allow], {}).allowed, false);
  const requireJwt = policy('require-jwt', 'DENY', [rule({ from: [entry(pred('request.auth.principal', [], [m('presence')]))] })]);
  assert.deepEqual(decide([requireJwt], {}), { allowed: false, policy: 'shop/require-jwt', audited: [] });
  assert.deepEqual(decide([requireJwt], { auth }), { allowed: true, policy: '', audited: [] });
});

test('AUDIT: listed when it matches, never enforced, not an ALLOW', () => {
  const audit = policy('audit-admin', 'AUDIT', [rule({ to: [entry(pred('request.path', [m('prefix', '/admin')]))] })]);
  assert.deepEqual(decide([audit], { path: '/admin' }), { allowed: true, policy: '', audited: ['shop/audit-admin'] });
  assert.deepEqual(decide([audit], { path: '/public' }), { allowed: true, policy: '', audited: [] });
  const c = compileAuthz([audit]);
  assert.equal(authzApplies(c, SVC), true);
  const withAllow = [audit, policy('only-web', 'ALLOW', [onlyWeb])];
  assert.deepEqual(decide(withAllow, { path: '/admin', sourcePrincipal: 'x' }), { allowed: false, policy: '', audited: ['shop/audit-admin'] });
  const twoAudits = [audit, policy('audit-all', 'AUDIT', [rule({})], { namespace: 'ops' })];
  assert.deepEqual(decide(twoAudits, { path: '/admin' }).audited, ['shop/audit-admin', 'ops/audit-all']);
});

test('dry-run DENY: reported as the decision it would have made, never enforced', () => {
  const dry = policy('dry-deny', 'DENY', [adminDelete], { dryRun: true });
  assert.deepEqual(decide([dry], { method: 'DELETE', path: '/admin/x' }), {
    allowed: true, policy: '', dryRun: { allowed: false, policy: 'shop/dry-deny' }, audited: [],
  });
  assert.deepEqual(decide([dry], { method: 'GET', path: '/admin/x' }), {
    allowed: true, policy: '', dryRun: { allowed: true, policy: '' }, audited: [],
  });
  assert.equal(authzApplies(compileAuthz([dry]), SVC), true);
});

test('dry-run ALLOW: its shadow decision counts it as an ALLOW policy', () => {
  const dry = policy('dry-only-web', 'ALLOW', [onlyWeb], { dryRun: true });
  assert.deepEqual(decide([dry], { sourcePrincipal: 'x' }), {
    allowed: true, policy: '', dryRun: { allowed: false, policy: '' }, audited: [],
  });
  assert.deepEqual(decide([dry]), { allowed: true, policy: '', dryRun: { allowed: true, policy: 'shop/dry-only-web' }, audited: [] });
});

test('dry-run beside enforced policies: the real decision ignores it, the shadow one sees both', () => {
  const enforcedAllow = policy('allow-get', 'ALLOW', [rule({ to: [entry(pred('request.method', [m('exact', 'GET')]))] })]);
  const dryDeny = policy('dry-deny-web', 'DENY', [onlyWeb], { dryRun: true });
  const enforcedDeny = policy('deny-post', 'DENY', [rule({ to: [entry(pred('request.method', [m('exact', 'POST')]))] })]);
  const ps = [enforcedAllow, dryDeny, enforcedDeny];
  assert.deepEqual(decide(ps), { allowed: true, policy: 'shop/allow-get', dryRun: { allowed: false, policy: 'shop/dry-deny-web' }, audited: [] });
  assert.deepEqual(decide(ps, { method: 'POST' }), { allowed: false, policy: 'shop/deny-post', dryRun: { allowed: false, policy: 'shop/dry-deny-web' }, audited: [] });
  assert.deepEqual(decide(ps, { sourcePrincipal: 'x' }), { allowed: true, policy: 'shop/allow-get', dryRun: { allowed: true, policy: 'shop/allow-get' }, audited: [] });
});

test('no dryRun field when the only dry-run policy targets another service', () => {
  const ps = [policy('dry', 'DENY', [rule({})], { dryRun: true, services: [OTHER] }), policy('allow-web', 'ALLOW', [onlyWeb])];
  assert.deepEqual(decide(ps), { allowed: true, policy: 'shop/allow-web', audited: [] });
  assert.deepEqual(decide(ps, {}, OTHER), { allowed: true, policy: 'shop/allow-web', dryRun: { allowed: false, policy: 'shop/dry' }, audited: [] });
});

test('targets: a Service policy applies to that Service only; workload traffic sees only targets.all policies', () => {
  const ps = [
    policy('deny-echo', 'DENY', [rule({})], { services: [SVC] }),
    policy('allow-web', 'ALLOW', [onlyWeb]),
  ];
  const c = compileAuthz(ps);
  assert.equal(c.size, 2);
  assert.deepEqual(authorize(c, SVC, attrs()), { allowed: false, policy: 'shop/deny-echo', audited: [] });
  assert.deepEqual(authorize(c, OTHER, attrs()), { allowed: true, policy: 'shop/allow-web', audited: [] });
  assert.deepEqual(authorize(c, undefined, attrs()), { allowed: true, policy: 'shop/allow-web', audited: [] });
  assert.deepEqual(authorize(c, undefined, attrs({ sourcePrincipal: 'x' })), { allowed: false, policy: '', audited: [] });

  const serviceOnly = compileAuthz([policy('deny-echo', 'DENY', [rule({})], { services: [SVC] })]);
  assert.equal(authzApplies(serviceOnly, SVC), true);
  assert.equal(authzApplies(serviceOnly, OTHER), false);
  assert.equal(authzApplies(serviceOnly, undefined), false);
  assert.deepEqual(authorize(serviceOnly, undefined, attrs()), { allowed: true, policy: '', audited: [] });
});

test('a policy listing several Services applies to each of them', () => {
  const c = compileAuthz([policy('deny-both', 'DENY', [rule({})], { services: [SVC, OTHER] })]);
  assert.equal(authorize(c, SVC, attrs()).allowed, false);
  assert.equal(authorize(c, OTHER, attrs()).allowed, false);
  assert.equal(authorize(c, 'shop/third', attrs()).allowed, true);
});

// The bypass catalogue (hardening.md §1A #1–#6): each raw request target, cut at '?' then '#' as
// the pipeline does, normalized, then authorized against DENY paths ["/admin", "/admin/*"].
const denyAdmin = policy('deny-admin', 'DENY', [rule({ to: [entry(pred('request.path', [m('exact', '/admin'), m('prefix', '/admin/')]))] })]);
const bypasses = [
  '/admin', '/admin/x', '//admin', '//admin/x', '/%2Fadmin', '/%2fadmin/x', '/a/..%2Fadmin', '/%5Cadmin', '/%5cadmin/x',
  '/public/../admin', '/./admin', '/%2e%2e/admin/x', '/admin//x', '/admin%2Fx', '/admin/.', '/admin?x=1', '/admin#frag',
  '/admin/x?y', '/public/%2E%2E/admin', '/%61dmin', '/\\admin',
];

function cut(target: string): string {
  const q = target.indexOf('?');
  const noQuery = q < 0 ? target : target.slice(0, q);
  const h = noQuery.indexOf('#');
  return h < 0 ? noQuery : noQuery.slice(0, h);
}

/** Which of the bypasses get past the DENY in each mode (DECODE_AND_MERGE_SLASHES: none). */
const slipsThrough: Readonly<Record<PathNormalization, readonly string[]>> = {
  NONE: ['//admin', '//admin/x', '/%2Fadmin', '/%2fadmin/x', '/a/..%2Fadmin', '/%5Cadmin', '/%5cadmin/x', '/public/../admin', '/./admin', '/%2e%2e/admin/x', '/admin%2Fx', '/public/%2E%2E/admin', '/%61dmin', '/\\admin'],
  BASE: ['//admin', '//admin/x', '/%2Fadmin', '/%2fadmin/x', '/a/..%2Fadmin', '/%5Cadmin', '/%5cadmin/x', '/admin%2Fx', '/\\admin'],
  MERGE_SLASHES: ['/%2Fadmin', '/%2fadmin/x', '/a/..%2Fadmin', '/%5Cadmin', '/%5cadmin/x', '/admin%2Fx'],
  DECODE_AND_MERGE_SLASHES: [],
};

for (const mode of PATH_NORMALIZATIONS) {
  test(`path bypasses against DENY /admin, /admin/* in ${mode}`, () => {
    const c = compileAuthz([denyAdmin]);
    const through: string[] = [];
    for (const target of bypasses) {
      const n = normalizePath(cut(target), mode);
      assert.ok(n.ok, target);
      if (authorize(c, SVC, attrs({ path: n.path })).allowed) through.push(target);
    }
    assert.deepEqual(through, slipsThrough[mode]);
  });
}

test('a policy whose matcher cannot compile fails closed: DENY matches all, ALLOW none', () => {
  const badPred = pred('request.path', [m('cidr', '198.18.0.0/15')]);
  const badDeny = policy('bad-deny', 'DENY', [rule({ to: [entry(badPred)] })]);
  const badAllow = policy('bad-allow', 'ALLOW', [rule({ to: [entry(badPred)] }), rule({})]);
  assert.deepEqual(decide([badDeny]), { allowed: false, policy: 'shop/bad-deny', audited: [] });
  assert.deepEqual(decide([badAllow]), { allowed: false, policy: '', audited: [] });
  const badAudit = policy('bad-audit', 'AUDIT', [rule({ when: [badPred] })]);
  assert.deepEqual(decide([badAudit]), { allowed: true, policy: '', audited: [] });
});

test('authorize refuses an object compileAuthz did not make', () => {
  const fake: CompiledAuthz = { size: 0 };
  assert.throws(() => authorize(fake, SVC, attrs()), (e: unknown) => isMeshError(e, 'Internal'));
});

test('1000 policies compile and decide', () => {
  const ps: L7Policy[] = [];
  for (let i = 0; i < 1000; i++) {
    const services = i % 2 === 0 ? [] : [`shop/svc-${i}.shop.svc.cluster.local`];
    ps.push(policy(`p-${i}`, i % 3 === 0 ? 'DENY' : 'ALLOW', [rule({
      from: [entry(pred('source.principal', [m('exact', `cluster.local/ns/shop/sa/sa-${i}`)]))],
      to: [entry(pred('request.path', [m('prefix', `/p/${i}/`), m('template', `/t/${i}/{*}`)]), pred('request.method', [m('exact', 'GET')]))],
      when: [pred('source.ip', [m('cidr', '198.18.0.0/15')])],
    })], { services }));
  }
  const c = compileAuthz(ps);
  assert.equal(c.size, 1000);
  assert.deepEqual(authorize(c, SVC, attrs({ sourcePrincipal: 'cluster.local/ns/shop/sa/sa-6', path: '/p/6/x' })), { allowed: false, policy: 'shop/p-6', audited: [] });
  assert.deepEqual(authorize(c, SVC, attrs({ sourcePrincipal: 'cluster.local/ns/shop/sa/sa-3', path: '/p/3/x' })), { allowed: false, policy: '', audited: [] });
  assert.deepEqual(authorize(c, SVC, attrs({ sourcePrincipal: 'cluster.local/ns/shop/sa/sa-4', path: '/t/4/x' })), { allowed: true, policy: 'shop/p-4', audited: [] });
  assert.deepEqual(authorize(c, SVC, attrs({ sourcePrincipal: 'cluster.local/ns/shop/sa/sa-5', path: '/p/5/x' })), { allowed: false, policy: '', audited: [] });
  assert.deepEqual(
    authorize(c, 'shop/svc-5.shop.svc.cluster.local', attrs({ sourcePrincipal: 'cluster.local/ns/shop/sa/sa-5', path: '/p/5/x' })),
    { allowed: true, policy: 'shop/p-5', audited: [] },
  );
});
