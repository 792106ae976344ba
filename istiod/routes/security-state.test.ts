// Which AuthorizationPolicies and RequestAuthentications reach which waypoint's config (pure, over
// RouteState): Gateway, bound-Service and root-namespace GatewayClass targets, bindings that move,
// the last valid version kept, fail-closed for policies never valid, and only affected waypoints
// rebuilt. Every config built passes pkg/api's validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { L7Policy, WaypointSecurity } from '../../pkg/api/waypoint-security-types';
import { waypointConfigProblems } from '../../pkg/api/waypoint-validate';
import { toMeshPolicy, toMeshService } from '../kube/mesh-convert';
import { emptyTouched, type RouteState, type Touched } from './route-state';
import { authnStatusKey } from './security-state';
import { loadScenario } from './test-support';

const CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/use-waypoint: waypoint}}
---
apiVersion: v1
kind: Namespace
metadata: {name: books}
---
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {namespace: shop, name: waypoint}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {namespace: shop, name: other}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {namespace: books, name: wp}
---
apiVersion: v1
kind: Service
metadata: {namespace: shop, name: reviews}
spec: {selector: {app: reviews}, clusterIP: 198.19.0.10, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {namespace: shop, name: ratings}
spec: {selector: {app: ratings}, clusterIP: 198.19.0.11, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {namespace: books, name: catalog, labels: {istio.io/use-waypoint: wp}}
spec: {selector: {app: catalog}, clusterIP: 198.19.0.12, ports: [{name: http, port: 8080}]}
`;

const WAYPOINTS = ['books/wp', 'shop/other', 'shop/waypoint'];

type Ref = { group?: string; kind: string; name: string };
const gatewayRef = (name: string): Ref => ({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name });
const serviceRef = (name: string): Ref => ({ group: '', kind: 'Service', name });
const classRef: Ref = { group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' };

function policy(namespace: string, name: string, generation: number, spec: Record<string, unknown>,
  annotations: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy',
    metadata: { namespace, name, generation, annotations }, spec,
  };
}

const denyDelete = (refs: Ref[]): Record<string, unknown> => ({
  targetRefs: refs, action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'], paths: ['/admin/*'] } }] }],
});

function applyAp(state: RouteState, object: Record<string, unknown>): Touched {
  const t = emptyTouched();
  const p = toMeshPolicy(object);
  assert.ok(p);
  state.security.applyAuthorizationPolicy(p, t);
  return t;
}

function applyRa(state: RouteState, object: Record<string, unknown>): Touched {
  const t = emptyTouched();
  const p = toMeshPolicy(object);
  assert.ok(p);
  state.security.applyRequestAuthentication(p, t);
  return t;
}

/** Every waypoint's security, each config checked by the wire validator. */
function securityOf(state: RouteState): Record<string, WaypointSecurity> {
  const out: Record<string, WaypointSecurity> = {};
  for (const key of [...state.gateways().keys()].sort()) {
    const config = state.build(key);
    assert.ok(config?.security, key);
    assert.deepEqual(waypointConfigProblems(config), [], `config ${key} is valid`);
    out[key] = config.security;
  }
  return out;
}

/** "<ns>/<name> <action> all|<services> <rules>" per waypoint, for compact assertions. */
function summary(state: RouteState): Record<string, string[]> {
  const line = (p: L7Policy): string => `${p.namespace}/${p.name} ${p.action}${p.dryRun ? ' dry-run' : ''} `
    + `${p.targets.all ? 'all' : p.targets.services.join(',')} rules=${p.rules.length}`;
  return Object.fromEntries(Object.entries(securityOf(state)).map(([k, s]) => [k, s.authorization.map(line)]));
}

const affected = (state: RouteState, t: Touched): string[] => [...state.affected(t)].sort();

test('every config carries security: the path normalization setting and no policies by default', () => {
  const plain = loadScenario(CLUSTER);
  for (const s of Object.values(securityOf(plain))) {
    assert.deepEqual(s, { pathNormalization: 'DECODE_AND_MERGE_SLASHES', authorization: [], authentication: [] });
  }
  const base = loadScenario(CLUSTER, { pathNormalization: 'BASE' });
  assert.deepEqual(Object.values(securityOf(base)).map((s) => s.pathNormalization), ['BASE', 'BASE', 'BASE']);
});

test('a Gateway-targeted policy reaches that waypoint only, and its event rebuilds only its namespace\'s waypoints', () => {
  const state = loadScenario(CLUSTER);
  securityOf(state);
  const t = applyAp(state, policy('shop', 'no-delete', 1, denyDelete([gatewayRef('waypoint')])));
  assert.deepEqual(affected(state, t), ['shop/other', 'shop/waypoint']);
  // Same Gateway name in another namespace: a policy can only target its own namespace's Gateway.
  applyAp(state, policy('books', 'elsewhere', 1, denyDelete([gatewayRef('waypoint')])));
  assert.deepEqual(summary(state), { 'books/wp': [], 'shop/other': [], 'shop/waypoint': ['shop/no-delete DENY all rules=1'] });
  const rule = securityOf(state)['shop/waypoint']?.authorization[0]?.rules[0];
  assert.deepEqual(rule?.to[0]?.predicates.map((p) => p.attribute).sort(), ['request.method', 'request.path']);

  const del = emptyTouched();
  state.security.deleteAuthorizationPolicy('shop', 'no-delete', del);
  assert.deepEqual(affected(state, del), ['shop/other', 'shop/waypoint']);
  assert.deepEqual(summary(state)['shop/waypoint'], []);
});

test('a Service-targeted policy follows the Service\'s binding', () => {
  const state = loadScenario(CLUSTER);
  applyAp(state, policy('shop', 'reviews-only', 1, denyDelete([serviceRef('reviews'), serviceRef('reviews'), serviceRef('ratings'), serviceRef('missing')])));
  assert.deepEqual(summary(state), {
    'books/wp': [], 'shop/other': [],
    'shop/waypoint': ['shop/reviews-only DENY shop/ratings.shop.svc.cluster.local,shop/reviews.shop.svc.cluster.local rules=1'],
  });

  const rebind = (labels: Record<string, string>): Touched => {
    const t = emptyTouched();
    const svc = toMeshService({ metadata: { namespace: 'shop', name: 'reviews', labels }, spec: { selector: { app: 'reviews' }, clusterIP: '198.19.0.10', ports: [{ name: 'http', port: 9080 }] } });
    assert.ok(svc);
    state.applyService(svc, t);
    return t;
  };
  assert.deepEqual(affected(state, rebind({ 'istio.io/use-waypoint': 'other' })), ['shop/other', 'shop/waypoint']);
  assert.deepEqual(summary(state), {
    'books/wp': [],
    'shop/other': ['shop/reviews-only DENY shop/reviews.shop.svc.cluster.local rules=1'],
    'shop/waypoint': ['shop/reviews-only DENY shop/ratings.shop.svc.cluster.local rules=1'],
  });
  rebind({ 'istio.io/use-waypoint': 'none' });
  assert.deepEqual(summary(state)['shop/other'], []);
});

test('a GatewayClass istio-waypoint policy from the root namespace reaches every waypoint; elsewhere it reaches none', () => {
  const state = loadScenario(CLUSTER);
  securityOf(state);
  const t = applyAp(state, policy('istio-system', 'mesh-audit', 1, { targetRefs: [classRef], action: 'AUDIT', rules: [{}] }));
  assert.equal(t.all, true);
  assert.deepEqual(affected(state, t), WAYPOINTS);
  const log = applyAp(state, policy('shop', 'not-root', 1, { targetRefs: [classRef], action: 'DENY', rules: [{}] })).log;
  assert.equal(log.length, 1);
  assert.match(log[0] ?? '', /^AuthorizationPolicy shop\/not-root \(generation 1\) rejected: spec\.targetRefs\[0\]\.kind: .*root namespace.*; no waypoint enforces it$/);
  assert.deepEqual(summary(state), {
    'books/wp': ['istio-system/mesh-audit AUDIT all rules=1'],
    'shop/other': ['istio-system/mesh-audit AUDIT all rules=1'],
    'shop/waypoint': ['istio-system/mesh-audit AUDIT all rules=1'],
  });
});

test('an invalid update keeps the last valid rules; one log line per rejected generation', () => {
  const state = loadScenario(CLUSTER);
  applyAp(state, policy('shop', 'p', 1, denyDelete([gatewayRef('waypoint')])));
  securityOf(state);
  const broken = policy('shop', 'p', 2, { ...denyDelete([gatewayRef('waypoint')]), action: 'BLOCK' });
  const t = applyAp(state, broken);
  assert.deepEqual(t.log.length, 1);
  assert.match(t.log[0] ?? '', /^AuthorizationPolicy shop\/p \(generation 2\) rejected: spec\.action: "BLOCK".*; waypoints keep enforcing generation 1$/);
  assert.deepEqual(affected(state, t), [], 'nothing to rebuild: generation 1 stays');
  assert.deepEqual(summary(state)['shop/waypoint'], ['shop/p DENY all rules=1']);
  assert.deepEqual(applyAp(state, broken).log, [], 'the same generation again: no new line');
  applyAp(state, policy('shop', 'p', 3, { targetRefs: [gatewayRef('waypoint')], rules: [{ from: [{ source: { namespaces: ['shop'] } }] }] }));
  assert.deepEqual(summary(state)['shop/waypoint'], ['shop/p ALLOW all rules=1']);
});

test('a policy never valid fails closed as ALLOW with no rules until it is fixed', () => {
  const state = loadScenario(CLUSTER);
  const bad = policy('shop', 'p', 1, { targetRefs: [gatewayRef('waypoint'), serviceRef('reviews')], action: 'DENY', rules: [{ to: [{ operation: { paths: ['/a/{**}/b'] } }] }] },
    { 'istio.io/dry-run': 'true' });
  const t = applyAp(state, bad);
  assert.match(t.log[0] ?? '', /^AuthorizationPolicy shop\/p \(generation 1\) rejected: spec\.rules\[0\]\.to\[0\]\.operation\.paths\[0\]: .*; waypoints enforce it as an ALLOW policy with no rules \(allowing nothing\) until it is fixed$/);
  const sent = securityOf(state)['shop/waypoint']?.authorization;
  assert.deepEqual(sent, [{
    name: 'p', namespace: 'shop', action: 'ALLOW', dryRun: false, rules: [],
    targets: { all: true, services: ['shop/reviews.shop.svc.cluster.local'] },
  }]);
  applyAp(state, policy('shop', 'p', 2, denyDelete([gatewayRef('waypoint')]), { 'istio.io/dry-run': 'true' }));
  assert.deepEqual(summary(state)['shop/waypoint'], ['shop/p DENY dry-run all rules=1']);
  // Unreadable refs: nothing to attach it to.
  applyAp(state, policy('shop', 'q', 1, { targetRefs: [{ kind: 'Pod', name: 'x' }], rules: [] }));
  assert.deepEqual(summary(state)['shop/waypoint'], ['shop/p DENY dry-run all rules=1']);
});

test('a policy once valid at ztunnel never fails closed at the waypoint; one moving to a selector leaves it', () => {
  const state = loadScenario(CLUSTER);
  applyAp(state, policy('shop', 'p', 1, { selector: { matchLabels: { app: 'reviews' } }, rules: [{ from: [{ source: { namespaces: ['shop'] } }] }] }));
  applyAp(state, policy('shop', 'p', 2, { targetRefs: [gatewayRef('waypoint')], action: 'BLOCK' }));
  assert.deepEqual(summary(state)['shop/waypoint'], []);
  applyAp(state, policy('shop', 'q', 1, denyDelete([gatewayRef('waypoint')])));
  assert.deepEqual(summary(state)['shop/waypoint'], ['shop/q DENY all rules=1']);
  applyAp(state, policy('shop', 'q', 2, { selector: { matchLabels: { app: 'reviews' } }, action: 'DENY', rules: [{ from: [{ source: { namespaces: ['x'] } }] }] }));
  assert.deepEqual(summary(state)['shop/waypoint'], []);
});

function jwks(): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] });
}

const requestAuthn = (namespace: string, name: string, generation: number, spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { namespace, name, generation }, spec,
});

test('RequestAuthentications: attached like policies, the last valid one kept, never-valid ones not sent, status with problems', () => {
  const state = loadScenario(CLUSTER);
  const keys = jwks();
  securityOf(state);
  const t = applyRa(state, requestAuthn('books', 'jwt', 1, { targetRefs: [serviceRef('catalog')], jwtRules: [{ issuer: 'https://issuer.example', jwks: keys }] }));
  assert.deepEqual(affected(state, t), ['books/wp']);
  assert.deepEqual([...t.authnStatusKeys], [authnStatusKey('books', 'jwt')]);
  const sent = (): WaypointSecurity['authentication'] | undefined => securityOf(state)['books/wp']?.authentication;
  assert.deepEqual(sent()?.map((a) => [a.namespace, a.name, a.targets, a.rules.map((r) => r.issuer)]),
    [['books', 'jwt', { all: false, services: ['books/catalog.books.svc.cluster.local'] }, ['https://issuer.example']]]);
  assert.equal(sent()?.[0]?.rules[0]?.jwks, keys);
  assert.equal(state.security.authnStatus(authnStatusKey('books', 'jwt'))?.view.shape, 'conditions');

  const update = applyRa(state, requestAuthn('books', 'jwt', 2, { targetRefs: [serviceRef('catalog')], jwtRules: [{ issuer: 'https://issuer.example' }] }));
  assert.match(update.log[0] ?? '', /^RequestAuthentication books\/jwt \(generation 2\) rejected: .*; generation 1 stays in force$/);
  assert.equal(sent()?.[0]?.rules[0]?.jwks, keys, 'generation 1 still sent');
  const status = state.security.authnStatus(authnStatusKey('books', 'jwt'))?.view;
  assert.ok(status?.shape === 'conditions');
  assert.equal(status.generation, 2);
  assert.deepEqual(status.conditions.map((c) => [c.type, c.status]), [['Accepted', 'False']]);
  assert.match(status.conditions[0]?.message ?? '', /jwtRules\[0\]/);

  applyRa(state, requestAuthn('shop', 'never', 1, { targetRefs: [gatewayRef('waypoint')], jwtRules: [{ jwks: keys }] }));
  assert.deepEqual(securityOf(state)['shop/waypoint']?.authentication, []);
  const d = emptyTouched();
  state.security.deleteRequestAuthentication('books', 'jwt', d);
  assert.deepEqual(affected(state, d), ['books/wp']);
  assert.deepEqual(sent(), []);
  assert.equal(state.security.authnStatus(authnStatusKey('books', 'jwt')), undefined);
});

test('policies are sorted by namespace then name', () => {
  const state = loadScenario(CLUSTER);
  for (const [ns, name] of [['istio-system', 'z'], ['istio-system', 'a']]) {
    applyAp(state, policy(ns, name, 1, { targetRefs: [classRef], action: 'DENY', rules: [{ to: [{ operation: { methods: ['TRACE'] } }] }] }));
  }
  applyAp(state, policy('books', 'b', 1, denyDelete([gatewayRef('wp')])));
  applyAp(state, policy('books', 'a', 1, denyDelete([serviceRef('catalog')])));
  assert.deepEqual(securityOf(state)['books/wp']?.authorization.map((p) => `${p.namespace}/${p.name}`),
    ['books/a', 'books/b', 'istio-system/a', 'istio-system/z']);
});
