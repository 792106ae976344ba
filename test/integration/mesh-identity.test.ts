// Identity and HBONE together, as they run in the mesh: istiod (CA) on the real local API server,
// a node agent that authenticates with its pod-bound `istio-ca` token file and fetches one
// certificate per workload identity through CaClient + CertificateManager, and an HBONE tunnel
// between two of those workloads carrying bytes to a TCP app — no test-only certificates anywhere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Istiod } from '../../istiod/build';
import { loadConfig } from '../../istiod/config';
import { memoryLogger } from '../../pkg/log/logger';
import { apiRequest, eventually, startTestApiServer, type TestApiServer } from '../../localcluster/apiserver/test-support';
import { writeKubeconfig } from '../../localcluster/apiserver/server';
import { createHboneServer, HbonePool, isHboneConnectError, type HboneServer } from '../../pkg/hbone';
import { formatSpiffeId, spiffeId, type SpiffeId } from '../../pkg/identity/spiffe';
import { isMeshError } from '../../pkg/errors/mesh-error';
import { CaClient, caFetcher } from '../../pkg/certs/ca-client';
import { CertificateManager } from '../../pkg/certs/cert-manager';
import { FileTokenSource } from '../../pkg/certs/token-source';

type Json = Record<string, unknown>;

let api: TestApiServer | undefined;
let dir = '';
let istiod: Istiod | undefined;
let client: CaClient | undefined;
let manager: CertificateManager | undefined;
let hbone: HboneServer | undefined;
let pool: HbonePool | undefined;
let app: Server | undefined;
let hbonePort = 0;
let appPort = 0;

const cart = spiffeId('cluster.local', 'shop', 'cart');
const web = spiffeId('cluster.local', 'shop', 'web');
const elsewhere = spiffeId('cluster.local', 'shop', 'elsewhere');

async function post(path: string, body: Json): Promise<Json> {
  const r = await apiRequest(api!, 'POST', path, { body });
  assert.equal(r.status, 201, `POST ${path}: ${r.text}`);
  return r.body as Json;
}
async function pod(ns: string, name: string, sa: string, node: string): Promise<string> {
  const created = await post(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { serviceAccountName: sa, nodeName: node, containers: [{ name: 'c', image: 'sleep' }] },
  });
  return (created.metadata as { uid: string }).uid;
}

/** Sends `payload` through a fresh tunnel as `source` and returns what the echo app sent back. */
async function roundTrip(source: SpiffeId, expected: SpiffeId, payload: Buffer): Promise<Buffer> {
  const { stream } = await pool!.connect({
    source: await manager!.get(source),
    destination: { address: '127.0.0.1', port: hbonePort },
    expectedIdentities: [expected],
    authority: `127.0.0.1:${appPort}`,
  });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.end(payload);
  await done;
  return Buffer.concat(chunks);
}

before(async () => {
  api = await startTestApiServer();
  dir = await mkdtemp(join(tmpdir(), 'ambit-mesh-identity-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, api.urls[0]!, api.caPem, api.adminToken, 'test');
  for (const ns of ['istio-system', 'shop']) await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await post('/api/v1/namespaces/istio-system/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ztunnel' } });
  for (const sa of ['cart', 'web', 'elsewhere']) {
    await post('/api/v1/namespaces/shop/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } });
  }
  for (const node of ['node1', 'node2']) await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node } });
  const ztunnelUid = await pod('istio-system', 'ztunnel-node1', 'ztunnel', 'node1');
  await pod('shop', 'cart-1', 'cart', 'node1');
  await pod('shop', 'web-1', 'web', 'node1');
  await pod('shop', 'elsewhere-1', 'elsewhere', 'node2');

  // The node agent's projected token: audience istio-ca, bound to its pod (what the kubelet mounts).
  const tr = await post('/api/v1/namespaces/istio-system/serviceaccounts/ztunnel/token', {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
    spec: { audiences: ['istio-ca'], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'ztunnel-node1', uid: ztunnelUid } },
  });
  const tokenFile = join(dir, 'istio-token');
  await writeFile(tokenFile, (tr.status as { token: string }).token, { mode: 0o600 });

  istiod = await build(loadConfig({ KUBECONFIG: kubeconfig, ISTIOD_GRPC_ADDRESS: '127.0.0.1:0' }), { logger: memoryLogger() });
  await istiod.ready;
  // The agent trusts istiod through the published ConfigMap, as a pod would.
  const rootPem = await eventually('istio-ca-root-cert in istio-system', async () => {
    const r = await apiRequest(api!, 'GET', '/api/v1/namespaces/istio-system/configmaps/istio-ca-root-cert');
    return r.status === 200 ? (r.body as { data: Record<string, string> }).data['root-cert.pem'] : undefined;
  });
  client = new CaClient({ address: `127.0.0.1:${istiod.addresses.grpc.port}`, rootCertPem: rootPem, tokenSource: new FileTokenSource(tokenFile) });
  manager = new CertificateManager({ fetcher: caFetcher(client) });

  app = createServer({ allowHalfOpen: true }, (s: Socket) => s.pipe(s));
  await new Promise<void>((resolve) => app!.listen(0, '127.0.0.1', resolve));
  appPort = (app.address() as AddressInfo).port;

  hbone = createHboneServer({
    certificateFor: () => manager!.peek(web) ?? manager!.get(web),
    onConnect: async (req) => {
      const upstream = connect({ host: req.authority.host, port: req.authority.port, allowHalfOpen: true });
      await new Promise<void>((resolve, reject) => {
        upstream.once('connect', resolve);
        upstream.once('error', reject);
      }).catch(() => undefined);
      if (!upstream.remoteAddress) return { kind: 'rejected', status: 503, reason: 'app unreachable' };
      return { kind: 'connected', upstream };
    },
  });
  hbonePort = (await hbone.listen(0, '127.0.0.1')).port;
  pool = new HbonePool();
});

after(async () => {
  await pool?.close();
  await hbone?.close();
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
  manager?.close();
  client?.close();
  await istiod?.shutdown();
  await api?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('workloads on the agent\'s node get certificates from istiod and talk over HBONE with them', async () => {
  const payload = Buffer.from('hello through the mesh '.repeat(1000));
  assert.deepEqual(await roundTrip(cart, web, payload), payload);
  const cartCert = await manager!.get(cart);
  assert.equal(formatSpiffeId(cartCert.identity), 'spiffe://cluster.local/ns/shop/sa/cart');
  assert.equal(cartCert.rootsPem, istiod!.rootsPem, 'the trust bundle is istiod\'s root');
  const webState = manager!.snapshot().find((s) => s.identity === formatSpiffeId(web));
  assert.equal(webState?.state, 'available');
});

test('the client refuses a server that is not the identity it expected', async () => {
  await assert.rejects(roundTrip(cart, cart, Buffer.from('x')), (err: unknown) => isMeshError(err) && /identity|certificate/i.test(err.message));
});

test('istiod refuses the agent an identity with no pod on its node, with the reason', async () => {
  await assert.rejects(manager!.get(elsewhere), (err: unknown) => {
    assert.ok(isMeshError(err), String(err));
    assert.equal(err.code, 'PermissionDenied');
    assert.match(err.message, /node1/);
    return true;
  });
  // The refusal did not disturb the identities the agent already holds.
  assert.deepEqual(await roundTrip(cart, web, Buffer.from('still fine')), Buffer.from('still fine'));
});

test('a tunnel to an app that is not listening gets 503', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(pool!.connect({
    source: await manager!.get(cart), destination: { address: '127.0.0.1', port: hbonePort },
    expectedIdentities: [web], authority: `127.0.0.1:${deadPort}`,
  }), (err: unknown) => isHboneConnectError(err) && err.status === 503);
});
