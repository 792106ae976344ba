// ztunnel's control-plane side end to end: the real local API server on loopback, istiod built
// in-process (xDS + CA on 127.0.0.1:0), and ztunnel built in-process with CAPTURE=none — its own
// token file, istiod's published root, its real CA client. What is checked is what an operator
// sees on ztunnel's ports: readiness, and /config_dump following the pods created through the API
// and the AuthorizationPolicies / PeerAuthentications applied through it (with the status istiod
// writes back on each policy).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { build as buildIstiod, type Istiod } from '../../istiod/build';
import { loadConfig as istiodConfig } from '../../istiod/config';
import { memoryLogger } from '../../pkg/log/logger';
import { apiRequest, eventually, startTestApiServer, type TestApiServer } from '../../localcluster/apiserver/test-support';
import { writeKubeconfig } from '../../localcluster/apiserver/server';
import { build as buildZtunnel, type Ztunnel } from '../../ztunnel/build';
import { loadConfig as ztunnelConfig } from '../../ztunnel/config';

type Json = Record<string, unknown>;
const WAIT_MS = 30_000;

let api: TestApiServer | undefined;
let dir = '';
let istiod: Istiod | undefined;
let ztunnel: Ztunnel | undefined;

async function post(path: string, body: Json): Promise<Json> {
  const r = await apiRequest(api!, 'POST', path, { body });
  assert.equal(r.status, 201, `POST ${path}: ${r.text}`);
  return r.body as Json;
}
async function runningPod(ns: string, name: string, node: string, ip: string, sa: string, labels: Record<string, string> = {}): Promise<string> {
  const created = await post(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { serviceAccountName: sa, nodeName: node, containers: [{ name: 'c', image: 'sleep', ports: [{ name: 'tcp', containerPort: 8080 }] }] },
  });
  if (ip) {
    const r = await apiRequest(api!, 'PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, {
      body: { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(r.status, 200, r.text);
  }
  return (created.metadata as { uid: string }).uid;
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
interface Dump {
  workloads: {
    uid: string; name: string; addresses: string[]; node: string; tunnelProtocol: string; serviceAccount: string; authorizationPolicies: string[];
  }[];
  policies: { name: string; namespace: string; action: string; scope: string; rules: unknown[] }[];
  services: { hostname: string; addresses: { address: string }[] }[];
  certificates: { identity: string; state: string; certChain: { serialNumber: string }[]; rootCerts: { pem: string }[] }[];
  xds: { connected: boolean };
}
async function dump(): Promise<Dump> {
  const r = await get(ztunnel!.addresses.admin.port, '/config_dump');
  assert.equal(r.status, 200);
  return JSON.parse(r.body) as Dump;
}

before(async () => {
  api = await startTestApiServer();
  dir = await mkdtemp(join(tmpdir(), 'ambit-ztunnel-xds-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, api.urls[0]!, api.caPem, api.adminToken, 'test');
  for (const crd of ['authorizationpolicies', 'peerauthentications']) {
    const text = await readFile(join(__dirname, '../../../manifests/crds', `${crd}.security.istio.io.yaml`), 'utf8');
    await post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', loadYaml(text) as Json);
  }
  await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
  await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } } });
  await post('/api/v1/namespaces/istio-system/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ztunnel' } });
  for (const sa of ['cart', 'web']) await post('/api/v1/namespaces/shop/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } });
  for (const node of ['node1', 'node2']) await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: node } });
  const ztunnelUid = await runningPod('istio-system', 'ztunnel-node1', 'node1', '', 'ztunnel');
  await runningPod('shop', 'cart-1', 'node1', '198.18.1.5', 'cart', { app: 'cart' });
  await runningPod('shop', 'web-1', 'node2', '198.18.2.5', 'web', { app: 'web' });
  await post('/api/v1/namespaces/shop/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart' },
    spec: { selector: { app: 'cart' }, clusterIP: '198.19.0.10', clusterIPs: ['198.19.0.10'], ports: [{ name: 'tcp', port: 80, targetPort: 8080 }] },
  });
  // The node agent's projected token (audience istio-ca, bound to its pod), as the kubelet mounts it.
  const tr = await post('/api/v1/namespaces/istio-system/serviceaccounts/ztunnel/token', {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
    spec: { audiences: ['istio-ca'], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'ztunnel-node1', uid: ztunnelUid } },
  });
  await writeFile(join(dir, 'istio-token'), (tr.status as { token: string }).token, { mode: 0o600 });

  istiod = await buildIstiod(istiodConfig({
    KUBECONFIG: kubeconfig, ISTIOD_GRPC_ADDRESS: '127.0.0.1:0', MONITORING_ADDRESS: '127.0.0.1:0', PILOT_DEBOUNCE_AFTER: '20ms', PILOT_DEBOUNCE_MAX: '500ms',
  }), { logger: memoryLogger() });
  await istiod.ready;
  const rootPem = await eventually('istio-ca-root-cert in istio-system', async () => {
    const r = await apiRequest(api!, 'GET', '/api/v1/namespaces/istio-system/configmaps/istio-ca-root-cert');
    return r.status === 200 ? (r.body as { data: Record<string, string> }).data['root-cert.pem'] : undefined;
  });
  await writeFile(join(dir, 'root-cert.pem'), rootPem!);

  ztunnel = await buildZtunnel(ztunnelConfig({
    NODE_NAME: 'node1', INSTANCE_IP: '127.0.0.1', POD_NAME: 'ztunnel-node1', CAPTURE: 'none', LISTEN_HOST: '127.0.0.1',
    OUTBOUND_PORT: '0', INBOUND_PLAINTEXT_PORT: '0', INBOUND_PORT: '0', ADMIN_ADDRESS: '127.0.0.1:0', STATS_ADDRESS: '127.0.0.1:0',
    READINESS_ADDRESS: '127.0.0.1:0', XDS_ADDRESS: `127.0.0.1:${istiod.addresses.grpc.port}`, ROOT_CERT_PATH: join(dir, 'root-cert.pem'),
    TOKEN_PATH: join(dir, 'istio-token'), DRAIN_TIMEOUT: '100ms',
  }), { logger: memoryLogger() });
});

after(async () => {
  await ztunnel?.shutdown();
  await istiod?.shutdown();
  await api?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('ztunnel syncs from istiod, fetches its local workload certificate and becomes ready', async () => {
  await ztunnel!.ready;
  assert.equal((await get(ztunnel!.addresses.readiness.port, '/healthz/ready')).status, 200);
  const d = await dump();
  assert.equal(d.xds.connected, true);
  const cart = d.workloads.find((w) => w.name === 'cart-1');
  assert.deepEqual([cart?.uid, cart?.addresses, cart?.node, cart?.tunnelProtocol, cart?.serviceAccount],
    ['Kubernetes//Pod/shop/cart-1', ['198.18.1.5'], 'node1', 'HBONE', 'cart']);
  assert.ok(d.workloads.some((w) => w.name === 'web-1' && w.node === 'node2'));
  assert.deepEqual(d.services.map((s) => [s.hostname, s.addresses.map((a) => a.address)]), [['cart.shop.svc.cluster.local', ['198.19.0.10']]]);
  // Only the identity of the workload on this node, issued by istiod's CA.
  assert.deepEqual(d.certificates.map((c) => [c.identity, c.state]), [['spiffe://cluster.local/ns/shop/sa/cart', 'available']]);
  assert.equal(d.certificates[0]?.certChain.length, 1);
  assert.equal(d.certificates[0]?.rootCerts[0]?.pem.trim(), istiod!.rootsPem.trim());
});

test('pods created and deleted through the API show up in and leave /config_dump', async () => {
  await runningPod('shop', 'web-2', 'node1', '198.18.1.6', 'web', { app: 'web' });
  await eventually('web-2 in the config dump', async () => (await dump()).workloads.some((w) => w.name === 'web-2' && w.addresses[0] === '198.18.1.6'), WAIT_MS);
  // A new local ambient workload: its identity's certificate is fetched ahead of need.
  await eventually('the web certificate', async () => (await dump()).certificates.some((c) => c.identity === 'spiffe://cluster.local/ns/shop/sa/web' && c.state === 'available'), WAIT_MS);

  const del = await apiRequest(api!, 'DELETE', '/api/v1/namespaces/shop/pods/web-2?gracePeriodSeconds=0');
  assert.ok(del.status === 200 || del.status === 202, del.text);
  await eventually('web-2 gone from the config dump', async () => !(await dump()).workloads.some((w) => w.name === 'web-2'), WAIT_MS);
  await eventually('the web certificate forgotten', async () => !(await dump()).certificates.some((c) => c.identity === 'spiffe://cluster.local/ns/shop/sa/web'), WAIT_MS);

  const metrics = (await get(ztunnel!.addresses.stats.port, '/metrics')).body;
  assert.match(metrics, /^istio_xds_message_total\{url="type.googleapis.com\/istio.workload.Address"\} [2-9]\d*$/m);
});

async function conditionsOf(plural: string, name: string): Promise<{ type: string; status: string; message: string; observedGeneration?: number }[]> {
  const r = await apiRequest(api!, 'GET', `/apis/security.istio.io/v1/namespaces/shop/${plural}/${name}`);
  assert.equal(r.status, 200, r.text);
  return ((r.body as { status?: { conditions?: [] } }).status?.conditions) ?? [];
}

test('an AuthorizationPolicy applied through the API reaches ztunnel, is listed by the pods it selects, and gets a status', async () => {
  await post('/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies', {
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'cart-from-web' },
    spec: { selector: { matchLabels: { app: 'cart' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] }] },
  });
  await eventually('the policy in the config dump', async () => (await dump()).policies.some((p) => p.name === 'cart-from-web'), WAIT_MS);
  const d = await dump();
  assert.deepEqual(d.policies.find((p) => p.name === 'cart-from-web')?.scope, 'WORKLOAD_SELECTOR');
  assert.deepEqual(d.workloads.find((w) => w.name === 'cart-1')?.authorizationPolicies, ['shop/cart-from-web']);
  assert.deepEqual(d.workloads.find((w) => w.name === 'web-1')?.authorizationPolicies, []);
  const accepted = await eventually('the Accepted condition', async () => (await conditionsOf('authorizationpolicies', 'cart-from-web'))
    .find((c) => c.type === 'Accepted'), WAIT_MS);
  assert.equal(accepted?.status, 'True');

  // An invalid update: rejected with the field in status, the previous version stays in ztunnel.
  const r = await apiRequest(api!, 'PATCH', '/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies/cart-from-web', {
    body: { spec: { rules: [{ from: [{ source: { ipBlocks: ['198.18.0.0/40'] } }] }] } }, contentType: 'application/merge-patch+json',
  });
  assert.equal(r.status, 200, r.text);
  const rejected = await eventually('the rejection in status', async () => (await conditionsOf('authorizationpolicies', 'cart-from-web'))
    .find((c) => c.type === 'Accepted' && c.status === 'False'), WAIT_MS);
  assert.match(rejected?.message ?? '', /generation 1\) stays in force.*spec\.rules\[0\]\.from\[0\]\.source\.ipBlocks\[0\]/);
  assert.equal(rejected?.observedGeneration, 2);
  const kept = (await dump()).policies.find((p) => p.name === 'cart-from-web');
  assert.equal(kept?.rules.length, 1, 'the previous version is still enforced');

  await apiRequest(api!, 'DELETE', '/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies/cart-from-web');
  await eventually('the policy gone from ztunnel', async () => {
    const after = await dump();
    return !after.policies.some((p) => p.name === 'cart-from-web') && after.workloads.find((w) => w.name === 'cart-1')?.authorizationPolicies.length === 0;
  }, WAIT_MS);
});

test('a STRICT PeerAuthentication makes the namespace workloads list the static strict policy', async () => {
  await post('/apis/security.istio.io/v1/namespaces/shop/peerauthentications', {
    apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'strict' }, spec: { mtls: { mode: 'STRICT' } },
  });
  await eventually('cart-1 lists the strict policy', async () => {
    const d = await dump();
    return d.policies.some((p) => p.name === 'istio_converted_static_strict' && p.action === 'DENY')
      && (d.workloads.find((w) => w.name === 'cart-1')?.authorizationPolicies ?? []).includes('istio-system/istio_converted_static_strict');
  }, WAIT_MS);
  assert.equal((await conditionsOf('peerauthentications', 'strict'))[0]?.status, 'True');
  await apiRequest(api!, 'DELETE', '/apis/security.istio.io/v1/namespaces/shop/peerauthentications/strict');
  await eventually('the strict policy lifted', async () => (await dump()).workloads.find((w) => w.name === 'cart-1')?.authorizationPolicies.length === 0, WAIT_MS);
});
