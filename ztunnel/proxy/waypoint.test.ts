// Waypoint-bound destinations on loopback with real sockets: a node agent ("node-a") with the plain
// socket factory and test-mesh certificates, and a fake waypoint — an HBONE server holding the
// waypoint's certificate that records each CONNECT (authority, peer identity) and echoes. The test
// plays the capture rules. Checks: a connection to a bound Service VIP arrives at the waypoint with
// the VIP as authority and the client's identity and echoes, with the original Service in the
// metrics and `dst.waypoint` in the access log; a Service whose waypoint has no endpoints is reset
// (fail closed), logged once with the reason, and counted with response_flags="UH".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { GatewayAddress } from '../../pkg/api/workload-types';
import { createHboneServer } from '../../pkg/hbone/server';
import { startTcpTarget, type TcpTarget } from '../../pkg/hbone/test-support';
import type { HboneServer } from '../../pkg/hbone/types';
import { formatSpiffeId, type SpiffeId } from '../../pkg/identity/spiffe';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { createTestMesh, type TestMesh } from '../../pkg/testing/mesh-certs';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import { plainSocketFactory } from '../net/plain';
import type { Destination } from './context';
import { startProxies, type ZtunnelProxies } from './index';
import { backs, testService, testState, testWorkload } from './test-state';
import { metricSum, openClient, until } from './test-nodes';

const NODE_A_IP = '127.0.65.254';
const CLIENT_IP = '127.0.65.1';
const WAYPOINT_IP = '127.0.65.30';
const REVIEWS_VIP = '198.19.0.10';
const RATINGS_VIP = '198.19.0.11';

let mesh: TestMesh;
let echo: TcpTarget;
let waypoint: HboneServer;
let waypointPort: number;
let proxies: ZtunnelProxies;
const metrics = new Registry();
const logger = memoryLogger();
const servers: Server[] = [];
const sockets = new Set<Socket>();
const certs = new Map<string, Promise<WorkloadCertificate>>();
/** What the fake waypoint saw: one entry per CONNECT. */
const connects: { authority: string; peer: string; forwardedHost?: string }[] = [];

function certificateFor(id: SpiffeId): Promise<WorkloadCertificate> {
  const key = formatSpiffeId(id);
  let cert = certs.get(key);
  if (!cert) {
    cert = mesh.issue(id.namespace, id.serviceAccount);
    certs.set(key, cert);
  }
  return cert;
}

/** Plays the capture rules: every connection to the returned port goes to node-a's outbound path with `dest`. */
async function capture(dest: Destination): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    void proxies.handleOutbound(socket, dest);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

before(async () => {
  mesh = await createTestMesh();
  echo = await startTcpTarget('echo');
  const waypointCert = await certificateFor(mesh.identity('shop', 'waypoint'));
  waypoint = createHboneServer({
    certificateFor: () => waypointCert,
    onConnect: async (request) => {
      connects.push({
        authority: `${request.authority.host}:${request.authority.port}`,
        peer: formatSpiffeId(request.peer.identity),
        ...(request.forwarded?.host !== undefined ? { forwardedHost: request.forwarded.host } : {}),
      });
      const upstream = connect({ host: '127.0.0.1', port: echo.port, allowHalfOpen: true });
      await once(upstream, 'connect');
      return { kind: 'connected', upstream };
    },
  });
  waypointPort = (await waypoint.listen(0, WAYPOINT_IP)).port;

  const gateway = (hostname: string): GatewayAddress => ({ kind: 'hostname', hostname: { namespace: 'shop', hostname }, hboneMtlsPort: waypointPort });
  const waypointSvc = testService({ name: 'waypoint', addresses: [{ network: '', address: '198.19.0.99' }], ports: [{ servicePort: 15008, targetPort: 15008, appProtocol: 'TCP' }] });
  const ghostSvc = testService({ name: 'ghost', addresses: [{ network: '', address: '198.19.0.98' }], ports: [{ servicePort: 15008, targetPort: 15008, appProtocol: 'TCP' }] });
  const port = [{ servicePort: 9080, targetPort: 9080, appProtocol: 'TCP' as const }];
  const reviews = testService({ name: 'reviews', addresses: [{ network: '', address: REVIEWS_VIP }], ports: port, waypoint: gateway(waypointSvc.hostname) });
  const ratings = testService({ name: 'ratings', addresses: [{ network: '', address: RATINGS_VIP }], ports: port, waypoint: gateway(ghostSvc.hostname) });
  const state = testState(
    [
      testWorkload({ name: 'client', addresses: [CLIENT_IP], node: 'node-a' }),
      // On this node and not captured (NONE): still reached over HBONE at its own address.
      testWorkload({ name: 'waypoint-abc', serviceAccount: 'waypoint', addresses: [WAYPOINT_IP], node: 'node-a', tunnelProtocol: 'NONE', services: backs(waypointSvc, []) }),
      // The Services' real endpoints: never dialled while a waypoint is bound.
      testWorkload({ name: 'reviews-v1', addresses: ['127.0.66.1'], node: 'node-b', services: { ...backs(reviews, port), ...backs(ratings, port) } }),
    ],
    [waypointSvc, ghostSvc, reviews, ratings],
  );
  proxies = await startProxies({
    settings: {
      nodeName: 'node-a',
      nodeIP: NODE_A_IP,
      trustDomain: 'cluster.local',
      listenHost: '127.0.0.1',
      ports: { outbound: 0, inboundPlaintext: 0, inbound: 0 },
      hbonePort: 15008,
      connectTimeoutMs: 3000,
      drainTimeoutMs: 500,
    },
    state,
    certificateFor,
    sockets: plainSocketFactory(),
    metrics,
    logger,
  });
});

after(async () => {
  await proxies?.shutdown();
  await waypoint?.close();
  echo?.close();
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

test('a connection to a waypoint-bound VIP reaches the waypoint with authority VIP:port and the client identity, and echoes', async () => {
  const client = await openClient(await capture({ address: REVIEWS_VIP, port: 9080 }), CLIENT_IP);
  client.socket.end('hello waypoint');
  assert.equal(await client.ended, 'end');
  assert.equal(client.received(), 'hello waypoint');
  assert.deepEqual(connects, [{ authority: `${REVIEWS_VIP}:9080`, peer: 'spiffe://cluster.local/ns/shop/sa/client', forwardedHost: 'reviews.shop.svc.cluster.local' }]);

  const source = { reporter: 'source', source_workload: 'client', destination_service: 'reviews.shop.svc.cluster.local' };
  await until('the close to be recorded', () => metricSum(metrics, 'istio_tcp_connections_closed_total', source) === 1);
  assert.equal(
    metricSum(metrics, 'istio_tcp_connections_opened_total', { ...source, destination_workload: 'waypoint-abc', destination_principal: 'spiffe://cluster.local/ns/shop/sa/waypoint', connection_security_policy: 'mutual_tls' }),
    1,
  );
  assert.equal(metricSum(metrics, 'istio_tcp_received_bytes_total', source), 'hello waypoint'.length);
  const line = logger.lines.find((l) => l.includes('connection complete') && l.includes('dst.waypoint='));
  assert.ok(line, logger.lines.join('\n'));
  assert.match(line, new RegExp(`dst\\.addr=${WAYPOINT_IP.replace(/\./g, '\\.')}:${waypointPort} dst\\.hbone_addr=198\\.19\\.0\\.10:9080 `));
  assert.match(line, / dst\.waypoint=shop\/waypoint /);
});

test('a VIP whose waypoint has no endpoints is reset, never delivered directly, and the log says why', async () => {
  const port = await capture({ address: RATINGS_VIP, port: 9080 });
  for (let i = 0; i < 2; i++) {
    const client = await openClient(port, CLIENT_IP);
    client.socket.write('x');
    assert.equal(await client.ended, 'reset');
    assert.equal(client.received(), '');
  }
  const reason = 'shop/ratings.shop.svc.cluster.local:9080 is bound to waypoint shop/ghost, which has no ready endpoints; refusing (fail closed)';
  await until('both refusals to be counted', () =>
    metricSum(metrics, 'istio_tcp_connections_failed_total', { reporter: 'source', destination_service: 'ratings.shop.svc.cluster.local', response_flags: 'UH' }) === 2,
  );
  assert.deepEqual(logger.lines.filter((l) => l.startsWith('warn ')), [`warn outbound: ${reason}`], 'one warning for the two refusals');
  const refusals = logger.lines.filter((l) => l.includes('connection complete') && l.includes('dst.waypoint=shop/ghost'));
  assert.equal(refusals.length, 2);
  assert.ok(refusals.every((l) => l.includes(`error=${JSON.stringify(reason)}`)));
  assert.ok(connects.every((c) => c.authority !== `${RATINGS_VIP}:9080`), 'nothing reached a waypoint');
});
