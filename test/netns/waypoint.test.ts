// Waypoints on the local cluster, as a user drives them: `ambit waypoint apply -n shop
// --enroll-namespace --wait`, then Gateway API routes and Istio VirtualService/DestinationRule
// resources change what real requests from a mesh pod get — header routing, prefix routing with a
// rewrite, a 90/10 split, fault abort and delay, retries over a flaky backend, a route timeout,
// outlier ejection, gRPC calls spread over pods, mirroring, a Service opted out of the waypoint, and
// deleting the waypoint while bindings remain (traffic refused, and said why). Root only; address
// block 1 and its own state root.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MeshCluster, type Pod } from './mesh-cluster';
import { count, echoDeployment, httpRoute, waypointSupport } from './waypoint-support';

const mesh = new MeshCluster('w');
const kubectl = mesh.kubectl.bind(mesh);
const CLIENT = 'shop/deploy/client';
const ECHO = 'http://echo.shop/';
const REPO_DIST = join(__dirname, '..', '..');

const support = waypointSupport(mesh, CLIENT);
const { apply, remove, requests, eventually } = support;

let waypointIP = '';

before(async () => {
  await mesh.up('ambit-waypoint-');
  await kubectl('create', 'namespace', 'shop');
  await kubectl('label', 'namespace', 'shop', 'istio.io/dataplane-mode=ambient');
  for (const f of ['echo.yaml', 'echo-versions.yaml', 'client.yaml', 'grpc-echo.yaml']) {
    await kubectl('apply', '-n', 'shop', '-f', join(REPO_DIST, '..', 'manifests', 'samples', f));
  }
  await mesh.waitReady('shop', 'app=echo', 2);
  await mesh.waitReady('shop', 'app=client', 1);
  await mesh.waitReady('shop', 'app=grpc-echo', 2);
});

after(async () => {
  await mesh.down();
});

test('ambit waypoint apply deploys a waypoint; the namespace\'s Service traffic passes through it', async () => {
  const out = await mesh.ambit('waypoint', 'apply', '-n', 'shop', '--enroll-namespace', '--wait', '--timeout', '120s');
  assert.match(out, /waypoint/);
  const gw = JSON.parse(await kubectl('get', 'gateway', '-n', 'shop', 'waypoint', '-o', 'json')) as { status?: { conditions?: { type: string; status: string }[]; addresses?: { value: string }[] } };
  assert.equal(gw.status?.conditions?.find((c) => c.type === 'Programmed')?.status, 'True');
  assert.equal(gw.status?.addresses?.[0]?.value, 'waypoint.shop.svc.cluster.local');
  const [wp] = await mesh.waitReady('shop', 'gateway.networking.k8s.io/gateway-name=waypoint', 1) as Pod[];
  waypointIP = wp?.status.podIP ?? '';
  assert.ok(waypointIP);
  // The app sees the waypoint as the source once requests go through it.
  const echo = await mesh.until('echo answered via the waypoint', async () => {
    const e = await mesh.curl(CLIENT, ECHO).catch(() => undefined);
    return e && e.source.startsWith(`${waypointIP}:`) ? e : undefined;
  }, 90_000);
  assert.ok(echo.pod.startsWith('echo-'));
  const list = await mesh.ambit('waypoint', 'list', '-n', 'shop');
  assert.match(list, /waypoint/);
});

test('header match routes to v2; everything else to v1', async () => {
  await apply(httpRoute('by-header', `
    - matches: [{ headers: [{ name: x-version, value: v2 }] }]
      backendRefs: [{ name: echo-v2, port: 80 }]
    - backendRefs: [{ name: echo-v1, port: 80 }]`));
  await eventually('x-version: v2 → v2', 5, ECHO, (r) => r.every((x) => x.version === 'v2'), '-H', 'x-version: v2');
  await eventually('no header → v1', 5, ECHO, (r) => r.every((x) => x.version === 'v1'));
  await remove('httproute', 'by-header');
});

test('a path prefix route rewrites the prefix before the backend sees it', async () => {
  await apply(httpRoute('api-prefix', `
    - matches: [{ path: { type: PathPrefix, value: /api } }]
      filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /v2 } } }]
      backendRefs: [{ name: echo-v1, port: 80 }]`));
  const echo = await mesh.until('/api/items arrives as /v2/items', async () => {
    const e = await mesh.curl(CLIENT, `${ECHO}api/items`).catch(() => undefined) as (Awaited<ReturnType<typeof mesh.curl>> & { path?: string }) | undefined;
    return e?.path === '/v2/items' ? e : undefined;
  }, 90_000);
  assert.ok(echo.pod.startsWith('echo-v1'));
  // Gateway API: a request that matches no rule of an attached route is answered 404.
  const other = await requests(1, `${ECHO}other`);
  assert.equal(other[0]?.status, 404);
  await remove('httproute', 'api-prefix');
});

test('a 90/10 split comes out within a few percent over 300 requests', async () => {
  await kubectl('apply', '-n', 'shop', '-f', join(REPO_DIST, '..', 'manifests', 'samples', 'echo-canary.yaml'));
  await eventually('the split is in force', 20, ECHO, (r) => r.every((x) => x.status === 200) && count(r, (x) => x.version === 'v1') >= 14);
  const r = await requests(300, ECHO);
  const v2 = count(r, (x) => x.version === 'v2');
  assert.equal(count(r, (x) => x.status === 200), 300);
  assert.ok(v2 >= 15 && v2 <= 45, `v2 answered ${v2}/300 (want 10 % ± 5 %)`);
  await remove('httproute', 'echo-canary');
});

test('VirtualService fault abort 50 % gives about half 503s; a delay holds the request', async () => {
  await apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: echo-faults }
spec:
  hosts: [echo]
  http:
    - match: [{ uri: { prefix: /slow } }]
      fault: { delay: { fixedDelay: 1s, percentage: { value: 100 } } }
      route: [{ destination: { host: echo } }]
    - fault: { abort: { httpStatus: 503, percentage: { value: 50 } } }
      route: [{ destination: { host: echo } }]
`);
  const r = await eventually('about half aborted', 100, ECHO, (x) => count(x, (y) => y.status === 503) > 0);
  const aborted = count(r, (x) => x.status === 503);
  assert.ok(aborted >= 30 && aborted <= 70, `${aborted}/100 aborted`);
  assert.ok(r.filter((x) => x.status === 503).every((x) => x.reason === 'fault_abort'));
  const timed = await mesh.ambit('local', 'exec', CLIENT, '--', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', `${ECHO}slow`);
  const [code, seconds] = timed.trim().split(' ');
  assert.equal(code, '200');
  assert.ok(Number(seconds) >= 1, `the delayed request took ${seconds}s`);
  await remove('virtualservice', 'echo-faults');
});

test('retries turn a flaky backend\'s failures into successes', async () => {
  await apply(`${echoDeployment('flaky', { app: 'flaky' }, 1, { FAIL_EVERY: '2', FAIL_STATUS: '500' })}
---
apiVersion: v1
kind: Service
metadata: { name: flaky }
spec: { selector: { app: flaky }, ports: [{ name: http, port: 80, targetPort: 8080 }] }
`);
  await mesh.waitReady('shop', 'app=flaky', 1);
  const before = await eventually('flaky answers', 20, 'http://flaky.shop/', (r) => r.some((x) => x.status === 200));
  assert.ok(count(before, (x) => x.status === 500) >= 8, 'without a retry policy every other request fails');
  await apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: flaky-retries }
spec:
  hosts: [flaky]
  http: [{ retries: { attempts: 3, retryOn: 5xx }, route: [{ destination: { host: flaky } }] }]
`);
  await eventually('every request succeeds', 20, 'http://flaky.shop/', (r) => r.every((x) => x.status === 200));
});

test('a route timeout answers 504 and says why', async () => {
  await apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: echo-timeout }
spec:
  hosts: [echo]
  http: [{ timeout: 500ms, route: [{ destination: { host: echo } }] }]
`);
  const r = await eventually('504 after the timeout', 1, `${ECHO}?delay=3000`, (x) => x[0]?.status === 504);
  assert.equal(r[0]?.reason, 'upstream_timeout');
  await remove('virtualservice', 'echo-timeout');
});

test('outlier detection ejects the endpoint that keeps failing', async () => {
  await apply(`${echoDeployment('shaky-good', { app: 'shaky-good', svc: 'shaky' }, 1, {})}
---
${echoDeployment('shaky-bad', { app: 'shaky-bad', svc: 'shaky' }, 1, { FAIL_EVERY: '1', FAIL_STATUS: '500' })}
---
apiVersion: v1
kind: Service
metadata: { name: shaky }
spec: { selector: { svc: shaky }, ports: [{ name: http, port: 80, targetPort: 8080 }] }
`);
  await mesh.waitReady('shop', 'svc=shaky', 2);
  await eventually('both endpoints answer', 10, 'http://shaky.shop/', (r) => r.some((x) => x.status === 500) && r.some((x) => x.status === 200));
  await apply(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: shaky-outlier }
spec:
  host: shaky
  trafficPolicy:
    loadBalancer: { simple: ROUND_ROBIN }
    outlierDetection: { consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100 }
`);
  await eventually('no failures once ejected', 20, 'http://shaky.shop/', (r) => r.every((x) => x.status === 200));
  await remove('destinationrule', 'shaky-outlier');
});

test('gRPC calls over one channel spread across both pods', async () => {
  const out = await mesh.until('both grpc-echo pods answer', async () => {
    const stdout = await mesh.ambit('local', 'exec', CLIENT, '--', process.execPath,
      join(REPO_DIST, 'localcluster', 'images', 'grpc-echo.js'), 'client', 'grpc-echo.shop:9090', '20').catch(() => '{}');
    const counts = JSON.parse(stdout) as Record<string, number>;
    const pods = Object.keys(counts).filter((k) => k.startsWith('grpc-echo-'));
    return pods.length === 2 ? counts : undefined;
  }, 90_000);
  assert.equal(Object.values(out).reduce((a, b) => a + b, 0), 20);
});

test('a mirrored request reaches the mirror without changing the answer', async () => {
  await apply(httpRoute('mirror', `
    - filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: echo-v2, port: 80 } } }]
      backendRefs: [{ name: echo-v1, port: 80 }]`));
  await eventually('answers come from v1 only', 10, `${ECHO}mirrored-${support.applied}`, (r) => r.every((x) => x.status === 200 && x.version === 'v1'));
  const [v2] = (await mesh.pods('shop', 'app=echo')).filter((p) => p.metadata.labels?.version === 'v2');
  assert.ok(v2);
  await mesh.until('the v2 pod logged the mirrored path', async () => {
    const logs = await mesh.ambit('local', 'logs', `shop/${v2.metadata.name}`);
    return logs.includes(`/mirrored-${support.applied}`) || undefined;
  }, 30_000);
  await remove('httproute', 'mirror');
});

test('a Service opted out with use-waypoint=none goes straight to its pods', async () => {
  await kubectl('label', 'service', '-n', 'shop', 'echo-v1', 'istio.io/use-waypoint=none');
  const echo = await mesh.until('echo-v1 answered without the waypoint', async () => {
    const e = await mesh.curl(CLIENT, 'http://echo-v1.shop/').catch(() => undefined);
    return e && !e.source.startsWith(`${waypointIP}:`) ? e : undefined;
  }, 60_000);
  assert.ok(echo.pod.startsWith('echo-v1'));
});

test('deleting the waypoint while bindings remain refuses the traffic and says why', async () => {
  await mesh.ambit('waypoint', 'delete', '-n', 'shop', 'waypoint');
  await eventually('requests to echo fail closed', 3, ECHO, (r) => r.every((x) => x.status === 0));
  const status = await mesh.ambit('waypoint', 'status', '-n', 'shop').catch((e: unknown) => String(e));
  assert.match(status, /does not exist/);
  // The opted-out Service still works.
  assert.ok((await mesh.curl(CLIENT, 'http://echo-v1.shop/')).pod.startsWith('echo-v1'));
  const [client] = await mesh.pods('shop', 'app=client');
  const metrics = await mesh.metricsOf(client?.spec.nodeName ?? 'node1');
  assert.match(metrics, /istio_tcp_connections_failed_total\{[^}]*response_flags="UH"[^}]*\} [1-9]/);
});
