// The stream proxy fed the way the HBONE listener feeds it: each tunnel is an HTTP/2 CONNECT
// stream (h2c here, TLS is not this layer's business), and upstream tunnels are CONNECT streams
// too. HTTP/1.1 and HTTP/2 requests through such tunnels reach the backend and come back, and a
// TCP port relays bytes.

import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import type { Endpoint, StreamTarget, TunnelDialer } from '../state/view';
import { createStreamProxy, type StreamProxy } from './stream-proxy';
import { AUTHORITY, CLIENT, FakeView, makeBackend, makeEndpoint, serviceTarget, startBackend, type TestBackend } from './test-support';

const WEB = 'shop/web.shop.svc.cluster.local:9080';

/** An h2c server that answers CONNECT with 200 and hands the stream on. */
async function connectServer(onStream: (stream: http2.ServerHttp2Stream, authority: string) => void): Promise<{ port: number; close(): Promise<void> }> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => { sessions.add(s); s.on('close', () => sessions.delete(s)); });
  server.on('stream', (stream, headers) => {
    if (headers[':method'] !== 'CONNECT') return stream.respond({ ':status': 400 }, { endStream: true });
    stream.respond({ ':status': 200 });
    onStream(stream, String(headers[':authority']));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sessions) s.destroy(); server.close(() => r()); }),
  };
}

/** Opens a CONNECT stream over `session` to `authority`. */
function openConnect(session: http2.ClientHttp2Session, authority: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':method': 'CONNECT', ':authority': authority });
    s.once('response', (h) => (h[':status'] === 200 ? resolve(s) : reject(new Error(`CONNECT ${h[':status']}`))));
    s.once('error', reject);
  });
}

describe('stream proxy over CONNECT tunnels', () => {
  let web: TestBackend;
  let echo: net.Server;
  let proxy: StreamProxy;
  let waypoint: { port: number; close(): Promise<void> };
  let ztunnel: { port: number; close(): Promise<void> };
  let upstreamSession: http2.ClientHttp2Session;
  let client: http2.ClientHttp2Session;
  const targets = new Map<string, StreamTarget>();

  before(async () => {
    web = await startBackend('web', { h2: 'both' });
    echo = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    // The destination "ztunnel": CONNECT ip:port → plain TCP to it.
    ztunnel = await connectServer((stream, authority) => {
      const [host, port] = [authority.slice(0, authority.lastIndexOf(':')), Number(authority.slice(authority.lastIndexOf(':') + 1))];
      const app = net.connect({ host, port, allowHalfOpen: true });
      app.on('error', () => stream.destroy());
      stream.on('error', () => app.destroy());
      stream.pipe(app).pipe(stream);
    });
    upstreamSession = http2.connect(`http://127.0.0.1:${ztunnel.port}`);
    const dial: TunnelDialer = (ep: Endpoint) => openConnect(upstreamSession, `${ep.ip}:${ep.targetPort}`);
    const view = new FakeView()
      .set(makeBackend(WEB), [makeEndpoint('web', web.port)])
      .set(makeBackend('shop/echo:1'), [makeEndpoint('echo', (echo.address() as net.AddressInfo).port)]);
    proxy = createStreamProxy({ view, dial, registry: new Registry(), logger: memoryLogger(), self: { namespace: 'shop', name: 'waypoint', identity: 'spiffe://cluster.local/ns/shop/sa/waypoint' } });
    targets.set('http', serviceTarget([], WEB, 'UNKNOWN'));
    targets.set('tcp', serviceTarget([], 'shop/echo:1', 'TCP'));
    waypoint = await connectServer((stream, authority) => proxy.serve(stream, targets.get(authority.split(':')[0])!, CLIENT));
    client = http2.connect(`http://127.0.0.1:${waypoint.port}`);
  });

  after(async () => {
    client.close();
    upstreamSession.close();
    await proxy.drain(0);
    await waypoint.close();
    await ztunnel.close();
    await web.close();
    await new Promise<void>((r) => echo.close(() => r()));
  });

  it('carries HTTP/1.1 requests through a tunnel, keep-alive across requests', async () => {
    const tunnel = await openConnect(client, 'http:9080');
    const agent = new (class extends http.Agent {
      override createConnection(): Duplex {
        return tunnel;
      }

      override keepSocketAlive(): boolean {
        return true; // an HTTP/2 stream has no TCP keep-alive to set
      }

      override reuseSocket(): void {}
    })({ keepAlive: true, maxSockets: 1 });
    const get = (path: string): Promise<string> => new Promise((resolve, reject) => {
      http.get({ agent, path, headers: { host: AUTHORITY } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
      }).on('error', reject);
    });
    assert.equal(await get('/a'), '200 web GET /a');
    assert.equal(await get('/b'), '200 web GET /b');
    agent.destroy();
  });

  it('carries HTTP/2 requests through a tunnel', async () => {
    const tunnel = await openConnect(client, 'http:9080');
    const session = http2.connect('http://waypoint', { createConnection: () => tunnel });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const s = session.request({ ':path': '/h2', ':authority': AUTHORITY });
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks).toString()));
        s.on('error', reject);
        s.end();
      });
      assert.equal(body, 'web GET /h2');
    } finally {
      session.close();
    }
  });

  it('relays a TCP port through tunnels both ways with half-close', async () => {
    const tunnel = await openConnect(client, 'tcp:1');
    const chunks: Buffer[] = [];
    tunnel.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((r) => tunnel.once('end', r));
    tunnel.end('ping over tunnels');
    await ended;
    assert.equal(Buffer.concat(chunks).toString(), 'ping over tunnels');
  });
});
