// The waypoint built in-process (loopback, port 0) against a stand-in istiod (a TLS delta ADS
// server the test scripts) with certificates from a throw-away mesh CA, and a stub in place of
// the L7 proxy. Checks what an operator sees: the node and subscriptions sent to istiod, readiness
// gated on all three types, CONNECTs accepted or refused by binding, NACKs, /config_dump, xDS
// metrics, and a shutdown that drains the proxy and turns readiness off.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backendName } from '../pkg/api/waypoint-types';
import { staticTokenSource } from '../pkg/certs/token-source';
import { HbonePool } from '../pkg/hbone/pool';
import { collect } from '../pkg/hbone/test-support';
import { memoryLogger } from '../pkg/log/logger';
import { createTestMesh, type TestMesh } from '../pkg/testing/mesh-certs';
import { TestAdsServer } from '../pkg/xds/test-ads-server';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, WAYPOINT_CONFIG_TYPE_URL, type XdsResource } from '../pkg/xds/types';
import { build, type Waypoint } from './build';
import { loadConfig } from './config';
import type { StreamProxy } from './http/stream-proxy';
import {
  addressResource, backend, boundService, configResource, portRoutes, rawConfigResource, service, serviceKey, waypointConfig, workload,
} from './state/test-resources';

const REVIEWS = serviceKey('reviews');
let mesh: TestMesh;
let dir = '';
let ads: TestAdsServer;
let xdsAddress = '';
let waypoint: Waypoint | undefined;
const pool = new HbonePool();
const drains: number[] = [];

const stubProxy: StreamProxy = {
  serve(stream, target, peer) {
    stream.on('error', () => undefined);
    stream.resume();
    stream.end(`${target.kind} ${target.kind === 'service' ? target.serviceKey : target.endpoint.uid} for ${peer.identity} at ${peer.address}`);
  },
  activeRequests: 0,
  activeStreams: 0,
  drain: async (deadlineMs) => {
    drains.push(deadlineMs);
  },
};

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    }).on('error', reject).end();
  });
}

function push(typeUrl: string, resources: XdsResource[], removed: string[] = []): Promise<string> {
  const nonce = ads.push(0, { systemVersionInfo: '', typeUrl, resources, removedResources: removed });
  return ads.until(() => ads.streams[0]?.requests.find((r) => r.responseNonce === nonce)).then((r) => r.errorDetail?.message ?? 'ACK');
}

before(async () => {
  mesh = await createTestMesh();
  dir = await mkdtemp(join(tmpdir(), 'ambit-waypoint-build-'));
  await writeFile(join(dir, 'root-cert.pem'), mesh.rootsPem);
  const serving = await mesh.ca.issueServing({ dnsNames: ['istiod.istio-system.svc'], ttlSeconds: 3600 });
  ({ server: ads, address: xdsAddress } = await TestAdsServer.start({ certChainPem: serving.certChainPem, keyPem: serving.keyPem }));
});

after(async () => {
  await waypoint?.shutdown();
  await pool.close();
  ads.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the waypoint subscribes as itself, gets ready after all three types and its certificate, and serves bound authorities', async () => {
  const settings = loadConfig({
    POD_NAME: 'waypoint-abc', POD_NAMESPACE: 'shop', INSTANCE_IP: '127.0.0.1', SERVICE_ACCOUNT: 'waypoint', LISTEN_HOST: '127.0.0.1',
    HBONE_PORT: '0', ADMIN_ADDRESS: '127.0.0.1:0', STATS_ADDRESS: '127.0.0.1:0', READINESS_ADDRESS: '127.0.0.1:0',
    XDS_ADDRESS: xdsAddress, ROOT_CERT_PATH: join(dir, 'root-cert.pem'), DRAIN_TIMEOUT: '200ms',
  });
  const logger = memoryLogger();
  waypoint = await build(settings, {
    logger,
    tokenSource: staticTokenSource('waypoint-token'),
    fetcher: (id) => mesh.issue(id.namespace, id.serviceAccount),
    createProxy: () => stubProxy,
  });
  const { readiness, admin, stats, hbone } = waypoint.addresses;

  const subs = await ads.requests(0, 3);
  assert.deepEqual(subs.map((r) => r.typeUrl), [ADDRESS_TYPE_URL, WAYPOINT_CONFIG_TYPE_URL, AUTHORIZATION_TYPE_URL]);
  assert.equal(subs[0]?.node?.id, 'waypoint~127.0.0.1~waypoint-abc.shop~shop.svc.cluster.local');
  assert.equal(String(ads.streams[0]?.metadata.get('authorization')[0]), 'Bearer waypoint-token');

  let r = await get(readiness.port, '/healthz/ready');
  assert.equal(r.status, 503);
  assert.match(r.body, /waiting for the first xDS configuration/);

  const reviews = service('reviews', { addresses: [{ network: '', address: '198.19.0.10' }], ports: [{ servicePort: 9080, targetPort: 9080, appProtocol: 'HTTP11' }] });
  const v1 = workload('reviews-v1', { addresses: ['198.18.1.5'], services: { [REVIEWS]: [{ servicePort: 9080, targetPort: 9080, appProtocol: 'HTTP11' }] } });
  assert.equal(await push(ADDRESS_TYPE_URL, [addressResource(reviews), addressResource(v1)]), 'ACK');
  const config = waypointConfig({ services: [boundService(REVIEWS, [portRoutes(REVIEWS, 9080)])], backends: [backend(REVIEWS, 9080)] });
  assert.equal(await push(WAYPOINT_CONFIG_TYPE_URL, [configResource(config)]), 'ACK');
  r = await get(readiness.port, '/healthz/ready');
  assert.equal(r.status, 503, 'Authorization has not arrived yet');
  assert.equal(await push(AUTHORIZATION_TYPE_URL, []), 'ACK');
  await waypoint.ready;
  r = await get(readiness.port, '/healthz/ready');
  assert.equal(r.status, 200);

  // A bound Service port is handed to the proxy with the client's identity; anything else is refused.
  const client = await mesh.issue('shop', 'productpage');
  const dial = (authority: string) => pool.connect({
    source: client, destination: { address: '127.0.0.1', port: hbone.port }, expectedIdentities: [mesh.identity('shop', 'waypoint')], authority,
  });
  const { stream } = await dial('198.19.0.10:9080');
  stream.end();
  assert.equal((await collect(stream)).toString(), `service ${REVIEWS} for spiffe://cluster.local/ns/shop/sa/productpage at 127.0.0.1`);
  await assert.rejects(dial('198.19.0.10:80'), (err: Error & { status?: number }) => err.status === 503);
  await assert.rejects(dial('198.19.0.99:80'), (err: Error & { status?: number }) => err.status === 503);
  assert.ok(logger.lines.some((l) => l.includes('198.19.0.10:80 is not bound to waypoint shop/waypoint')));

  // A bad config is NACKed with the reason; the last good one stays and is shown.
  const nack = await push(WAYPOINT_CONFIG_TYPE_URL, [rawConfigResource('shop/waypoint', { namespace: 'shop', name: 'waypoint', waypointFor: 'service', services: [{ key: REVIEWS, ports: [{ port: 9080, defaultBackend: 'missing' }] }] }, '2')]);
  assert.match(nack, /missing/);
  const dump = JSON.parse((await get(admin.port, '/config_dump')).body) as {
    waypoint: { identity: string }; config: { name: string }; services: { key: string; vips: string[] }[];
    backends: { name: string; endpoints: { uid: string; healthy: boolean }[] }[]; certificates: { identity: string; state: string }[];
    xds: { synced: boolean; nacks: number };
  };
  assert.equal(dump.waypoint.identity, 'spiffe://cluster.local/ns/shop/sa/waypoint');
  assert.equal(dump.config.name, 'waypoint');
  assert.deepEqual(dump.services.map((s) => [s.key, s.vips]), [[REVIEWS, ['198.19.0.10']]]);
  assert.deepEqual(dump.backends.map((b) => [b.name, b.endpoints.map((e) => [e.uid, e.healthy])]), [[backendName(REVIEWS, 9080), [[v1.uid, true]]]]);
  assert.equal(dump.certificates[0]?.identity, 'spiffe://cluster.local/ns/shop/sa/waypoint');
  assert.equal(dump.xds.synced, true);
  assert.equal(dump.xds.nacks, 1);

  const metrics = (await get(stats.port, '/stats/prometheus')).body;
  assert.match(metrics, new RegExp(`istio_xds_message_total\\{url="${WAYPOINT_CONFIG_TYPE_URL.replace(/\./g, '\\.')}"\\} 2`));

  await waypoint.shutdown();
  assert.deepEqual(drains, [200], 'the proxy was drained with DRAIN_TIMEOUT');
  await waypoint.shutdown();
  await assert.rejects(get(readiness.port, '/healthz/ready'));
  assert.equal(ads.streams[0]?.closed, true);
});
