// Everything an HBONE server or client must refuse — wrong or untrusted identities, expired
// certificates, foreign trust domains, no client certificate, non-CONNECT, hostile authorities,
// handler denials, unreachable upstreams, Rapid Reset — and the server still serving afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as h2connect, constants as h2, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { createServer, type AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ErrorCode, isMeshError } from '../../pkg/errors/mesh-error';
import { HboneConnectError } from '../../pkg/hbone/errors';
import { HbonePool } from '../../pkg/hbone/pool';
import { createHboneServer } from '../../pkg/hbone/server';
import { collect, loopbackHandler, startHboneTestBed, startTcpTarget, type HboneTestBed, type TcpTarget } from '../../pkg/hbone/test-support';
import type { ConnectHandler, HboneServer } from '../../pkg/hbone/types';
import { createTestMesh, type TestMesh } from '../../pkg/testing/mesh-certs';
import { mtlsContextOptions, type WorkloadCertificate } from '../../pkg/tls/workload-cert';

const DENIED_HOST = '198.18.0.41';
const BROKEN_HOST = '198.18.0.53';
const SLOW_HOST = '198.18.0.99';

/** Denies one test host, fails another, holds a third until the client gives up; else dials loopback. */
const handler: ConnectHandler = async (request) => {
  if (request.authority.host === DENIED_HOST) return { kind: 'rejected', status: 401, reason: 'denied by policy' };
  if (request.authority.host === BROKEN_HOST) return { kind: 'rejected', status: 503, reason: 'no healthy upstream' };
  if (request.authority.host === SLOW_HOST) {
    if (!request.signal.aborted) await once(request.signal, 'abort');
    return { kind: 'rejected', status: 503, reason: 'gone' };
  }
  return loopbackHandler(request);
};

let bed: HboneTestBed;
let echo: TcpTarget;
let closedPort: number;
const extras: { close(): Promise<void> | void }[] = [];

before(async () => {
  bed = await startHboneTestBed({ onConnect: handler });
  echo = await startTcpTarget('echo');
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

after(async () => {
  for (const extra of extras) await extra.close();
  await bed.dispose();
  echo.close();
});

/** A fresh pool (so no pooled connection hides a handshake), closed after the test. */
function freshPool(): HbonePool {
  const pool = new HbonePool({ connectTimeoutMs: 5000 });
  extras.push(pool);
  return pool;
}

/** Another HBONE server on loopback presenting `cert`. */
async function serverWith(cert: WorkloadCertificate): Promise<{ server: HboneServer; port: number }> {
  const server = createHboneServer({ certificateFor: () => cert, onConnect: handler, limits: { drainTimeoutMs: 500 } });
  extras.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

/** A raw HTTP/2 client with a valid mesh certificate, for requests the pool would never send. */
async function rawClient(cert: WorkloadCertificate): Promise<ClientHttp2Session> {
  const session = h2connect(`https://127.0.0.1:${bed.port}`, {
    createConnection: () =>
      tlsConnect({ ...mtlsContextOptions(cert), host: '127.0.0.1', port: bed.port, ALPNProtocols: ['h2'], checkServerIdentity: () => undefined }),
  });
  session.on('error', () => undefined);
  extras.push({ close: () => void session.destroy() });
  await once(session, 'remoteSettings');
  return session;
}

async function rawRequest(session: ClientHttp2Session, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const stream = session.request(headers, { endStream: false });
  stream.on('error', () => undefined);
  const [response] = (await once(stream, 'response')) as [IncomingHttpHeaders];
  const body = await collect(stream);
  return { status: Number(response[':status']), body: body.toString() };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check());
}

async function assertRejects(promise: Promise<unknown>, code: ErrorCode, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isMeshError(err), `expected a MeshError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a server with another identity than expected is refused (BadCertificate), no stream sent', async () => {
  const before = bed.server.stats();
  const req = bed.request(`127.0.0.1:${echo.port}`, { expectedIdentities: [bed.mesh.identity('shop', 'ratings')] });
  await assertRejects(freshPool().connect(req), ErrorCode.BadCertificate, /presented identity spiffe:\/\/cluster\.local\/ns\/shop\/sa\/reviews, expected spiffe:\/\/cluster\.local\/ns\/shop\/sa\/ratings/);
  assert.equal(bed.server.stats().streamsConnected, before.streamsConnected);
  assert.equal(bed.server.stats().streamsRejected, before.streamsRejected);
});

test('a server whose certificate chains to another root is refused', async () => {
  const otherMesh = await createTestMesh();
  const { port } = await serverWith(await otherMesh.issue('shop', 'reviews'));
  const req = bed.request(`127.0.0.1:${echo.port}`, { destination: { address: '127.0.0.1', port } });
  await assertRejects(freshPool().connect(req), ErrorCode.BadCertificate, /unacceptable certificate/);
});

test('a server with an expired certificate is refused', async () => {
  const expired = await bed.mesh.issue('shop', 'reviews', { now: new Date(Date.now() - 7_200_000), ttlSeconds: 3600 });
  const { port } = await serverWith(expired);
  const req = bed.request(`127.0.0.1:${echo.port}`, { destination: { address: '127.0.0.1', port } });
  await assertRejects(freshPool().connect(req), ErrorCode.BadCertificate, /expired/);
});

test('a client with an expired certificate is refused by the server', async () => {
  const before = bed.server.stats().handshakeFailures;
  const expired = await bed.mesh.issue('shop', 'productpage', { now: new Date(Date.now() - 7_200_000), ttlSeconds: 3600 });
  const req = bed.request(`127.0.0.1:${echo.port}`, { source: expired });
  await assertRejects(freshPool().connect(req), ErrorCode.Unauthenticated, /did not accept our certificate/);
  await until(() => bed.server.stats().handshakeFailures > before);
});

test('a client from another mesh (untrusted root) is refused by the server', async () => {
  const otherMesh = await createTestMesh();
  const stranger = await otherMesh.issue('shop', 'productpage');
  // The stranger trusts our root, so only the server's verification can fail.
  const req = bed.request(`127.0.0.1:${echo.port}`, { source: { ...stranger, rootsPem: stranger.rootsPem + bed.mesh.rootsPem } });
  await assertRejects(freshPool().connect(req), ErrorCode.Unauthenticated, /did not accept our certificate/);
});

test('a client from another trust domain is refused after the handshake, before any stream', async () => {
  const foreign: TestMesh = await createTestMesh({ trustDomain: 'other.example' });
  const bundle = bed.mesh.rootsPem + foreign.rootsPem;
  // Both sides trust both roots, so the handshake succeeds and the trust-domain check decides.
  const { server, port } = await serverWith({ ...bed.serverCert, rootsPem: bundle });
  const client = await foreign.issue('shop', 'productpage');
  const req = bed.request(`127.0.0.1:${echo.port}`, { source: { ...client, rootsPem: bundle }, destination: { address: '127.0.0.1', port } });
  await assertRejects(freshPool().connect(req), ErrorCode.Unauthenticated, /not in trust domain cluster\.local/);
  assert.equal(server.stats().sessionsRefused, 1);
  assert.equal(server.stats().streamsConnected + server.stats().streamsRejected, 0);
});

test('a client without a certificate cannot complete the handshake', async () => {
  const before = bed.server.stats().handshakeFailures;
  const socket = tlsConnect({
    host: '127.0.0.1',
    port: bed.port,
    ca: bed.mesh.rootsPem,
    ALPNProtocols: ['h2'],
    minVersion: 'TLSv1.3',
    checkServerIdentity: () => undefined,
  });
  extras.push({ close: () => void socket.destroy() });
  const outcome = await new Promise<string>((resolve) => {
    socket.on('data', () => resolve('data'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    socket.once('close', () => resolve('closed'));
  });
  assert.match(outcome, /CERTIFICATE_REQUIRED|ECONNRESET|closed/);
  await until(() => bed.server.stats().handshakeFailures > before);
});

test('a client that does not offer h2 in ALPN is refused in the handshake', async () => {
  const before = bed.server.stats().handshakeFailures;
  const socket = tlsConnect({
    ...mtlsContextOptions(bed.clientCert),
    host: '127.0.0.1',
    port: bed.port,
    ALPNProtocols: ['http/1.1'],
    checkServerIdentity: () => undefined,
  });
  extras.push({ close: () => void socket.destroy() });
  const outcome = await new Promise<string>((resolve) => {
    socket.on('data', () => resolve('data'));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    socket.once('close', () => resolve('closed'));
  });
  assert.equal(outcome, 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
  await until(() => bed.server.stats().handshakeFailures > before);
});

test('a non-CONNECT request gets 400', async () => {
  const session = await rawClient(bed.clientCert);
  const { status, body } = await rawRequest(session, { ':method': 'GET', ':path': '/', ':authority': `127.0.0.1:${echo.port}` });
  assert.equal(status, 400);
  assert.equal(body, 'only CONNECT is supported\n');
});

test('malformed authorities get 400', async () => {
  const session = await rawClient(bed.clientCert);
  for (const authority of ['user@127.0.0.1:80', '127.0.0.1:0', '127.0.0.1', '[2001:db8::1', 'x'.repeat(400), '0x7f.0.0.1:80']) {
    const { status } = await rawRequest(session, { ':method': 'CONNECT', ':authority': authority });
    assert.equal(status, 400, authority);
  }
});

test('the pool refuses a malformed authority locally', async () => {
  await assertRejects(bed.dial('not an authority'), ErrorCode.InvalidArgument, /invalid HBONE authority/);
});

test('a handler denial (401) and failure (503) reach the client with their status', async () => {
  await assert.rejects(bed.dial(`${DENIED_HOST}:80`), (err: unknown) => {
    assert.ok(err instanceof HboneConnectError);
    assert.equal(err.status, 401);
    assert.equal(err.code, ErrorCode.PermissionDenied);
    assert.match(err.message, /refused with status 401: denied by policy/);
    return true;
  });
  await assert.rejects(bed.dial(`${BROKEN_HOST}:80`), (err: unknown) => {
    assert.ok(err instanceof HboneConnectError);
    assert.equal(err.status, 503);
    assert.equal(err.code, ErrorCode.Unavailable);
    return true;
  });
});

test('an upstream that refuses the connection gives 503', async () => {
  await assert.rejects(bed.dial(`127.0.0.1:${closedPort}`), (err: unknown) => {
    assert.ok(err instanceof HboneConnectError);
    assert.equal(err.status, 503);
    assert.match(err.message, /upstream connect failed/);
    return true;
  });
});

test('Rapid Reset: a client that opens and resets streams in bulk gets GOAWAY and is cut off', async () => {
  const before = bed.server.stats().sessionsClosedForAbuse;
  const session = await rawClient(bed.clientCert);
  const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
  let cutOff = false;
  session.once('close', () => (cutOff = true));
  for (let batch = 0; batch < 20 && !cutOff; batch++) {
    const streams = [];
    for (let i = 0; i < 50 && !session.destroyed && !session.closed; i++) {
      const stream = session.request({ ':method': 'CONNECT', ':authority': `${SLOW_HOST}:80` }, { endStream: false });
      stream.on('error', () => undefined);
      streams.push(stream);
    }
    await new Promise((r) => setTimeout(r, 20)); // let the HEADERS reach the server first
    for (const stream of streams) if (!stream.closed) stream.close(h2.NGHTTP2_CANCEL);
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(await goaway, h2.NGHTTP2_ENHANCE_YOUR_CALM);
  assert.ok(bed.server.stats().sessionsClosedForAbuse > before);
});

test('the server still serves a good CONNECT after every refusal', async () => {
  const { stream } = await bed.dial(`127.0.0.1:${echo.port}`);
  const back = collect(stream);
  stream.end('still here');
  assert.equal((await back).toString(), 'still here');
  const stats = bed.server.stats();
  assert.equal(stats.activeStreams, 0);
});
