// ztunnel's proxies end to end on loopback: two node agents ("node-a", "node-b") with the plain
// socket factory, test-mesh certificates and an in-memory state. The test plays the capture
// rules: small listeners hand accepted sockets to a node's outbound / HBONE / plaintext handlers
// with the original destination. Apps on 127.0.x.y answer with their name and the client address
// they see, then echo. Checks: bytes through HBONE and back, the app sees the real client, metrics
// and access logs on both sides, VIP load spreading, passthrough, same-node delivery, plaintext
// inbound, refusals (400 authority, resets, SOCKS5 not allowed), and shutdown draining.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { HboneConnectError } from '../../pkg/hbone/errors';
import { HbonePool } from '../../pkg/hbone/pool';
import { formatSpiffeId, type SpiffeId } from '../../pkg/identity/spiffe';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { createTestMesh, type TestMesh } from '../../pkg/testing/mesh-certs';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import { plainSocketFactory } from '../../ztunnel/net/plain';
import { startProxies, type Destination, type ZtunnelProxies } from '../../ztunnel/proxy/index';
import { backs, testService, testState, testWorkload } from '../../ztunnel/proxy/test-state';
import type { ProxySettings } from '../../ztunnel/proxy/types';

const NODE_A_IP = '127.0.1.254';
const NODE_B_IP = '127.0.2.254';
const CLIENT_IP = '127.0.1.1';
const RATINGS_IP = '127.0.1.2';
const SERVER1_IP = '127.0.2.1';
const SERVER2_IP = '127.0.2.2';
const OUTSIDE_IP = '127.0.3.1';
const VIP = '198.19.0.10';
const SERVICE_HOST = 'reviews.shop.svc.cluster.local';
const DENIED_PORT = 7;
/** Ports the stand-in policy closes; a test adds one to see open connections re-checked. */
const deniedPorts = new Set([DENIED_PORT]);

interface Node {
  readonly proxies: ZtunnelProxies;
  readonly metrics: Registry;
  readonly logger: ReturnType<typeof memoryLogger>;
}

let mesh: TestMesh;
let appPort: number;
let hbonePort: number;
let closedPort: number;
let nodeA: Node;
let nodeB: Node;
const servers: Server[] = [];
const openSockets = new Set<Socket>();
const certs = new Map<string, Promise<WorkloadCertificate>>();
let rotation = 0;

function certificateFor(id: SpiffeId): Promise<WorkloadCertificate> {
  const key = formatSpiffeId(id);
  let cert = certs.get(key);
  if (!cert) {
    cert = mesh.issue(id.namespace, id.serviceAccount);
    certs.set(key, cert);
  }
  return cert;
}

async function listenOn(host: string, port: number, onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    openSockets.add(socket);
    socket.once('close', () => openSockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  server.listen(port, host);
  await once(server, 'listening');
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** An app: says `<name> <client address>\n`, then echoes until the client ends. */
function app(name: string): (socket: Socket) => void {
  return (socket) => {
    socket.write(`${name} ${socket.remoteAddress}\n`);
    socket.pipe(socket);
  };
}

const reviews = testService({ name: 'reviews', addresses: [{ network: '', address: VIP }], ports: [{ servicePort: 9080, targetPort: 1, appProtocol: 'TCP' }] });

function meshState(port: number): ReturnType<typeof testState> {
  const mapping = [{ servicePort: 9080, targetPort: port, appProtocol: 'TCP' as const }];
  return testState(
    [
      testWorkload({ name: 'client', addresses: [CLIENT_IP], node: 'node-a' }),
      testWorkload({ name: 'ratings', addresses: [RATINGS_IP], node: 'node-a' }),
      testWorkload({ name: 'server-1', serviceAccount: 'reviews', addresses: [SERVER1_IP], node: 'node-b', services: backs(reviews, mapping) }),
      testWorkload({ name: 'server-2', serviceAccount: 'reviews', addresses: [SERVER2_IP], node: 'node-b', services: backs(reviews, mapping) }),
    ],
    [reviews],
  );
}

function settingsFor(nodeName: string, nodeIP: string, drainTimeoutMs = 1000): ProxySettings {
  return {
    nodeName,
    nodeIP,
    trustDomain: 'cluster.local',
    listenHost: '127.0.0.1',
    ports: { outbound: 0, inboundPlaintext: 0, inbound: 0, socks5: 0 },
    hbonePort,
    connectTimeoutMs: 3000,
    drainTimeoutMs,
  };
}

async function startNode(nodeName: string, nodeIP: string, drainTimeoutMs?: number): Promise<Node> {
  const metrics = new Registry();
  const logger = memoryLogger();
  // Endpoints alternate: 0, 0.99, 0, ... (one injected random source per node).
  const proxies = await startProxies(
    { settings: settingsFor(nodeName, nodeIP, drainTimeoutMs), state: meshState(appPort), certificateFor, sockets: plainSocketFactory(), metrics, logger },
    {
      random: () => (rotation++ % 2 === 0 ? 0 : 0.99),
      // A stand-in policy: nobody may reach the ports in deniedPorts.
      authorize: (req) => (deniedPorts.has(req.destinationPort) ? { allow: false, reason: `port ${req.destinationPort} is closed to ${req.sourceWorkload?.name}` } : { allow: true }),
    },
  );
  return { proxies, metrics, logger };
}

/** Plays the capture rules: every connection to the returned port is handed over with `dest`. */
async function capture(handler: (socket: Socket, dest: Destination) => void, dest: Destination): Promise<number> {
  return listenOn('127.0.0.1', 0, (socket) => handler(socket, dest));
}

/** Connects from `from`, sends `payload`, half-closes, and returns everything received. */
async function exchange(port: number, from: string, payload: string, prefix?: Buffer): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'connect');
  if (prefix) socket.write(prefix);
  socket.end(payload);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('end', () => resolve());
  });
  socket.destroy();
  return Buffer.concat(chunks).toString('latin1'); // lossless for the SOCKS5 reply bytes
}

/** The SOCKS5 greeting and a CONNECT request for an IPv4 address or a domain name. */
function socksRequest(target: string, port: number): Buffer {
  const greeting = Buffer.from([5, 1, 0]);
  const portBytes = Buffer.from([port >> 8, port & 255]);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(target)) return Buffer.concat([greeting, Buffer.from([5, 1, 0, 1, ...target.split('.').map(Number)]), portBytes]);
  const name = Buffer.from(target);
  return Buffer.concat([greeting, Buffer.from([5, 1, 0, 3, name.length]), name, portBytes]);
}

/** Sum of every series of `name` whose labels include `match`. */
function metric(registry: Registry, name: string, match: Record<string, string>): number {
  let sum = 0;
  for (const line of registry.render().split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(match).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The client saw a TCP reset (EPIPE when the reset beat its own write). */
function isReset(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ECONNRESET' || err.code === 'EPIPE';
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`gave up waiting for ${what}`);
}

before(async () => {
  mesh = await createTestMesh();
  appPort = await listenOn(SERVER1_IP, 0, app('server-1'));
  await listenOn(SERVER2_IP, appPort, app('server-2'));
  await listenOn(RATINGS_IP, appPort, app('ratings'));
  await listenOn(OUTSIDE_IP, appPort, app('outside'));
  const probe = createServer().listen(0, SERVER1_IP);
  await once(probe, 'listening');
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  // Each pod's HBONE port is handed to its node's inbound handler (as the TPROXY rule would).
  hbonePort = await listenOn(CLIENT_IP, 0, (s) => nodeA.proxies.handleInbound(s));
  await listenOn(RATINGS_IP, hbonePort, (s) => nodeA.proxies.handleInbound(s));
  await listenOn(SERVER1_IP, hbonePort, (s) => nodeB.proxies.handleInbound(s));
  await listenOn(SERVER2_IP, hbonePort, (s) => nodeB.proxies.handleInbound(s));
  nodeA = await startNode('node-a', NODE_A_IP);
  nodeB = await startNode('node-b', NODE_B_IP);
});

after(async () => {
  await nodeA?.proxies.shutdown();
  await nodeB?.proxies.shutdown();
  for (const socket of openSockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

test('a captured connection to a pod on another node goes through HBONE; the app sees the client; both nodes count it', async () => {
  const port = await capture((s, d) => void nodeA.proxies.handleOutbound(s, d), { address: SERVER1_IP, port: appPort });
  const reply = await exchange(port, CLIENT_IP, 'hello world');
  assert.equal(reply, `server-1 ${CLIENT_IP}\nhello world`);

  const source = { reporter: 'source', source_workload: 'client', destination_workload: 'server-1' };
  const principals = { source_principal: 'spiffe://cluster.local/ns/shop/sa/client', destination_principal: 'spiffe://cluster.local/ns/shop/sa/reviews' };
  await until('node-a to record the close', () => metric(nodeA.metrics, 'istio_tcp_connections_closed_total', source) === 1);
  assert.equal(metric(nodeA.metrics, 'istio_tcp_connections_opened_total', { ...source, ...principals, connection_security_policy: 'mutual_tls' }), 1);
  assert.equal(metric(nodeA.metrics, 'istio_tcp_received_bytes_total', source), 'hello world'.length);
  assert.equal(metric(nodeA.metrics, 'istio_tcp_sent_bytes_total', source), reply.length);

  const destination = { ...source, reporter: 'destination' };
  await until('node-b to record the close', () => metric(nodeB.metrics, 'istio_tcp_connections_closed_total', destination) === 1);
  assert.equal(metric(nodeB.metrics, 'istio_tcp_connections_opened_total', { ...destination, ...principals, destination_service: SERVICE_HOST }), 1);
  assert.equal(metric(nodeB.metrics, 'istio_tcp_received_bytes_total', destination), 'hello world'.length);
  assert.equal(metric(nodeB.metrics, 'istio_tcp_sent_bytes_total', destination), reply.length);
  assert.ok(nodeA.logger.lines.some((l) => l.includes('src.workload=client') && l.includes('dst.workload=server-1') && l.includes('direction="outbound"') && l.includes('bytes_sent=11')));
  assert.ok(nodeB.logger.lines.some((l) => l.includes(`src.addr=${CLIENT_IP}:`) && l.includes('direction="inbound"') && l.includes('bytes_sent=11')));
});

test('a Service VIP (by address or hostname over SOCKS5) spreads connections over both endpoints', async () => {
  const socksPort = nodeA.proxies.ports.socks5!;
  const seen = new Set<string>();
  for (const target of [VIP, SERVICE_HOST, VIP, SERVICE_HOST]) {
    const reply = await exchange(socksPort, CLIENT_IP, 'ping', socksRequest(target, 9080));
    // Greeting answer (2 bytes) and the success reply (10 bytes) come first.
    assert.deepEqual([...Buffer.from(reply, 'latin1').subarray(0, 4)], [5, 0, 5, 0]);
    const body = reply.slice(12);
    assert.match(body, new RegExp(`^server-[12] ${CLIENT_IP.replace(/\./g, '\\.')}\nping$`));
    seen.add(body.slice(0, 8));
  }
  assert.deepEqual([...seen].sort(), ['server-1', 'server-2']);
  await until('node-b to count the service', () => metric(nodeB.metrics, 'istio_tcp_connections_closed_total', { reporter: 'destination', destination_service: SERVICE_HOST, destination_service_name: 'reviews' }) >= 4);
});

test('a destination outside the mesh is passed through as plain TCP from the client address', async () => {
  const port = await capture((s, d) => void nodeA.proxies.handleOutbound(s, d), { address: OUTSIDE_IP, port: appPort });
  assert.equal(await exchange(port, CLIENT_IP, 'x'), `outside ${CLIENT_IP}\nx`);
  await until('the passthrough metric', () =>
    metric(nodeA.metrics, 'istio_tcp_connections_closed_total', { reporter: 'source', source_workload: 'client', destination_workload: 'unknown', connection_security_policy: 'unknown' }) === 1,
  );
});

test('a pod on the same node is served in-process and counted as source and destination', async () => {
  const port = await capture((s, d) => void nodeA.proxies.handleOutbound(s, d), { address: RATINGS_IP, port: appPort });
  assert.equal(await exchange(port, CLIENT_IP, 'local'), `ratings ${CLIENT_IP}\nlocal`);
  for (const reporter of ['source', 'destination']) {
    await until(`reporter=${reporter}`, () =>
      metric(nodeA.metrics, 'istio_tcp_received_bytes_total', { reporter, source_workload: 'client', destination_workload: 'ratings', source_principal: 'spiffe://cluster.local/ns/shop/sa/client' }) === 5,
    );
  }
});

test('plaintext captured for a local pod reaches the app with the client address', async () => {
  const port = await capture((s, d) => void nodeB.proxies.handleInboundPlaintext(s, d), { address: SERVER2_IP, port: appPort });
  assert.equal(await exchange(port, OUTSIDE_IP, 'plain'), `server-2 ${OUTSIDE_IP}\nplain`);
  await until('the plaintext metric', () =>
    metric(nodeB.metrics, 'istio_tcp_connections_closed_total', { reporter: 'destination', destination_workload: 'server-2', connection_security_policy: 'unknown' }) === 1,
  );
});

test('a CONNECT naming another IP than the pod it arrived on is refused with 400', async () => {
  const pool = new HbonePool({ connectTimeoutMs: 3000 });
  try {
    await assert.rejects(
      pool.connect({
        source: await certificateFor(mesh.identity('shop', 'client')),
        destination: { address: SERVER1_IP, port: hbonePort },
        expectedIdentities: [mesh.identity('shop', 'reviews')],
        authority: `${SERVER2_IP}:${appPort}`,
      }),
      (err: unknown) => err instanceof HboneConnectError && err.status === 400 && /target IP 127\.0\.2\.2 not allowed/.test(err.message),
    );
  } finally {
    await pool.close();
  }
});

test('refusals reset the client: an unreachable app (503), a policy denial (401), an unknown source; SOCKS5 answers "not allowed"', async () => {
  const unreachable = await capture((s, d) => void nodeA.proxies.handleOutbound(s, d), { address: SERVER1_IP, port: closedPort });
  await assert.rejects(exchange(unreachable, CLIENT_IP, 'x'), isReset);
  await until('the failed metric', () => metric(nodeA.metrics, 'istio_tcp_connections_failed_total', { reporter: 'source', destination_workload: 'server-1', response_flags: 'CONNECT' }) === 1);
  assert.ok(nodeA.logger.lines.some((l) => l.includes('error=') && l.includes('503')));

  const denied = await capture((s, d) => void nodeA.proxies.handleOutbound(s, d), { address: SERVER2_IP, port: DENIED_PORT });
  await assert.rejects(exchange(denied, CLIENT_IP, 'x'), isReset);
  await until('the deny on both nodes', () =>
    metric(nodeA.metrics, 'istio_tcp_connections_failed_total', { reporter: 'source', destination_workload: 'server-2', response_flags: 'DENY' }) === 1 &&
    metric(nodeB.metrics, 'istio_tcp_connections_failed_total', { reporter: 'destination', source_workload: 'client', response_flags: 'DENY' }) === 1,
  );
  assert.ok(nodeA.logger.lines.some((l) => l.includes('401') && l.includes('port 7 is closed to client')));

  const stranger = await capture((s, d) => void nodeA.proxies.handleOutbound(s, d), { address: SERVER1_IP, port: appPort });
  await assert.rejects(exchange(stranger, '127.0.1.99', 'x'), isReset);

  const reply = await exchange(nodeA.proxies.ports.socks5!, '127.0.0.1', '', socksRequest(SERVER1_IP, appPort));
  assert.deepEqual([...Buffer.from(reply, 'latin1')].slice(0, 4), [5, 0, 5, 2]);

  // With plain sockets the outbound listener's own address is the "original destination": a loop, refused.
  await assert.rejects(exchange(nodeA.proxies.ports.outbound, CLIENT_IP, 'x'), isReset);
  // A client that does not speak SOCKS5 is turned away; the node keeps serving.
  assert.deepEqual([...Buffer.from(await exchange(nodeA.proxies.ports.socks5!, CLIENT_IP, 'GET / HTTP/1.1\r\n\r\n'), 'latin1')], [5, 255]);
  assert.deepEqual(nodeA.proxies.stats(), { activeOutbound: 0, activeInbound: 0 });
});

test('a policy change closes the open connections it no longer allows and keeps the others', async () => {
  const port = await capture((s, d) => void nodeA.proxies.handleOutbound(s, d), { address: SERVER1_IP, port: appPort });
  const socket = connect({ host: '127.0.0.1', port, localAddress: CLIENT_IP, allowHalfOpen: true });
  let received = '';
  socket.on('data', (chunk: Buffer) => { received += chunk.toString(); });
  const ended = new Promise<string>((resolve) => {
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    socket.once('close', () => resolve('closed'));
    socket.once('end', () => resolve('ended'));
  });
  socket.write('ping\n');
  await until('the echo through HBONE', () => received.includes('ping'));
  assert.deepEqual(nodeB.proxies.reauthorize(), { checked: 1, closed: 0 }, 'nothing changed: the connection stays');
  deniedPorts.add(appPort);
  try {
    assert.deepEqual(nodeB.proxies.reauthorize(), { checked: 1, closed: 1 });
    assert.match(await ended, /ended|closed|ECONNRESET|EPIPE/);
    assert.ok(nodeB.logger.lines.some((l) => l.includes('no longer allowed by authorization policy') && l.includes(`port ${appPort} is closed to client`)));
    await until('the inbound side forgets it', () => nodeB.proxies.stats().activeInbound === 0);
  } finally {
    deniedPorts.delete(appPort);
    socket.destroy();
  }
});

test('shutdown lets an open connection work until the deadline, then closes it', async () => {
  const draining = await startNode('node-a', NODE_A_IP, 1000);
  const port = await capture((s, d) => void draining.proxies.handleOutbound(s, d), { address: SERVER1_IP, port: appPort });
  const socket = connect({ host: '127.0.0.1', port, localAddress: CLIENT_IP, allowHalfOpen: true });
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write('one');
  await until('the first echo', () => received.endsWith('one'));
  assert.equal(draining.proxies.stats().activeOutbound, 1);

  const stopped = draining.proxies.shutdown();
  socket.write('two');
  await until('an echo during the drain', () => received.endsWith('onetwo'));
  await closed;
  await stopped;
  assert.equal(draining.proxies.stats().activeOutbound, 0);
  assert.equal(received, `server-1 ${CLIENT_IP}\nonetwo`);
});
