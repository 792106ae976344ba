// Protocols through the stream proxy on loopback: gRPC-style HTTP/2 requests from one client
// connection spread across two endpoints (one upstream session each) with trailers carried, a gRPC
// fault abort as a trailers-only response, UNKNOWN ports sniffed as HTTP/1.1, HTTP/2 or TCP, TCP
// ports relayed byte for byte (with TCP metrics), and workload-addressed traffic.

import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import type { StreamTarget } from '../state/view';
import { createStreamProxy, type StreamProxy } from './stream-proxy';
import {
  AUTHORITY, FakeView, loopbackDialer, makeBackend, makeEndpoint, makeRoute, request, serviceTarget, startBackend, startFront,
  type Front, type TestBackend,
} from './test-support';

const GRPC = 'shop/grpc.shop.svc.cluster.local:9080';
const WEB = 'shop/web.shop.svc.cluster.local:9080';
const ECHO = 'shop/echo.shop.svc.cluster.local:9080';

interface GrpcReply { readonly headers: http2.IncomingHttpHeaders; readonly trailers?: http2.IncomingHttpHeaders; readonly body: string; readonly trailersOnly: boolean }

function grpcCall(session: http2.ClientHttp2Session, path: string): Promise<GrpcReply> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':method': 'POST', ':path': path, ':authority': AUTHORITY, 'content-type': 'application/grpc', te: 'trailers' });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    let trailersOnly = false;
    const chunks: Buffer[] = [];
    s.on('response', (h, flags) => { headers = h; trailersOnly = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0; });
    s.on('trailers', (t) => { trailers = t; });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve({ headers, ...(trailers ? { trailers } : {}), body: Buffer.concat(chunks).toString(), trailersOnly }));
    s.on('error', reject);
    s.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

function tcpExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => { c.end(); resolve(Buffer.concat(chunks).toString()); });
    c.on('error', reject);
    c.write(payload);
    c.end();
  });
}

describe('stream proxy protocols', () => {
  const grpcHandler = (name: string) => (_r: unknown, res: http2.Http2ServerResponse | import('node:http').ServerResponse): void => {
    const r = res as http2.Http2ServerResponse;
    r.writeHead(200, { 'content-type': 'application/grpc' });
    r.addTrailers({ 'grpc-status': '0', 'x-pod': name });
    r.end(Buffer.from([0, 0, 0, 0, 0]));
  };
  let a: TestBackend;
  let b: TestBackend;
  let web: TestBackend;
  let echo: { port: number; close(): Promise<void> };
  let proxy: StreamProxy;
  const fronts: Front[] = [];
  const registry = new Registry();
  const logger = memoryLogger();
  const dial = loopbackDialer();
  let grpcFront: Front;
  let unknownWeb: Front;
  let unknownEcho: Front;
  let tcpFront: Front;
  let workloadFront: Front;

  before(async () => {
    a = await startBackend('a', { h2: true, handler: grpcHandler('a') });
    b = await startBackend('b', { h2: true, handler: grpcHandler('b') });
    web = await startBackend('web', { h2: 'both', handler: (r, res) => { res.end(`web ${r.method} ${r.url}`); } });
    echo = await echoServer();
    const view = new FakeView()
      .set(makeBackend(GRPC), [makeEndpoint('grpc-a', a.port), makeEndpoint('grpc-b', b.port)])
      .set(makeBackend(WEB), [makeEndpoint('web', web.port)])
      .set(makeBackend(ECHO), [makeEndpoint('echo', echo.port)]);
    proxy = createStreamProxy({ view, dial, registry, logger, self: { namespace: 'shop', name: 'waypoint', identity: 'spiffe://cluster.local/ns/shop/sa/waypoint' } });
    const faulty = makeRoute({ name: 'faulty', matches: [{ path: { kind: 'prefix', value: '/pkg.Faulty' }, headers: [], queryParams: [] }], fault: { abort: { grpcStatus: 14, percent: 100 } }, backends: [{ backend: GRPC, weight: 1 }] });
    grpcFront = await startFront(proxy, serviceTarget([faulty], GRPC, 'GRPC'));
    unknownWeb = await startFront(proxy, serviceTarget([], WEB, 'UNKNOWN'));
    unknownEcho = await startFront(proxy, serviceTarget([], ECHO, 'UNKNOWN'));
    tcpFront = await startFront(proxy, serviceTarget([], ECHO, 'TCP'));
    const wt: StreamTarget = { kind: 'workload', endpoint: makeEndpoint('web', web.port), port: web.port, protocol: 'HTTP2' };
    workloadFront = await startFront(proxy, wt);
    fronts.push(grpcFront, unknownWeb, unknownEcho, tcpFront, workloadFront);
  });

  after(async () => {
    await proxy.drain(0);
    await Promise.all(fronts.map((f) => f.close()));
    await Promise.all([a.close(), b.close(), web.close(), echo.close()]);
  });

  it('spreads gRPC calls from one client connection across both endpoints, one upstream session each, trailers carried', async () => {
    const session = http2.connect(`http://127.0.0.1:${grpcFront.port}`);
    try {
      const replies = await Promise.all(Array.from({ length: 20 }, () => grpcCall(session, '/pkg.Svc/Get')));
      for (const r of replies) {
        assert.equal(r.headers[':status'], 200);
        assert.equal(r.trailers?.['grpc-status'], '0');
      }
      const pods = replies.map((r) => r.trailers?.['x-pod']);
      assert.equal(pods.filter((p) => p === 'a').length, 10);
      assert.equal(pods.filter((p) => p === 'b').length, 10);
      assert.equal(a.seen.length + b.seen.length, 20);
      assert.equal(a.seen[0].headers[':authority'], AUTHORITY);
      assert.equal(dial.dials, 2);
      const line = logger.lines.find((l) => l.includes('path="/pkg.Svc/Get"')) ?? '';
      assert.match(line, /protocol=HTTP\/2 status=200 grpc_status=0 flags=-/);
    } finally {
      session.close();
    }
  });

  it('answers a gRPC fault abort as a trailers-only response', async () => {
    const session = http2.connect(`http://127.0.0.1:${grpcFront.port}`);
    try {
      const r = await grpcCall(session, '/pkg.Faulty/Get');
      assert.equal(r.trailersOnly, true);
      assert.equal(r.headers[':status'], 200);
      assert.equal(r.headers['grpc-status'], '14');
      assert.equal(r.headers['x-ambit-reason'], 'fault_abort');
      const metric = registry.render();
      assert.match(metric, /istio_requests_total\{[^}]*request_protocol="grpc",response_code="200",grpc_response_status="14",response_flags="FI"[^}]*\} 1/);
    } finally {
      session.close();
    }
  });

  it('sniffs HTTP/1.1 and HTTP/2 prior knowledge on an UNKNOWN port', async () => {
    assert.equal((await request(unknownWeb.port, '/one')).body, 'web GET /one');
    const session = http2.connect(`http://127.0.0.1:${unknownWeb.port}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const s = session.request({ ':path': '/two', ':authority': AUTHORITY });
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks).toString()));
        s.on('error', reject);
        s.end();
      });
      assert.equal(body, 'web GET /two');
    } finally {
      session.close();
    }
  });

  it('relays non-HTTP bytes on an UNKNOWN port, and any bytes on a TCP port, with TCP metrics', async () => {
    assert.equal(await tcpExchange(unknownEcho.port, 'hello there\n'), 'hello there\n');
    assert.equal(await tcpExchange(tcpFront.port, 'GET / HTTP/1.1\r\n\r\n'), 'GET / HTTP/1.1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    const text = registry.render();
    assert.match(text, /istio_tcp_connections_closed_total\{reporter="waypoint",[^}]*destination_workload="echo"[^}]*request_protocol="tcp"[^}]*\} 2/);
    assert.match(text, /istio_tcp_received_bytes_total\{[^}]*destination_workload="echo"[^}]*\} 30/);
    assert.ok(logger.lines.some((l) => l.startsWith('info connection complete') && l.includes('bytes_received=12')));
  });

  it('sends workload-addressed traffic to that endpoint', async () => {
    assert.equal((await request(workloadFront.port, '/w')).body, 'web GET /w');
  });
});
