// L7 security through the stream proxy on loopback, as a client sees it: a DENY on DELETE /admin/*
// answered 403 (also for //, %2F and dot-segment spellings, with the normalized path forwarded),
// an ALLOW that admits one service account or a JWT with group=admins, bad tokens answered 401
// with WWW-Authenticate, forged claim headers never reaching the app, the token stripped, AUDIT
// counted without blocking, decisions in the metrics and access log, and a TCP stream to a
// Service whose DENY rule reads only HTTP attributes refused (Istio's fail-closed TCP semantics).

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { L7Matcher, L7Policy, L7Predicate, WaypointSecurity } from '../../pkg/api/waypoint-security-types';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { createStreamProxy, type Peer, type StreamProxy } from './stream-proxy';
import {
  FakeView, loopbackDialer, makeBackend, makeEndpoint, request, SERVICE_HOST, serviceTarget, startBackend, startFront,
  type Front, type TestBackend,
} from './test-support';

const SVC = `shop/${SERVICE_HOST}`;
const ISSUER = 'https://issuer.ambit.test';
const INTRUDER: Peer = { identity: 'spiffe://cluster.local/ns/other/sa/intruder', address: '127.0.0.10', port: 40001 };
const m = (kind: L7Matcher['kind'], value = ''): L7Matcher => ({ kind, value });
const pred = (attribute: L7Predicate['attribute'], values: L7Matcher[], extra: Partial<L7Predicate> = {}): L7Predicate => ({
  attribute, key: '', claimPath: [], values, notValues: [], ...extra,
});
const policy = (name: string, action: L7Policy['action'], rules: L7Policy['rules'], services: string[] = []): L7Policy => ({
  name, namespace: 'shop', action, dryRun: false, targets: { all: services.length === 0, services }, rules,
});

describe('waypoint L7 security', () => {
  const logger = memoryLogger();
  const registry = new Registry();
  const view = new FakeView();
  let backend: TestBackend;
  let proxy: StreamProxy;
  let front: Front;
  let intruder: Front;
  let tcpFront: Front;
  let sign: (claims: Record<string, unknown>, exp?: number) => Promise<string>;

  before(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    sign = (claims, exp = Math.floor(Date.now() / 1000) + 600) => new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setExpirationTime(exp).sign(privateKey);
    backend = await startBackend('app');
    const security: WaypointSecurity = {
      pathNormalization: 'DECODE_AND_MERGE_SLASHES',
      authorization: [
        policy('deny-admin-delete', 'DENY', [{ from: [], to: [{ predicates: [pred('request.method', [m('exact', 'DELETE')]), pred('request.path', [m('prefix', '/admin/')])] }], when: [] }], [SVC]),
        policy('allow-productpage-or-admins', 'ALLOW', [
          { from: [{ predicates: [pred('source.principal', [m('exact', 'cluster.local/ns/shop/sa/productpage')])] }], to: [], when: [] },
          { from: [], to: [], when: [pred('request.auth.claim', [m('exact', 'admins')], { claimPath: ['group'] })] },
        ]),
        policy('audit-reports', 'AUDIT', [{ from: [], to: [{ predicates: [pred('request.path', [m('prefix', '/reports')])] }], when: [] }]),
      ],
      authentication: [{
        name: 'issuer', namespace: 'shop', targets: { all: true, services: [] },
        rules: [{
          issuer: ISSUER, audiences: [], jwks: JSON.stringify({ keys: [jwk] }), jwksUri: '', fromHeaders: [], fromParams: [], fromCookies: [],
          forwardOriginalToken: false, outputPayloadToHeader: '', outputClaimToHeaders: [{ header: 'x-jwt-group', claim: 'group' }], timeoutMs: 5000,
        }],
      }],
    };
    const b = makeBackend(`${SVC}:9080`);
    view.set(b, [makeEndpoint('app', backend.port)]);
    view.current = { namespace: 'shop', name: 'waypoint', waypointFor: 'service', services: [], workloads: [], backends: [b], security };
    proxy = createStreamProxy({ view, dial: loopbackDialer(), registry, logger, self: { namespace: 'shop', name: 'waypoint', identity: 'spiffe://cluster.local/ns/shop/sa/waypoint' } });
    front = await startFront(proxy, serviceTarget([], b.name));
    intruder = await startFront(proxy, serviceTarget([], b.name), INTRUDER);
    tcpFront = await startFront(proxy, serviceTarget([], b.name, 'TCP'), INTRUDER);
  });

  after(async () => {
    await Promise.all([front.close(), intruder.close(), tcpFront.close()]);
    await proxy.drain(0);
    await backend.close();
  });

  it('denies DELETE on /admin/* with a bare 403 while GET passes', async () => {
    const seen = backend.seen.length;
    const denied = await request(front.port, '/admin/users', { method: 'DELETE' });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers['x-ambit-reason'], 'rbac_denied');
    assert.equal(denied.body, 'RBAC: access denied');
    assert.equal(backend.seen.length, seen, 'a denied request never reaches the app');
    assert.equal((await request(front.port, '/admin/users')).status, 200);
    assert.equal((await request(front.port, '/public', { method: 'DELETE' })).status, 200);
  });

  it('matches and forwards the normalized path, so slash and dot spellings cannot dodge the DENY', async () => {
    for (const path of ['//admin/users', '/%2Fadmin/users', '/%2fadmin/users', '/public/../admin/users', '/./admin/users', '/admin/users#x', '/%5Cadmin/users']) {
      const r = await request(front.port, path, { method: 'DELETE' });
      assert.equal(r.status, 403, `DELETE ${path}`);
    }
    const r = await request(front.port, '/public/..//admin/%2e/users?q=1');
    assert.equal(r.status, 200);
    assert.equal(backend.seen.at(-1)?.url, '/admin/users?q=1');
  });

  it('admits only the allowed service account without a token', async () => {
    const r = await request(intruder.port, '/anything');
    assert.equal(r.status, 403);
    assert.equal((await request(front.port, '/anything')).status, 200);
  });

  it('admits a verified JWT with group=admins, strips the token and sets the claim header', async () => {
    const token = await sign({ sub: 'alice', group: 'admins' });
    const r = await request(intruder.port, '/anything', { headers: { authorization: `Bearer ${token}`, 'x-jwt-group': 'forged' } });
    assert.equal(r.status, 200);
    const seen = backend.seen.at(-1);
    assert.equal(seen?.headers.authorization, undefined, 'forwardOriginalToken=false removes the token');
    assert.equal(seen?.headers['x-jwt-group'], 'admins');
    assert.ok(logger.lines.some((l) => l.includes('request.auth.principal="https://issuer.ambit.test/alice"')), 'the access log names the JWT principal');
    const users = await sign({ sub: 'bob', group: 'users' });
    assert.equal((await request(intruder.port, '/anything', { headers: { authorization: `Bearer ${users}` } })).status, 403);
  });

  it('answers bad tokens with 401 and WWW-Authenticate, and drops forged claim headers without a token', async () => {
    const expired = await sign({ sub: 'alice', group: 'admins' }, Math.floor(Date.now() / 1000) - 3600);
    const r = await request(intruder.port, '/anything', { headers: { authorization: `Bearer ${expired}` } });
    assert.equal(r.status, 401);
    assert.equal(r.headers['x-ambit-reason'], 'jwt_invalid');
    assert.match(String(r.headers['www-authenticate']), /^Bearer .*invalid_token/);
    const none = 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5hbWJpdC50ZXN0Iiwic3ViIjoiYWxpY2UiLCJncm91cCI6ImFkbWlucyJ9.';
    assert.equal((await request(intruder.port, '/anything', { headers: { authorization: `Bearer ${none}` } })).status, 401);
    const ok = await request(front.port, '/anything', { headers: { 'x-jwt-group': 'admins' } });
    assert.equal(ok.status, 200);
    assert.equal(backend.seen.at(-1)?.headers['x-jwt-group'], undefined, 'a client cannot forge a claim header');
  });

  it('counts decisions, audits without blocking, and logs the deciding policy', async () => {
    assert.equal((await request(front.port, '/reports/q3')).status, 200);
    const text = registry.render();
    assert.match(text, /waypoint_authorization_decisions_total\{decision="audit",policy="shop\/audit-reports"[^}]*\} 1/);
    assert.match(text, /waypoint_authorization_decisions_total\{decision="deny",policy="shop\/deny-admin-delete"[^}]*\} [1-9]/);
    assert.match(text, /waypoint_jwt_authentications_total\{outcome="fail",reason="expired"\} 1/);
    assert.match(text, /istio_requests_total\{[^}]*response_code="403"[^}]*response_flags="DENY"[^}]*\} [1-9]/);
    assert.ok(logger.lines.some((l) => l.includes('authz.result=deny authz.policy=shop/deny-admin-delete')));
    assert.ok(logger.lines.some((l) => l.includes('authz.audit=shop/audit-reports')));
  });

  it('refuses a TCP stream when no ALLOW rule without HTTP attributes admits the peer', async () => {
    const socket = net.connect(tcpFront.port, '127.0.0.1');
    const outcome = await new Promise<string>((resolve) => {
      socket.on('data', () => resolve('data'));
      socket.on('error', () => resolve('reset'));
      socket.on('close', () => resolve('closed'));
      socket.write('hello');
    });
    assert.notEqual(outcome, 'data');
    assert.ok(logger.lines.some((l) => l.includes('flags=DENY')));
  });
});
