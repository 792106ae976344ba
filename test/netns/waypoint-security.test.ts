// L7 security at the waypoint on the local cluster, as a user drives it: AuthorizationPolicies and
// RequestAuthentications with `targetRefs` (the echo Service, or the waypoint's Gateway) applied with
// kubectl change what real requests from mesh pods get — DENY of DELETE on /admin/* (the sample),
// path-spelling bypasses that must all be refused, ALLOW of one service account, JWTs minted here
// with jose (inline JWKS, and a JWKS served by an in-mesh Service), AUDIT, and a malformed update
// that leaves the last valid policy in force and says why. Refusals, metrics and access-log lines
// are read as a user would. Root only; address block 1 and its own state root.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { MeshCluster, pinned } from './mesh-cluster';
import { echoDeployment, metricSum, waypointMetrics, waypointSupport, type FullAnswer } from './waypoint-support';

const mesh = new MeshCluster('s');
const kubectl = mesh.kubectl.bind(mesh);
const CLIENT = 'shop/deploy/client';
const INTRUDER = 'shop/deploy/intruder';
const ECHO = 'http://echo.shop/';
const SAMPLES = join(__dirname, '..', '..', '..', 'manifests', 'samples');
const ISSUER = 'https://issuer.ambit.test';
const REMOTE_ISSUER = 'https://jwks.ambit.test';
const { apply, remove, each, exchange } = waypointSupport(mesh, CLIENT, 's');

let waypointPod = '';
let signing: { local: KeyLike; remote: KeyLike; localJwks: string; remoteJwks: string };

const ON_ECHO = '  targetRefs: [{ kind: Service, group: "", name: echo }]';
const ON_WAYPOINT = '  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]';
const policy = (name: string, spec: string): string =>
  `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: ${name} }\nspec:\n${spec}\n`;
const requestAuthn = (name: string, rule: string): string =>
  `apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: { name: ${name} }\nspec:\n${ON_ECHO}\n  jwtRules:\n    - ${rule}\n`;

interface Claims { iss?: string; sub?: string; group?: string; expired?: boolean; kid?: string; key?: KeyLike }
async function token(c: Claims = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ group: c.group ?? 'admins' }).setProtectedHeader({ alg: 'RS256', kid: c.kid ?? 'k1', typ: 'JWT' })
    .setIssuer(c.iss ?? ISSUER).setSubject(c.sub ?? 'alice');
  if (c.expired) jwt.setIssuedAt(now - 7200).setExpirationTime(now - 3600);
  else jwt.setIssuedAt(now).setExpirationTime(now + 3600);
  return jwt.sign(c.key ?? signing.local);
}
const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const bearer = (t: string): string[] => ['-H', `authorization: Bearer ${t}`];

/** One request's status, waiting until it is `want` (policies take a moment to reach the waypoint). */
async function until(what: string, from: string, want: number, ...call: string[]): Promise<void> {
  await mesh.until(`${what} → ${want}`, async () => ((await each(from, [call]))[0]?.status === want ? true : undefined), 90_000);
}

/** Waits until no policy of an earlier test is in force any more. */
async function settled(): Promise<void> {
  await mesh.until('every policy gone', async () => {
    const r = await each(INTRUDER, [[`${ECHO}admin/x`], ['-X', 'DELETE', `${ECHO}admin/x`], [`${ECHO}tpl/a/secret`]]);
    return r.every((x) => x.status === 200) || undefined;
  }, 90_000);
}

const logs = (pod: string): Promise<string> => mesh.ambit('local', 'logs', pod);
/** Waits for a waypoint access-log line holding every pattern. */
async function logLine(what: string, ...patterns: RegExp[]): Promise<string> {
  return mesh.until(`a waypoint log line with ${what}`, async () =>
    (await logs(waypointPod)).split('\n').find((l) => patterns.every((p) => p.test(l))), 30_000);
}
const metrics = (): Promise<string> => waypointMetrics(mesh, waypointPod);
const echoJson = (a: FullAnswer): { path: string; headers: Record<string, string | string[]> } => JSON.parse(a.body) as { path: string; headers: Record<string, string | string[]> };

before(async () => {
  const local = await generateKeyPair('RS256');
  const remote = await generateKeyPair('RS256');
  signing = {
    local: local.privateKey,
    remote: remote.privateKey,
    localJwks: JSON.stringify({ keys: [{ ...(await exportJWK(local.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }),
    remoteJwks: JSON.stringify({ keys: [{ ...(await exportJWK(remote.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' }] }),
  };
  await mesh.up('ambit-wpsec-');
  await kubectl('create', 'namespace', 'shop');
  await kubectl('label', 'namespace', 'shop', 'istio.io/dataplane-mode=ambient');
  await kubectl('create', 'serviceaccount', 'intruder', '-n', 'shop');
  for (const f of ['echo.yaml', 'client.yaml']) await kubectl('apply', '-n', 'shop', '-f', join(SAMPLES, f));
  // A second client with its own service account, and the JWKS server (an echo with a static body).
  await apply([
    pinned('intruder', 'node1', 'ambit/sleep', { sa: 'intruder' }),
    echoDeployment('jwks', { app: 'jwks' }, 1, { RESPONSE_BODY: signing.remoteJwks, RESPONSE_CONTENT_TYPE: 'application/json' }),
    'apiVersion: v1\nkind: Service\nmetadata: { name: jwks }\nspec:\n  selector: { app: jwks }\n  ports: [{ name: http, port: 8080, targetPort: 8080 }]\n',
  ].join('\n---\n'));
  await mesh.ambit('waypoint', 'apply', '-n', 'shop', '--enroll-namespace', '--wait', '--timeout', '120s');
  const [wp] = await mesh.waitReady('shop', 'gateway.networking.k8s.io/gateway-name=waypoint', 1);
  waypointPod = `shop/${wp?.metadata.name ?? ''}`;
  const waypointIP = wp?.status.podIP ?? '';
  await mesh.waitReady('shop', 'app=echo', 2);
  await mesh.waitReady('shop', 'app=client', 1);
  await mesh.waitReady('shop', 'app=intruder', 1);
  await mesh.waitReady('shop', 'app=jwks', 1);
  for (const from of [CLIENT, INTRUDER]) {
    await mesh.until(`echo answers ${from} via the waypoint`, async () => {
      const e = await mesh.curl(from, ECHO).catch(() => undefined);
      return e?.source.startsWith(`${waypointIP}:`) ? e : undefined;
    }, 90_000);
  }
});

after(async () => {
  await mesh.down();
});

test('the sample DENY refuses DELETE on /admin/* with 403; GET /admin/x and DELETE /public pass; the denial is counted and logged', async () => {
  await kubectl('apply', '-n', 'shop', '-f', join(SAMPLES, 'waypoint-policies.yaml'));
  await until('DELETE /admin/x', CLIENT, 403, '-X', 'DELETE', `${ECHO}admin/x`);
  const denied = await exchange(CLIENT, `${ECHO}admin/x`, '-X', 'DELETE');
  assert.equal(denied.status, 403);
  assert.deepEqual(denied.headers['x-ambit-reason'], ['rbac_denied']);
  assert.equal(denied.body.trim(), 'RBAC: access denied');
  const [get, other] = await each(CLIENT, [[`${ECHO}admin/x`], ['-X', 'DELETE', `${ECHO}public`]]);
  assert.equal(get?.status, 200);
  assert.equal(other?.status, 200);

  const m = await metrics();
  assert.ok(metricSum(m, 'istio_requests_total', { reporter: 'waypoint', response_code: '403', response_flags: 'DENY' }) >= 1, m);
  assert.ok(metricSum(m, 'waypoint_authorization_decisions_total', { decision: 'deny', policy: 'shop/echo-deny-admin-delete' }) >= 1, m);
  await logLine('the DENY', /authz\.result="?deny/, /authz\.policy="?shop\/echo-deny-admin-delete/);
  await kubectl('delete', '-n', 'shop', '-f', join(SAMPLES, 'waypoint-policies.yaml'), '--ignore-not-found');
  await settled();
});

test('a DENY on /admin/* (targeting the waypoint) cannot be dodged by spelling the path differently', async () => {
  await apply(policy('deny-admin', `${ON_WAYPOINT}\n  action: DENY\n  rules: [{ to: [{ operation: { paths: ["/admin/*"] } }] }]`));
  await until('GET /admin/x', CLIENT, 403, `${ECHO}admin/x`);
  const bypasses = ['//admin/x', '/%2Fadmin/x', '/%2fadmin/x', '/admin%2Fx', '/%5Cadmin/x', '/public/../admin/x',
    '/public/%2e%2e/admin/x', '/./admin/x', '/admin/x?y', '/admin/x#frag', '/admin//x'];
  const got = await each(CLIENT, bypasses.map((t) => ['--request-target', t, ECHO]));
  assert.deepEqual(got.map((r, i) => `${bypasses[i]} ${r.status} ${r.reason}`), bypasses.map((t) => `${t} 403 rbac_denied`));
  // Normalized paths are also what the backend receives.
  const marker = `fwd-${Date.now().toString(36)}`;
  const [ok] = await each(CLIENT, [['--request-target', `/public/../${marker}//y`, ECHO]]);
  assert.equal(ok?.status, 200);
  const echoPods = await mesh.pods('shop', 'app=echo');
  await mesh.until(`an echo pod logged GET /${marker}/y`, async () => {
    const echoLogs = (await Promise.all(echoPods.map((p) => logs(`shop/${p.metadata.name}`)))).join('\n');
    return echoLogs.includes(` GET /${marker}/y 200 `) || undefined;
  }, 30_000);
  await remove('authorizationpolicy', 'deny-admin');
  await settled();
});

test('an ALLOW for one service account admits it and refuses the other client with 403', async () => {
  await apply(policy('allow-client', `${ON_ECHO}\n  rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/client"] } }] }]`));
  await until('GET / from the intruder', INTRUDER, 403, ECHO);
  const [mine] = await each(CLIENT, [[ECHO]]);
  assert.equal(mine?.status, 200);
  const theirs = await exchange(INTRUDER, ECHO);
  assert.equal(theirs.status, 403);
  assert.deepEqual(theirs.headers['x-ambit-reason'], ['rbac_denied']);
  const m = await metrics();
  assert.ok(metricSum(m, 'waypoint_authorization_decisions_total', { decision: 'allow', policy: 'shop/allow-client' }) >= 1, m);
  assert.ok(metricSum(m, 'istio_requests_total', { response_code: '403', source_principal: 'spiffe://cluster.local/ns/shop/sa/intruder' }) >= 1, m);
  await remove('authorizationpolicy', 'allow-client');
  await settled();
});

test('a JWT with group=admins is required: bad tokens get 401, other groups and no token 403, forged claim headers are replaced', async () => {
  await apply([
    requestAuthn('jwt-local', `issuer: ${ISSUER}\n      jwks: ${JSON.stringify(signing.localJwks)}\n      outputClaimToHeaders: [{ header: x-jwt-group, claim: group }]`),
    policy('require-admins', `${ON_ECHO}\n  rules:\n    - from: [{ source: { requestPrincipals: ["*"] } }]\n      when: [{ key: "request.auth.claims[group]", values: ["admins"] }]`),
  ].join('---\n'));
  const admins = await token();
  await until('GET / with an admins token', CLIENT, 200, ...bearer(admins), ECHO);
  await until('GET / without a token', CLIENT, 403, ECHO);

  const ok = await exchange(CLIENT, ECHO, ...bearer(admins), '-H', 'x-jwt-group: forged');
  assert.equal(ok.status, 200);
  assert.equal(echoJson(ok).headers['x-jwt-group'], 'admins', 'the verified claim replaces the forged header');
  assert.equal(echoJson(ok).headers.authorization, undefined, 'the token is not forwarded');

  const algNone = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: ISSUER, sub: 'alice', group: 'admins', exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
  const cases: [string, string[], number, string][] = [
    ['group=users', bearer(await token({ group: 'users' })), 403, 'rbac_denied'],
    ['no token', [], 403, 'rbac_denied'],
    ['expired', bearer(await token({ expired: true })), 401, 'jwt_invalid'],
    ['wrong issuer', bearer(await token({ iss: 'https://evil.example' })), 401, 'jwt_invalid'],
    ['alg none', bearer(algNone), 401, 'jwt_invalid'],
    ['signed by another key', bearer(await token({ key: signing.remote })), 401, 'jwt_invalid'],
  ];
  const got = await each(CLIENT, cases.map(([, args]) => [...args, ECHO]));
  assert.deepEqual(got.map((r, i) => `${cases[i]?.[0]}: ${r.status} ${r.reason}`), cases.map(([what, , s, r]) => `${what}: ${s} ${r}`));

  const expired = await exchange(CLIENT, ECHO, ...bearer(await token({ expired: true })));
  assert.match(expired.headers['www-authenticate']?.[0] ?? '', /^Bearer realm="[^"]*",? error="invalid_token"/);
  assert.equal(expired.body.trim(), 'Jwt verification fails');

  const m = await metrics();
  assert.ok(metricSum(m, 'waypoint_jwt_authentications_total', { outcome: 'ok' }) >= 1, m);
  assert.ok(metricSum(m, 'waypoint_jwt_authentications_total', { outcome: 'fail' }) >= 4, m);
  assert.ok(metricSum(m, 'waypoint_jwt_authentications_total', { outcome: 'none' }) >= 1, m);
  await logLine('the JWT principal', new RegExp(`request\\.auth\\.principal="?${ISSUER.replace(/[./]/g, '\\$&')}/alice`));
  await remove('authorizationpolicy', 'require-admins');
  await remove('requestauthentication', 'jwt-local');
  await settled();
});

test('the JWT samples work with the README\'s demo tokens', async () => {
  const readme = await readFile(join(SAMPLES, 'README.md'), 'utf8');
  const admin = /ADMIN_TOKEN=(\S+)/.exec(readme)?.[1] ?? '';
  const user = /USER_TOKEN=(\S+)/.exec(readme)?.[1] ?? '';
  await kubectl('apply', '-n', 'shop', '-f', join(SAMPLES, 'waypoint-jwt.yaml'));
  await until('GET /admin/x without a token', CLIENT, 403, `${ECHO}admin/x`);
  await until('GET /admin/x with the admin token', CLIENT, 200, ...bearer(admin), `${ECHO}admin/x`);
  const got = await each(CLIENT, [[...bearer(user), `${ECHO}admin/x`], [`${ECHO}public`], [...bearer(`${admin}x`), `${ECHO}public`]]);
  assert.deepEqual(got.map((r) => r.status), [403, 200, 401]);
  await kubectl('delete', '-n', 'shop', '-f', join(SAMPLES, 'waypoint-jwt.yaml'), '--ignore-not-found');
  await settled();
});

test('a JWKS fetched through the mesh from an in-mesh Service verifies tokens', async () => {
  await apply([
    requestAuthn('jwt-remote', `issuer: ${REMOTE_ISSUER}\n      jwksUri: http://jwks.shop.svc.cluster.local:8080/`),
    policy('require-bob', `${ON_ECHO}\n  rules: [{ from: [{ source: { requestPrincipals: ["${REMOTE_ISSUER}/bob"] } }] }]`),
  ].join('---\n'));
  const bob = await token({ iss: REMOTE_ISSUER, sub: 'bob', kid: 'k2', key: signing.remote });
  await until('GET / with a token signed by the served key', CLIENT, 200, ...bearer(bob), ECHO);
  const forged = await token({ iss: REMOTE_ISSUER, sub: 'bob', kid: 'k2', key: signing.local });
  const got = await each(CLIENT, [[ECHO], [...bearer(forged), ECHO]]);
  assert.deepEqual(got.map((r) => `${r.status} ${r.reason}`), ['403 rbac_denied', '401 jwt_invalid']);
  await remove('authorizationpolicy', 'require-bob');
  await remove('requestauthentication', 'jwt-remote');
  await settled();
});

test('an AUDIT policy lets matching requests through and logs and counts them', async () => {
  await apply(policy('audit-reports', `${ON_ECHO}\n  action: AUDIT\n  rules: [{ to: [{ operation: { paths: ["/reports/*"] } }] }]`));
  await mesh.until('the audit is counted', async () => {
    const [r] = await each(CLIENT, [[`${ECHO}reports/q1`]]);
    assert.equal(r?.status, 200, 'an AUDIT match is never refused');
    return metricSum(await metrics(), 'waypoint_authorization_decisions_total', { decision: 'audit', policy: 'shop/audit-reports' }) >= 1 || undefined;
  }, 90_000);
  await logLine('the audit', /authz\.audit="?shop\/audit-reports/, /\/reports\/q1/);
  await remove('authorizationpolicy', 'audit-reports');
});

test('a malformed update keeps the last valid policy in force and its status says why', async () => {
  await apply(policy('deny-tpl', `${ON_ECHO}\n  action: DENY\n  rules: [{ to: [{ operation: { paths: ["/tpl/{*}/secret"] } }] }]`));
  await until('GET /tpl/a/secret', CLIENT, 403, `${ECHO}tpl/a/secret`);
  assert.equal((await each(CLIENT, [[`${ECHO}tpl/a/b/secret`]]))[0]?.status, 200, '{*} is exactly one segment');
  await apply(policy('deny-tpl', `${ON_ECHO}\n  action: DENY\n  rules: [{ to: [{ operation: { paths: ["/a/{**}/b"] } }] }]`));
  const message = await mesh.until('the rejection in status', async () => {
    const out = await kubectl('get', 'authorizationpolicy', '-n', 'shop', 'deny-tpl', '-o', 'json');
    const conditions = (JSON.parse(out) as { status?: { conditions?: { type: string; status: string; message: string }[] } }).status?.conditions ?? [];
    return conditions.find((c) => c.type === 'Accepted' && c.status === 'False')?.message;
  }, 60_000);
  assert.match(message, /last valid version/);
  assert.match(message, /spec\.rules\[0\]\.to\[0\]\.operation\.paths\[0\]/);
  const got = await each(CLIENT, [[`${ECHO}tpl/a/secret`], [`${ECHO}a/x/b`]]);
  assert.deepEqual(got.map((r) => r.status), [403, 200], 'the last valid version stays enforced');
  await remove('authorizationpolicy', 'deny-tpl');
  await settled();
});
