// ztunnel's admin, stats and readiness ports as an operator (or istioctl) sees them, in-process on
// port 0, over a state store fed with encoded Address resources and a certificate manager backed by
// a throw-away mesh CA.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry, PROMETHEUS_CONTENT_TYPE } from '../../pkg/telemetry/metrics';
import { createTestMesh, type TestMesh } from '../../pkg/testing/mesh-certs';
import { CertificateManager } from '../../pkg/certs/cert-manager';
import { StateStore } from '../state/store';
import { resource, service, workload } from '../state/test-resources';
import type { RunningHttpServer } from './http';
import { ReadinessGate } from './readiness';
import { startAdminServer, startReadinessServer, startStatsServer } from './servers';

let mesh: TestMesh;
let certs: CertificateManager;
let admin: RunningHttpServer;
let stats: RunningHttpServer;
let readiness: RunningHttpServer;
const store = new StateStore();
const registry = new Registry();
let quits = 0;
let captureReady = false;
const gate = new ReadinessGate(() => ({
  xdsSynced: store.version > 0,
  capture: captureReady ? 'ready' : 'pending',
  missingCertificates: store.workloadsOnNode('node1').filter((w) => !certs.peek({ trustDomain: w.trustDomain, namespace: w.namespace, serviceAccount: w.serviceAccount }))
    .map((w) => `spiffe://${w.trustDomain}/ns/${w.namespace}/sa/${w.serviceAccount}`),
}));

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function call(port: number, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

before(async () => {
  mesh = await createTestMesh();
  certs = new CertificateManager({ fetcher: (id) => mesh.issue(id.namespace, id.serviceAccount) });
  const logger = memoryLogger();
  const sources = {
    state: store,
    certificates: certs,
    config: { nodeName: 'node1', capture: 'none' },
    capture: () => ({ mode: 'none' }),
    xds: () => ({ connected: true }),
    policies: () => [],
  };
  admin = await startAdminServer({ listen: { host: '127.0.0.1', port: 0 }, sources, onQuit: () => quits++, logger });
  stats = await startStatsServer({ listen: { host: '127.0.0.1', port: 0 }, registry, logger });
  readiness = await startReadinessServer({ listen: { host: '127.0.0.1', port: 0 }, problem: () => gate.problem(), logger });
});

after(async () => {
  await Promise.all([admin.close(), stats.close(), readiness.close()]);
  certs.close();
});

test('readiness: 503 with the reason until xDS, capture and local certificates are there, then 200', async () => {
  let r = await call(readiness.address.port, 'GET', '/healthz/ready');
  assert.equal(r.status, 503);
  assert.equal(r.body, 'not ready: waiting for the first xDS configuration from istiod\n');

  const cart = workload('cart-1', { addresses: ['198.18.1.5'], serviceAccount: 'cart', services: { 'shop/cart.shop.svc.cluster.local': [{ servicePort: 80, targetPort: 8080, appProtocol: 'TCP' }] } });
  const remote = workload('web-1', { addresses: ['198.18.2.5'], serviceAccount: 'web', node: 'node2' });
  const cartSvc = service('cart', { addresses: [{ network: '', address: '198.19.0.10' }] });
  assert.deepEqual(store.addressHandler.apply({ resources: [resource(cart), resource(remote), resource(cartSvc)], removed: [] }), { ok: true });
  r = await call(readiness.address.port, 'GET', '/healthz/ready');
  assert.equal(r.status, 503);
  assert.match(r.body, /^not ready: waiting for the traffic capture rules/);

  captureReady = true;
  r = await call(readiness.address.port, 'GET', '/healthz/ready');
  assert.equal(r.status, 503);
  assert.equal(r.body, 'not ready: waiting for certificates of local workloads: spiffe://cluster.local/ns/shop/sa/cart\n');

  await certs.get(mesh.identity('shop', 'cart'));
  r = await call(readiness.address.port, 'GET', '/healthz/ready');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'ready\n');
  await gate.ready;

  // Latched: a new local pod without a certificate yet does not make the agent unready.
  store.addressHandler.apply({ resources: [resource(workload('new-1', { serviceAccount: 'new' }))], removed: [] });
  assert.equal((await call(readiness.address.port, 'GET', '/healthz/ready')).status, 200);
});

test('config_dump shows workloads, services, certificates with chain details, config and status', async () => {
  const r = await call(admin.address.port, 'GET', '/config_dump');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  const dump = JSON.parse(r.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(dump), ['workloads', 'services', 'policies', 'certificates', 'config', 'capture', 'xds', 'version']);
  const workloads = dump.workloads as { name: string; addresses: string[]; services: Record<string, unknown> }[];
  assert.deepEqual(workloads.map((w) => w.name).sort(), ['cart-1', 'new-1', 'web-1']);
  assert.deepEqual(workloads.find((w) => w.name === 'cart-1')?.addresses, ['198.18.1.5']);
  assert.deepEqual((dump.services as { hostname: string }[]).map((s) => s.hostname), ['cart.shop.svc.cluster.local']);
  assert.deepEqual(dump.policies, []);
  assert.deepEqual(dump.config, { nodeName: 'node1', capture: 'none' });
  assert.deepEqual(dump.capture, { mode: 'none' });
  assert.deepEqual(dump.xds, { connected: true });
  assert.equal(dump.version, store.version);
  const certificates = dump.certificates as { identity: string; state: string; certChain: { pem: string; serialNumber: string; validFrom: string; expirationTime: string }[]; rootCerts: { pem: string }[] }[];
  const cart = certificates.find((c) => c.identity === 'spiffe://cluster.local/ns/shop/sa/cart');
  assert.equal(cart?.state, 'available');
  assert.equal(cart?.certChain.length, 1);
  assert.match(cart?.certChain[0]?.pem ?? '', /^-----BEGIN CERTIFICATE-----/);
  assert.match(cart?.certChain[0]?.serialNumber ?? '', /^[0-9a-f]+$/);
  assert.ok(Date.parse(cart?.certChain[0]?.expirationTime ?? '') > Date.now());
  assert.ok(Date.parse(cart?.certChain[0]?.validFrom ?? '') <= Date.now());
  assert.equal(cart?.rootCerts.length, 1);
  assert.equal(cart?.rootCerts[0]?.pem.trim(), mesh.rootsPem.trim());
});

test('/certificates lists the same certificates; / lists the endpoints', async () => {
  const r = await call(admin.address.port, 'GET', '/certificates');
  assert.equal(r.status, 200);
  assert.deepEqual((JSON.parse(r.body) as { identity: string }[]).map((c) => c.identity), ['spiffe://cluster.local/ns/shop/sa/cart']);
  const index = await call(admin.address.port, 'GET', '/');
  assert.equal(index.status, 200);
  for (const p of ['/config_dump', '/certificates', '/quitquitquit']) assert.ok(index.body.includes(p));
});

test('unknown paths are 404, wrong methods 405 with Allow, HEAD works like GET', async () => {
  const missing = await call(admin.address.port, 'GET', '/nope?x=1');
  assert.equal(missing.status, 404);
  assert.match(missing.body, /no such endpoint: \/nope/);
  const wrong = await call(admin.address.port, 'POST', '/config_dump', '{}');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.allow, 'GET, HEAD');
  const quitByGet = await call(admin.address.port, 'GET', '/quitquitquit');
  assert.equal(quitByGet.status, 405);
  assert.equal(quitByGet.headers.allow, 'POST');
  const head = await call(readiness.address.port, 'HEAD', '/healthz/ready');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal((await call(stats.address.port, 'GET', '/config_dump')).status, 404);
  assert.equal(quits, 0);
});

test('a large request body is refused and a small one ignored', async () => {
  const big = await call(admin.address.port, 'POST', '/quitquitquit', 'x'.repeat(100 * 1024));
  assert.equal(big.status, 413);
  assert.equal(quits, 0, 'refused before the handler ran');
});

test('POST /quitquitquit answers, then starts shutdown once', async () => {
  const r = await call(admin.address.port, 'POST', '/quitquitquit', 'ignored body');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'OK\n');
  await call(admin.address.port, 'POST', '/quitquitquit');
  assert.equal(quits, 1);
});

test('stats: /metrics and /stats/prometheus render the registry', async () => {
  registry.counter('istio_xds_message_total', 'xDS messages received', ['url']).inc({ url: 'type.googleapis.com/istio.workload.Address' }, 3);
  for (const path of ['/metrics', '/stats/prometheus']) {
    const r = await call(stats.address.port, 'GET', path);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], PROMETHEUS_CONTENT_TYPE);
    assert.match(r.body, /^istio_xds_message_total\{url="type.googleapis.com\/istio.workload.Address"\} 3$/m);
  }
});

test('readiness turns 503 on shutdown', async () => {
  gate.shutdown();
  const r = await call(readiness.address.port, 'GET', '/healthz/ready');
  assert.equal(r.status, 503);
  assert.equal(r.body, 'not ready: shutting down\n');
});
