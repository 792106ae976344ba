// The waypoint in one process on loopback: a stand-in istiod (a TLS delta ADS server serving
// Address, WaypointConfig and an empty Authorization set, and a CA that signs the waypoint's own
// identity), two backend "pods" (an HTTP server behind a real HBONE server each, on 127.0.0.2 and
// 127.0.0.3) and a client that opens HBONE to the waypoint with the Service VIP:port as authority
// and speaks HTTP/1.1 through the tunnel. Checks what a user sees: responses from the routed
// backend, a refusal for an unbound authority, a route change taking effect, Istio's request
// metric and the config dump.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import { IMPERSONATED_IDENTITY } from '../../pkg/api/ca-messages';
import { backendName, type WaypointConfig } from '../../pkg/api/waypoint-types';
import { TestCaServer } from '../../pkg/certs/test-ca-server';
import { staticTokenSource } from '../../pkg/certs/token-source';
import { guardEmptyWrites } from '../../pkg/hbone/empty-write-guard';
import { HbonePool } from '../../pkg/hbone/pool';
import { createHboneServer } from '../../pkg/hbone/server';
import type { HboneServer } from '../../pkg/hbone/types';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import { memoryLogger } from '../../pkg/log/logger';
import { createTestMesh, type TestMesh } from '../../pkg/testing/mesh-certs';
import { TestAdsServer } from '../../pkg/xds/test-ads-server';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, WAYPOINT_CONFIG_TYPE_URL, type XdsResource } from '../../pkg/xds/types';
import { build, type Waypoint } from '../../waypoint/build';
import { loadConfig } from '../../waypoint/config';
import {
  addressResource, backend, boundService, configResource, portRoutes, route, service, serviceKey, waypointConfig, workload,
} from '../../waypoint/state/test-resources';

const REVIEWS = serviceKey('reviews');
const VIP = '198.19.0.10';

interface Pod {
  readonly ip: string;
  readonly version: string;
  readonly http: Server;
  readonly hbone: HboneServer;
  /** `peer identity → authority` of every CONNECT the pod's ztunnel stand-in accepted. */
  readonly connects: string[];
}

let mesh: TestMesh;
let ca: TestCaServer;
let ads: TestAdsServer;
let adsAddress = '';
let dir = '';
let waypoint: Waypoint | undefined;
const pods: Pod[] = [];
const pool = new HbonePool();

async function listen(server: Server | HboneServer, port: number, host: string): Promise<number> {
  if ('handleSocket' in server) return (await server.listen(port, host)).port;
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A backend pod: an HTTP app answering with its version, behind an HBONE server (its ztunnel). */
async function startPod(ip: string, version: string, hbonePort: number): Promise<Pod & { appPort: number; hbonePort: number }> {
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sent = Buffer.concat(chunks).toString();
      const body = `reviews-${version} ${req.method} ${req.url}${sent ? ` ${sent}` : ''}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-version': version });
      res.end(body);
    });
  });
  const appPort = await listen(http, 0, ip);
  const cert = await mesh.issue('shop', 'reviews');
  const connects: string[] = [];
  const hbone = createHboneServer({
    certificateFor: () => cert,
    onConnect: async (req) => {
      connects.push(`${formatSpiffeId(req.peer.identity)} → ${req.authority.host}:${req.authority.port}`);
      const socket = connect({ host: req.authority.host, port: req.authority.port, allowHalfOpen: true });
      try {
        await once(socket, 'connect');
        return { kind: 'connected', upstream: socket };
      } catch {
        socket.destroy();
        return { kind: 'rejected', status: 503, reason: 'app not listening' };
      }
    },
    limits: { drainTimeoutMs: 200 },
  });
  const boundHbone = await listen(hbone, hbonePort, ip);
  const pod = { ip, version, http, hbone, connects, appPort, hbonePort: boundHbone };
  pods.push(pod);
  return pod;
}

function push(typeUrl: string, resources: XdsResource[]): Promise<string> {
  const nonce = ads.push(0, { systemVersionInfo: '', typeUrl, resources, removedResources: [] });
  return ads.until(() => ads.streams[0]?.requests.find((r) => r.responseNonce === nonce)).then((r) => r.errorDetail?.message ?? 'ACK');
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    }).on('error', reject).end();
  });
}

/** One HTTP/1.1 request through a fresh HBONE tunnel to the waypoint with `authority`. */
async function viaWaypoint(authority: string, path: string, body?: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const w = waypoint ?? assert.fail('no waypoint');
  const { stream } = await pool.connect({
    source: await mesh.issue('shop', 'productpage'),
    destination: { address: '127.0.0.1', port: w.addresses.hbone.port },
    expectedIdentities: [mesh.identity('shop', 'waypoint')],
    authority,
  });
  return new Promise((resolve, reject) => {
    const headers = { host: 'reviews.shop.svc.cluster.local:9080', connection: 'close', ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) };
    const req = request({ createConnection: (): Duplex => guardEmptyWrites(stream), method: body ? 'POST' : 'GET', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function routeTo(subset: string): WaypointConfig {
  return waypointConfig({
    services: [boundService(REVIEWS, [portRoutes(REVIEWS, 9080, [route('HTTPRoute shop/reviews rule 0', [{ backend: backendName(REVIEWS, 9080, subset), weight: 1 }])])])],
    backends: [
      backend(REVIEWS, 9080),
      backend(REVIEWS, 9080, { subset: 'v1', workloadUids: [workload('reviews-v1').uid] }),
      backend(REVIEWS, 9080, { subset: 'v2', workloadUids: [workload('reviews-v2').uid] }),
    ],
  });
}

before(async () => {
  mesh = await createTestMesh();
  dir = await mkdtemp(join(tmpdir(), 'ambit-waypoint-it-'));
  await writeFile(join(dir, 'root-cert.pem'), mesh.rootsPem);
  const serving = await mesh.ca.issueServing({ dnsNames: ['istiod.istio-system.svc'], ipAddresses: ['127.0.0.1'], ttlSeconds: 3600 });
  // The CA signs the caller's own identity (what istiod derives from the token) and refuses impersonation.
  ca = await TestCaServer.start({ ca: mesh.ca, serving });
  ca.behaviour = async (req, authority) => {
    if (req.metadata[IMPERSONATED_IDENTITY] !== undefined) return { code: 7, details: 'waypoints may not impersonate' };
    return { certChain: await authority.signWorkload({ csrPem: req.csr, identity: mesh.identity('shop', 'waypoint'), ttlSeconds: 3600 }) };
  };
  ({ server: ads, address: adsAddress } = await TestAdsServer.start({ certChainPem: serving.certChainPem, keyPem: serving.keyPem }));
});

after(async () => {
  await waypoint?.shutdown();
  await pool.close();
  for (const pod of pods) {
    await pod.hbone.close();
    pod.http.closeAllConnections();
    pod.http.close();
  }
  ads?.stop();
  ca?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('requests through the waypoint follow its routes, unbound authorities are refused, and it all shows', async () => {
  const v1 = await startPod('127.0.0.2', 'v1', 0);
  const v2 = await startPod('127.0.0.3', 'v2', v1.hbonePort);
  const settings = loadConfig({
    POD_NAME: 'waypoint-abc', POD_NAMESPACE: 'shop', INSTANCE_IP: '127.0.0.1', SERVICE_ACCOUNT: 'waypoint', LISTEN_HOST: '127.0.0.1',
    HBONE_PORT: '0', UPSTREAM_HBONE_PORT: String(v1.hbonePort), ADMIN_ADDRESS: '127.0.0.1:0', STATS_ADDRESS: '127.0.0.1:0',
    READINESS_ADDRESS: '127.0.0.1:0', XDS_ADDRESS: adsAddress, CA_ADDRESS: ca.address,
    ROOT_CERT_PATH: join(dir, 'root-cert.pem'), DRAIN_TIMEOUT: '200ms',
  });
  waypoint = await build(settings, { logger: memoryLogger(), tokenSource: staticTokenSource('waypoint-sa-token') });

  await ads.requests(0, 3);
  const reviews = service('reviews', { addresses: [{ network: '', address: VIP }], ports: [{ servicePort: 9080, targetPort: 9080, appProtocol: 'HTTP11' }] });
  const workloads = [v1, v2].map((p) => workload(`reviews-${p.version}`, {
    addresses: [p.ip], serviceAccount: 'reviews', canonicalName: 'reviews', canonicalRevision: p.version,
    services: { [REVIEWS]: [{ servicePort: 9080, targetPort: p.appPort, appProtocol: 'HTTP11' }] },
  }));
  assert.equal(await push(ADDRESS_TYPE_URL, [reviews, ...workloads].map((v) => addressResource(v))), 'ACK');
  assert.equal(await push(WAYPOINT_CONFIG_TYPE_URL, [configResource(routeTo('v1'))]), 'ACK');
  assert.equal(await push(AUTHORIZATION_TYPE_URL, []), 'ACK');
  await waypoint.ready;
  assert.equal(ca.calls[0]?.authorization, 'Bearer waypoint-sa-token');
  assert.equal(ca.calls[0]?.request.metadata[IMPERSONATED_IDENTITY], undefined, 'the waypoint asks for its own identity');

  let res = await viaWaypoint(`${VIP}:9080`, '/reviews/1');
  assert.equal(res.status, 200);
  assert.equal(res.body, 'reviews-v1 GET /reviews/1');
  assert.deepEqual(v1.connects, [`spiffe://cluster.local/ns/shop/sa/waypoint → 127.0.0.2:${v1.appPort}`], 'the waypoint tunnels to the pod with its own identity');

  await assert.rejects(viaWaypoint(`${VIP}:80`, '/'), (err: Error & { status?: number }) => err.status === 503);
  await assert.rejects(viaWaypoint('198.19.0.99:9080', '/'), (err: Error & { status?: number }) => err.status === 503);

  assert.equal(await push(WAYPOINT_CONFIG_TYPE_URL, [configResource(routeTo('v2'), '2')]), 'ACK');
  res = await viaWaypoint(`${VIP}:9080`, '/reviews/2');
  assert.equal(res.status, 200);
  assert.equal(res.body, 'reviews-v2 GET /reviews/2');
  assert.equal(v2.connects.length, 1);
  res = await viaWaypoint(`${VIP}:9080`, '/reviews', 'a review body');
  assert.equal(res.body, 'reviews-v2 POST /reviews a review body', 'request bodies reach the backend intact');

  const metrics = await get(waypoint.addresses.stats.port, '/metrics');
  const ok = metrics.split('\n').filter((l) => l.startsWith('istio_requests_total{') && l.includes('reporter="waypoint"') && l.includes('response_code="200"'));
  assert.equal(ok.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0), 3, metrics);

  const dump = JSON.parse(await get(waypoint.addresses.admin.port, '/config_dump')) as {
    config: WaypointConfig; backends: { name: string; endpoints: { address: string; healthy: boolean }[] }[];
  };
  assert.equal(dump.config.services[0]?.ports[0]?.routes[0]?.backends[0]?.backend, backendName(REVIEWS, 9080, 'v2'));
  assert.deepEqual(dump.backends.map((b) => [b.name, b.endpoints.map((e) => e.address)]), [
    [backendName(REVIEWS, 9080), ['127.0.0.2', '127.0.0.3']],
    [backendName(REVIEWS, 9080, 'v1'), ['127.0.0.2']],
    [backendName(REVIEWS, 9080, 'v2'), ['127.0.0.3']],
  ]);
});
