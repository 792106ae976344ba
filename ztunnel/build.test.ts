// ztunnel built in-process (CAPTURE=none, loopback, port 0) against a stand-in istiod: a TLS gRPC
// delta ADS server the test scripts, and certificates from a throw-away mesh CA. Checks what an
// operator sees: readiness gated on xDS and local certificates, the config dump, NACKs for bad
// pushes, xDS metrics, the node identity sent to istiod, and a clean, idempotent shutdown.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describeError } from '../pkg/errors/mesh-error';
import { memoryLogger } from '../pkg/log/logger';
import { createTestMesh, type TestMesh } from '../pkg/testing/mesh-certs';
import { deltaAdsService } from '../pkg/xds/delta-messages';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type XdsResource } from '../pkg/xds/types';
import { staticTokenSource } from '../pkg/certs/token-source';
import { plainSocketFactory } from './net/plain';
import { build, type Ztunnel } from './build';
import { loadConfig } from './config';
import { garbage, resource, service, workload } from './state/test-resources';

type Call = grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

let mesh: TestMesh;
let dir = '';
let server: grpc.Server;
let xdsPort = 0;
let ztunnel: Ztunnel | undefined;
const requests: DeltaDiscoveryRequest[] = [];
const tokens: string[] = [];
const calls: Call[] = [];
let nonce = 0;

function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = probe();
      if (v !== undefined) resolve(v);
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

function send(typeUrl: string, resources: XdsResource[], removed: string[] = []): string {
  const n = `n${++nonce}`;
  calls[calls.length - 1]!.write({ systemVersionInfo: '', typeUrl, resources, removedResources: removed, nonce: n });
  return n;
}

function answerTo(n: string): Promise<DeltaDiscoveryRequest> {
  return waitFor(`the answer to ${n}`, () => requests.find((r) => r.responseNonce === n));
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    }).on('error', reject).end();
  });
}

before(async () => {
  mesh = await createTestMesh();
  dir = await mkdtemp(join(tmpdir(), 'ambit-ztunnel-build-'));
  await writeFile(join(dir, 'root-cert.pem'), mesh.rootsPem);
  const serving = await mesh.ca.issueServing({ dnsNames: ['istiod.istio-system.svc'], ttlSeconds: 3600 });
  server = new grpc.Server();
  server.addService(deltaAdsService, {
    DeltaAggregatedResources: (call: Call) => {
      tokens.push(String(call.metadata.get('authorization')[0] ?? ''));
      calls.push(call);
      call.on('data', (req: DeltaDiscoveryRequest) => requests.push(req));
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  const credentials = grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(serving.certChainPem), private_key: Buffer.from(serving.keyPem) }], false);
  xdsPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))));
});

after(async () => {
  await ztunnel?.shutdown();
  server.forceShutdown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('ztunnel subscribes as its node, becomes ready after xDS and certificates, and shows it all', async () => {
  const config = loadConfig({
    NODE_NAME: 'node1', INSTANCE_IP: '127.0.0.1', POD_NAME: 'ztunnel-x1', CAPTURE: 'none', LISTEN_HOST: '127.0.0.1',
    OUTBOUND_PORT: '0', INBOUND_PLAINTEXT_PORT: '0', INBOUND_PORT: '0', ADMIN_ADDRESS: '127.0.0.1:0', STATS_ADDRESS: '127.0.0.1:0',
    READINESS_ADDRESS: '127.0.0.1:0', XDS_ADDRESS: `127.0.0.1:${xdsPort}`, ROOT_CERT_PATH: join(dir, 'root-cert.pem'), DRAIN_TIMEOUT: '100ms',
  });
  ztunnel = await build(config, {
    logger: memoryLogger(),
    sockets: plainSocketFactory(),
    tokenSource: staticTokenSource('node-agent-token'),
    fetcher: (id) => mesh.issue(id.namespace, id.serviceAccount),
  });
  const { readiness, admin, stats } = ztunnel.addresses;
  assert.ok(readiness.port > 0 && admin.port > 0 && stats.port > 0);

  const subscriptions = await waitFor('both subscriptions', () => (requests.length >= 2 ? requests.slice(0, 2) : undefined));
  assert.deepEqual(subscriptions.map((r) => r.typeUrl), [ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL]);
  assert.equal(subscriptions[0]?.node?.id, 'ztunnel~127.0.0.1~ztunnel-x1.istio-system~istio-system.svc.cluster.local');
  assert.deepEqual(subscriptions[0]?.node?.metadata, { NAME: 'ztunnel-x1', NAMESPACE: 'istio-system', INSTANCE_IPS: '127.0.0.1', NODE_NAME: 'node1', CLUSTER_ID: 'Kubernetes' });
  assert.equal(tokens[0], 'Bearer node-agent-token');

  let r = await get(readiness.port, '/healthz/ready');
  assert.equal(r.status, 503);
  assert.match(r.body, /waiting for the first xDS configuration/);

  const cart = workload('cart-1', { addresses: ['198.18.1.5'], serviceAccount: 'cart', node: 'node1', services: { 'shop/cart.shop.svc.cluster.local': [{ servicePort: 80, targetPort: 8080, appProtocol: 'TCP' }] } });
  const web = workload('web-1', { addresses: ['198.18.2.5'], serviceAccount: 'web', node: 'node2' });
  const plain = workload('legacy-1', { addresses: ['198.18.1.9'], serviceAccount: 'legacy', node: 'node1', tunnelProtocol: 'NONE' });
  const addressAck = await answerTo(send(ADDRESS_TYPE_URL, [resource(cart, 'v1'), resource(web, 'v1'), resource(plain, 'v1'), resource(service('cart', { addresses: [{ network: '', address: '198.19.0.10' }] }), 'v1')]));
  assert.equal(addressAck.errorDetail, undefined);
  const policyAck = await answerTo(send(AUTHORIZATION_TYPE_URL, []));
  assert.equal(policyAck.errorDetail, undefined);

  await ztunnel.ready;
  r = await get(readiness.port, '/healthz/ready');
  assert.equal(r.status, 200, r.body);

  const dump = JSON.parse((await get(admin.port, '/config_dump')).body) as {
    workloads: { name: string }[]; services: { name: string }[]; certificates: { identity: string; state: string }[];
    config: { nodeName: string }; capture: { mode: string }; xds: { connected: boolean; responses: number }; version: number;
  };
  assert.deepEqual(dump.workloads.map((w) => w.name), ['cart-1', 'legacy-1', 'web-1']);
  assert.deepEqual(dump.services.map((s) => s.name), ['cart']);
  // Certificates only for local ambient workloads: not web (other node), not legacy (no HBONE).
  assert.deepEqual(dump.certificates.map((c) => [c.identity, c.state]), [['spiffe://cluster.local/ns/shop/sa/cart', 'available']]);
  assert.equal(dump.config.nodeName, 'node1');
  assert.deepEqual(dump.capture, { mode: 'none' });
  assert.equal(dump.xds.connected, true);
  assert.equal(dump.xds.responses, 2);
  assert.equal(dump.version, 1);

  const metrics = (await get(stats.port, '/metrics')).body;
  assert.match(metrics, /^istio_xds_message_total\{url="type.googleapis.com\/istio.workload.Address"\} 1$/m);
  assert.match(metrics, /^istio_xds_message_total\{url="type.googleapis.com\/istio.security.Authorization"\} 1$/m);
  assert.match(metrics, /^istio_xds_message_bytes_total\{url="type.googleapis.com\/istio.workload.Address"\} [1-9]\d*$/m);
});

test('a bad push is NACKed with every problem and changes nothing; the pod leaving drops its certificate', async () => {
  const z = ztunnel!;
  const nack = await answerTo(send(ADDRESS_TYPE_URL, [garbage('Kubernetes//Pod/shop/broken'), resource(workload('x-1'), 'v1', 'wrong-name')]));
  assert.match(nack.errorDetail?.message ?? '', /"Kubernetes\/\/Pod\/shop\/broken": .*; "wrong-name": the resource name does not match/);
  assert.equal(z.state.version, 1);

  const ack = await answerTo(send(ADDRESS_TYPE_URL, [], ['Kubernetes//Pod/shop/cart-1']));
  assert.equal(ack.errorDetail, undefined);
  assert.equal(z.state.version, 2);
  assert.deepEqual(z.certificates.snapshot(), []);
  assert.equal((await get(z.addresses.readiness.port, '/healthz/ready')).status, 200, 'readiness stays latched');
});

test('shutdown: readiness and admin go away, istiod sees the stream end, a second call is harmless', async () => {
  const z = ztunnel!;
  const streamEnded = new Promise<void>((resolve) => calls[calls.length - 1]!.on('cancelled', resolve).on('finish', resolve).on('end', resolve));
  await z.shutdown();
  await streamEnded;
  await z.closed;
  await assert.rejects(get(z.addresses.readiness.port, '/healthz/ready'), /ECONNREFUSED/);
  await assert.rejects(get(z.addresses.admin.port, '/config_dump'), /ECONNREFUSED/);
  await z.shutdown();
  const metrics = z.metrics.render();
  assert.match(metrics, /^istio_xds_connection_terminations_total\{reason="Complete"\} 1$/m);
});

test('POST /quitquitquit shuts a running ztunnel down', async () => {
  const z = await build(loadConfig({
    NODE_NAME: 'node1', INSTANCE_IP: '127.0.0.1', CAPTURE: 'none', LISTEN_HOST: '127.0.0.1', OUTBOUND_PORT: '0', INBOUND_PLAINTEXT_PORT: '0',
    INBOUND_PORT: '0', ADMIN_ADDRESS: '127.0.0.1:0', STATS_ADDRESS: '127.0.0.1:0', READINESS_ADDRESS: '127.0.0.1:0',
    XDS_ADDRESS: `127.0.0.1:${xdsPort}`, ROOT_CERT_PATH: join(dir, 'root-cert.pem'), DRAIN_TIMEOUT: '100ms',
  }), { logger: memoryLogger(), sockets: plainSocketFactory(), tokenSource: staticTokenSource('t'), fetcher: (id) => mesh.issue(id.namespace, id.serviceAccount) });
  const reply = await new Promise<number>((resolve, reject) => {
    request({ host: '127.0.0.1', port: z.addresses.admin.port, path: '/quitquitquit', method: 'POST', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject).end();
  });
  assert.equal(reply, 200);
  await z.closed;
  await assert.rejects(get(z.addresses.readiness.port, '/healthz/ready'), /ECONNREFUSED/);
});

test('start-up fails with a clear error when the root certificate is missing, leaving nothing running', async () => {
  await assert.rejects(build(loadConfig({
    NODE_NAME: 'node1', INSTANCE_IP: '127.0.0.1', CAPTURE: 'none', ROOT_CERT_PATH: join(dir, 'missing.pem'),
  }), { logger: memoryLogger(), fetcher: (id) => mesh.issue(id.namespace, id.serviceAccount) }),
  (err: unknown) => /^cannot read istiod's root certificate ROOT_CERT_PATH=.*missing\.pem: ENOENT/.test(describeError(err)));
});

test('a port already in use fails start-up loudly and stops what had started', async () => {
  const { createServer } = await import('node:net');
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const taken = (squatter.address() as { port: number }).port;
  try {
    await assert.rejects(build(loadConfig({
      NODE_NAME: 'node1', INSTANCE_IP: '127.0.0.1', CAPTURE: 'none', LISTEN_HOST: '127.0.0.1', OUTBOUND_PORT: '0', INBOUND_PLAINTEXT_PORT: '0',
      INBOUND_PORT: '0', ADMIN_ADDRESS: `127.0.0.1:${taken}`, STATS_ADDRESS: '127.0.0.1:0', READINESS_ADDRESS: '127.0.0.1:0',
      XDS_ADDRESS: `127.0.0.1:${xdsPort}`, ROOT_CERT_PATH: join(dir, 'root-cert.pem'), DRAIN_TIMEOUT: '100ms',
    }), { logger: memoryLogger(), sockets: plainSocketFactory(), tokenSource: staticTokenSource('t'), fetcher: (id) => mesh.issue(id.namespace, id.serviceAccount) }),
    (err: unknown) => new RegExp(`^admin server cannot listen on 127.0.0.1:${taken}: .*EADDRINUSE`).test(describeError(err)));
  } finally {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  }
});
