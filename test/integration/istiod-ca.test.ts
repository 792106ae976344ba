// istiod's CA end to end: the real local API server on loopback (TokenRequest / TokenReview,
// pods, secrets, ConfigMaps, watches), istiod built in-process on 127.0.0.1:0, and a real grpc-js
// client over TLS calling IstioCertificateService/CreateCertificate the way ztunnel does.
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { build, type Istiod } from '../../istiod/build';
import { loadConfig } from '../../istiod/config';
import { memoryLogger } from '../../pkg/log/logger';
import { apiRequest, eventually, startTestApiServer, type TestApiServer } from '../../localcluster/apiserver/test-support';
import { writeKubeconfig } from '../../localcluster/apiserver/server';
import { createCertificateMethod, IMPERSONATED_IDENTITY, type CertificateRequest } from '../../pkg/api/ca-messages';
import { formatSpiffeId, spiffeId } from '../../pkg/identity/spiffe';
import { createCsr } from '../../pkg/tls/csr';
import { generateP256Key } from '../../pkg/tls/keys';
import { splitPemCertificates } from '../../pkg/tls/pem';
import { makeTestCa } from '../../pkg/tls/test-pki';
import { verifyChain } from '../../pkg/tls/workload-cert';

type Json = Record<string, unknown>;
interface Cluster { server: TestApiServer; dir: string; kubeconfig: string }

async function startCluster(): Promise<Cluster> {
  const server = await startTestApiServer();
  const dir = await mkdtemp(join(tmpdir(), 'ambit-istiod-ca-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, server.urls[0], server.caPem, server.adminToken, 'test');
  return { server, dir, kubeconfig };
}
async function stopCluster(c: Cluster | undefined): Promise<void> {
  if (!c) return;
  await c.server.dispose();
  await rm(c.dir, { recursive: true, force: true });
}

async function post(c: Cluster, path: string, body: Json): Promise<Json> {
  const r = await apiRequest(c.server, 'POST', path, { body });
  assert.equal(r.status, 201, `POST ${path}: ${r.text}`);
  return r.body as Json;
}
const namespace = (c: Cluster, name: string) => post(c, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const serviceAccount = (c: Cluster, ns: string, name: string) =>
  post(c, `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
async function pod(c: Cluster, ns: string, name: string, sa: string, node: string): Promise<string> {
  const created = await post(c, `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { serviceAccountName: sa, nodeName: node, containers: [{ name: 'c', image: 'sleep' }] },
  });
  return (created.metadata as { uid: string }).uid;
}
async function podToken(c: Cluster, ns: string, sa: string, podName: string, uid: string): Promise<string> {
  const r = await post(c, `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
    spec: { audiences: ['istio-ca'], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: podName, uid } },
  });
  return (r.status as { token: string }).token;
}
async function rootConfigMap(c: Cluster, ns: string): Promise<string | undefined> {
  const r = await apiRequest(c.server, 'GET', `/api/v1/namespaces/${ns}/configmaps/istio-ca-root-cert`);
  if (r.status !== 200) return undefined;
  const cm = r.body as { data?: Record<string, string>; metadata: { labels?: Record<string, string> } };
  assert.equal(cm.metadata.labels?.['istio.io/config'], 'true');
  return cm.data?.['root-cert.pem'];
}
async function startIstiod(c: Cluster) {
  const logger = memoryLogger();
  const istiod = await build(loadConfig({ KUBECONFIG: c.kubeconfig, ISTIOD_GRPC_ADDRESS: '127.0.0.1:0' }), { logger });
  await istiod.ready;
  return { istiod, logger };
}

type CaReply = { ok: true; chain: string[] } | { ok: false; code: number; details: string };
interface CaCall { token?: string; impersonate?: string; csr: string; ttl?: number }
const AS_LOCALHOST = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' };

/** A grpc-js client of istiod's CA over TLS, trusting `rootPem` (as ztunnel does with istio-ca-root-cert). */
function caClient(istiod: Istiod, rootPem: string, options: Record<string, string> = AS_LOCALHOST) {
  const client = new Client(`127.0.0.1:${istiod.addresses.grpc.port}`, credentials.createSsl(Buffer.from(rootPem)), options);
  const call = (req: CaCall): Promise<CaReply> => {
    const metadata = new Metadata();
    if (req.token !== undefined) metadata.set('authorization', `Bearer ${req.token}`);
    const request: CertificateRequest = {
      csr: req.csr, validityDurationSeconds: req.ttl ?? 0, metadata: req.impersonate ? { [IMPERSONATED_IDENTITY]: req.impersonate } : {},
    };
    return new Promise<CaReply>((resolve) => {
      client.makeUnaryRequest(createCertificateMethod.path, createCertificateMethod.requestSerialize, createCertificateMethod.responseDeserialize,
        request, metadata, { deadline: Date.now() + 15_000 }, (err: ServiceError | null, res) => {
          if (err) resolve({ ok: false, code: err.code, details: err.details });
          else resolve({ ok: true, chain: [...(res?.certChain ?? [])] });
        });
    });
  };
  return { call, close: () => client.close() };
}
/** One call on a fresh connection. */
async function callCa(istiod: Istiod, rootPem: string, req: CaCall, options?: Record<string, string>): Promise<CaReply> {
  const client = caClient(istiod, rootPem, options);
  try {
    return await client.call(req);
  } finally {
    client.close();
  }
}
const csrFor = async (ns: string, sa: string): Promise<string> => createCsr(await generateP256Key(), spiffeId('cluster.local', ns, sa));
const id = (ns: string, sa: string): string => formatSpiffeId(spiffeId('cluster.local', ns, sa));

let cluster: Cluster | undefined;
let run: { istiod: Istiod; logger: ReturnType<typeof memoryLogger> } | undefined;
let root = '';
const tokens: Record<string, string> = {};

before(async () => {
  cluster = await startCluster();
  const c = cluster;
  await namespace(c, 'istio-system');
  await namespace(c, 'shop');
  await serviceAccount(c, 'istio-system', 'ztunnel');
  for (const sa of ['cart', 'web', 'flood']) await serviceAccount(c, 'shop', sa);
  for (const node of ['node1', 'node2']) await post(c, '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node } });
  tokens.ztunnel = await podToken(c, 'istio-system', 'ztunnel', 'ztunnel-node1', await pod(c, 'istio-system', 'ztunnel-node1', 'ztunnel', 'node1'));
  tokens.cart = await podToken(c, 'shop', 'cart', 'cart-1', await pod(c, 'shop', 'cart-1', 'cart', 'node1'));
  tokens.flood = await podToken(c, 'shop', 'flood', 'flood-1', await pod(c, 'shop', 'flood-1', 'flood', 'node2'));
  await pod(c, 'shop', 'web-1', 'web', 'node2');
  run = await startIstiod(c);
  root = await eventually('the root ConfigMap in istio-system', () => rootConfigMap(c, 'istio-system'));
});
after(async () => {
  await run?.istiod.shutdown();
  await stopCluster(cluster);
});

test('the root ConfigMap is in every namespace, including new ones, and comes back when deleted', async () => {
  const c = cluster!;
  assert.equal(root, run!.istiod.rootsPem);
  for (const ns of ['default', 'kube-system', 'shop']) assert.equal(await eventually(`ConfigMap in ${ns}`, () => rootConfigMap(c, ns)), root);
  await namespace(c, 'late');
  assert.equal(await eventually('ConfigMap in a namespace created after start', () => rootConfigMap(c, 'late')), root);
  assert.equal((await apiRequest(c.server, 'DELETE', '/api/v1/namespaces/shop/configmaps/istio-ca-root-cert')).status, 200);
  assert.equal(await eventually('ConfigMap re-created after deletion', () => rootConfigMap(c, 'shop')), root);
});

test('a node agent gets the certificate of a pod on its node', async () => {
  const reply = await callCa(run!.istiod, root, { token: tokens.ztunnel, impersonate: id('shop', 'cart'), csr: await csrFor('shop', 'cart'), ttl: 3600 });
  assert.ok(reply.ok, reply.ok ? '' : reply.details);
  const verified = verifyChain(reply.chain, root);
  assert.equal(formatSpiffeId(verified.identity), id('shop', 'cart'));
  assert.equal(reply.chain[reply.chain.length - 1], root, 'the root is the last element');
  const lifetime = verified.notAfter.getTime() - Date.now();
  assert.ok(lifetime > 3000_000 && lifetime <= 3600_000, 'the requested TTL is granted');
});

test('the TTL is capped at the maximum and defaults when not asked for', async () => {
  const long = await callCa(run!.istiod, root, { token: tokens.cart, csr: await csrFor('shop', 'cart'), ttl: 10 * 365 * 86400 });
  assert.ok(long.ok);
  const days = (new Date(new X509Certificate(long.chain[0]).validTo).getTime() - Date.now()) / 86400_000;
  assert.ok(days > 89 && days <= 90, `capped at 90 days, got ${days}`);
  const dflt = await callCa(run!.istiod, root, { token: tokens.cart, csr: await csrFor('shop', 'cart') });
  assert.ok(dflt.ok);
  const hours = (new Date(new X509Certificate(dflt.chain[0]).validTo).getTime() - Date.now()) / 3600_000;
  assert.ok(hours > 23 && hours <= 24, `default 24 h, got ${hours}`);
});

test('a node agent is refused the identity of a pod on another node', async () => {
  const reply = await callCa(run!.istiod, root, { token: tokens.ztunnel, impersonate: id('shop', 'web'), csr: await csrFor('shop', 'web') });
  assert.equal(reply.ok, false);
  if (reply.ok) return;
  assert.equal(reply.code, status.PERMISSION_DENIED);
  assert.match(reply.details, /no pod with service account shop\/web runs on node node1/);
  assert.ok(run!.logger.lines.some((l) => /CA refused PERMISSION_DENIED: istio-system\/ztunnel \(pod ztunnel-node1\) from .* asked for "spiffe:\/\/cluster.local\/ns\/shop\/sa\/web": no pod/.test(l)),
    'the refusal is logged with who asked, for what and why');
});

test('a CSR naming another identity than the one granted is refused', async () => {
  const reply = await callCa(run!.istiod, root, { token: tokens.ztunnel, impersonate: id('shop', 'cart'), csr: await csrFor('shop', 'web') });
  assert.deepEqual(reply.ok ? 'issued' : [reply.code, /CSR SAN .*shop\/sa\/web.* does not match the identity .*shop\/sa\/cart/.test(reply.details)],
    [status.INVALID_ARGUMENT, true]);
});

test('callers without a valid token are refused', async () => {
  const csr = await csrFor('shop', 'cart');
  const none = await callCa(run!.istiod, root, { csr });
  assert.deepEqual(none.ok ? 'issued' : [none.code, none.details], [status.UNAUTHENTICATED, 'no bearer token']);
  const bogus = await callCa(run!.istiod, root, { token: 'not-a-token', csr });
  assert.equal(bogus.ok ? 'issued' : bogus.code, status.UNAUTHENTICATED);
  const admin = await callCa(run!.istiod, root, { token: cluster!.server.adminToken, csr });
  assert.deepEqual(admin.ok ? 'issued' : [admin.code, /"admin" is not a service account/.test(admin.details)], [status.UNAUTHENTICATED, true]);
  const apiToken = ((await post(cluster!, '/api/v1/namespaces/shop/serviceaccounts/cart/token', {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 },
  })).status as { token: string }).token;
  const wrongAudience = await callCa(run!.istiod, root, { token: apiToken, csr });
  assert.equal(wrongAudience.ok ? 'issued' : wrongAudience.code, status.UNAUTHENTICATED, 'a token for the API server audience is not a CA token');
});

test("a workload's own token gets its own identity, and nothing else", async () => {
  const own = await callCa(run!.istiod, root, { token: tokens.cart, csr: await csrFor('shop', 'cart') });
  assert.ok(own.ok, own.ok ? '' : own.details);
  assert.equal(formatSpiffeId(verifyChain(own.chain, root).identity), id('shop', 'cart'));
  const other = await callCa(run!.istiod, root, { token: tokens.cart, impersonate: id('shop', 'web'), csr: await csrFor('shop', 'web') });
  assert.deepEqual(other.ok ? 'issued' : [other.code, /shop\/cart is not a trusted node account/.test(other.details)], [status.PERMISSION_DENIED, true]);
});

test('the serving certificate names istiod\'s Service and nothing else', async () => {
  const as = (name: string) => ({ 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name });
  const csr = await csrFor('shop', 'cart');
  const reply = await callCa(run!.istiod, root, { token: tokens.cart, csr }, as('istiod.istio-system.svc'));
  assert.ok(reply.ok, reply.ok ? '' : reply.details);
  const wrong = await callCa(run!.istiod, root, { token: tokens.cart, csr }, as('istiod.elsewhere.svc'));
  assert.equal(wrong.ok ? 'issued' : wrong.code, status.UNAVAILABLE, 'a client checking another name does not trust it');
});

test('oversized requests and floods from one caller are refused', async () => {
  const big = await callCa(run!.istiod, root, { token: tokens.flood, csr: 'x'.repeat(70 * 1024) });
  assert.equal(big.ok ? 'issued' : big.code, status.RESOURCE_EXHAUSTED);
  const client = caClient(run!.istiod, root);
  const replies = await Promise.all(Array.from({ length: 120 }, () => client.call({ token: tokens.flood, csr: '' }))).finally(() => client.close());
  const codes = replies.map((r) => (r.ok ? -1 : r.code));
  assert.ok(codes.includes(status.RESOURCE_EXHAUSTED), `some refused as too many: ${JSON.stringify(codes)}`);
  assert.ok(codes.includes(status.INVALID_ARGUMENT), 'the first ones got through to the CSR check');
  assert.ok(run!.istiod.caCounters.refused.RESOURCE_EXHAUSTED > 0);
});

test('TLS older than 1.2 is refused', async () => {
  const outcome = await new Promise<string>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: run!.istiod.addresses.grpc.port, maxVersion: 'TLSv1.1', minVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0', ca: root, servername: 'localhost', ALPNProtocols: ['h2'] });
    socket.on('secureConnect', () => { socket.destroy(); resolve('connected'); });
    socket.on('error', (err) => resolve(err.message));
  });
  assert.match(outcome, /alert protocol version/, 'the server answers with a protocol-version alert');
});

test('the root survives an istiod restart', async () => {
  const c = cluster!;
  await run!.istiod.shutdown();
  run = await startIstiod(c);
  assert.equal(run.istiod.rootsPem, root);
  assert.ok(run.logger.lines.some((l) => /self-signed root from Secret istio-ca-secret/.test(l)));
  const reply = await callCa(run.istiod, root, { token: tokens.cart, csr: await csrFor('shop', 'cart') });
  assert.ok(reply.ok);
});

test('a plugged-in CA from Secret cacerts signs with the user intermediate; a broken one stops start-up', async (t) => {
  const c = await startCluster();
  const started: { istiod?: Istiod } = {};
  t.after(async () => { await started.istiod?.shutdown(); await stopCluster(c); });
  await namespace(c, 'istio-system');
  await namespace(c, 'shop');
  await serviceAccount(c, 'shop', 'cart');
  await post(c, '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' } });
  const token = await podToken(c, 'shop', 'cart', 'cart-1', await pod(c, 'shop', 'cart-1', 'cart', 'node1'));
  const userRoot = await makeTestCa('user-root', 'rsa');
  const intermediate = await makeTestCa('user-intermediate', 'ec-p256', userRoot);
  const data = (keyPem: string) => ({
    'ca-cert.pem': intermediate.certPem, 'ca-key.pem': keyPem, 'root-cert.pem': userRoot.certPem,
    'cert-chain.pem': intermediate.certPem + userRoot.certPem,
  });
  const secret = (d: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts' }, stringData: d });

  await post(c, '/api/v1/namespaces/istio-system/secrets', secret(data(userRoot.key.pem)));
  await assert.rejects(startIstiod(c), /Secret istio-system\/cacerts.*(key|signing key).*does not match/);
  const noSecret = await apiRequest(c.server, 'GET', '/api/v1/namespaces/istio-system/secrets/istio-ca-secret');
  assert.equal(noSecret.status, 404, 'no silent fall-back to a self-signed root');

  assert.equal((await apiRequest(c.server, 'PUT', '/api/v1/namespaces/istio-system/secrets/cacerts', { body: secret(data(intermediate.key.pem)) })).status, 200);
  const istiod = (await startIstiod(c)).istiod;
  started.istiod = istiod;
  assert.equal(istiod.rootsPem, splitPemCertificates(userRoot.certPem).join(''));
  const published = await eventually('the user root published', () => rootConfigMap(c, 'shop'));
  const reply = await callCa(istiod, published, { token, csr: await csrFor('shop', 'cart') });
  assert.ok(reply.ok, reply.ok ? '' : reply.details);
  assert.equal(formatSpiffeId(verifyChain(reply.chain, userRoot.certPem).identity), id('shop', 'cart'));
  assert.equal(reply.chain.length, 3, 'leaf, intermediate, root');
  assert.equal(reply.chain[1], splitPemCertificates(intermediate.certPem)[0]);
  assert.equal(reply.chain[2], splitPemCertificates(userRoot.certPem).join(''));
});
