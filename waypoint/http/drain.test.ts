// Drain and hostile clients: a drain lets an in-flight HTTP/1.1 request finish with
// `Connection: close` and an HTTP/2 session get GOAWAY while its stream completes, then tears the
// rest down; oversized or malformed request heads close the client's stream with an error status
// while the proxy keeps serving others.

import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, it } from 'node:test';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { createStreamProxy } from './stream-proxy';
import { AUTHORITY, type BackendHandler, FakeView, loopbackDialer, makeBackend, makeEndpoint, request, serviceTarget, startBackend } from './test-support';

const WEB = 'shop/web.shop.svc.cluster.local:9080';

async function setup(handler?: BackendHandler) {
  const web = await startBackend('web', { h2: 'both', ...(handler ? { handler } : {}) });
  const view = new FakeView().set(makeBackend(WEB), [makeEndpoint('web', web.port)]);
  const logger = memoryLogger();
  const proxy = createStreamProxy({ view, dial: loopbackDialer(), registry: new Registry(), logger, self: { namespace: 'shop', name: 'waypoint', identity: 'spiffe://cluster.local/ns/shop/sa/waypoint' } });
  const server = net.createServer({ allowHalfOpen: true }, (s) => proxy.serve(s, serviceTarget([], WEB, 'UNKNOWN'), { address: '127.0.0.9', port: 1 }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const close = async (): Promise<void> => {
    await proxy.drain(0);
    await new Promise<void>((r) => server.close(() => r()));
    await web.close();
  };
  return { web, proxy, port, close, logger };
}

function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('error', () => undefined);
    c.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    c.write(bytes);
  });
}

describe('stream proxy drain and hostile input', () => {
  it('drains: the in-flight HTTP/1.1 request completes with Connection: close, then streams close', async () => {
    let release: (() => void) | undefined;
    const t = await setup((_r, res) => { release = () => (res as http.ServerResponse).end('late'); });
    try {
      const agent = new http.Agent({ keepAlive: true });
      const pending = request(t.port, '/slow', { agent });
      while (!release) await new Promise((r) => setTimeout(r, 5));
      assert.equal(t.proxy.activeRequests, 1);
      assert.equal(t.proxy.activeStreams, 1);
      const drained = t.proxy.drain(10_000);
      release();
      const r = await pending;
      assert.equal(r.body, 'late');
      assert.equal(r.headers.connection, 'close');
      await drained;
      assert.equal(t.proxy.activeRequests, 0);
      agent.destroy();
    } finally {
      await t.close();
    }
  });

  it('drains HTTP/2: GOAWAY to the client while its stream completes', async () => {
    let release: (() => void) | undefined;
    const t = await setup((_r, res) => { release = () => res.end('h2 late'); });
    const session = http2.connect(`http://127.0.0.1:${t.port}`);
    try {
      const goaway = new Promise<void>((r) => session.once('goaway', () => r()));
      const body = new Promise<string>((resolve, reject) => {
        const s = session.request({ ':path': '/slow', ':authority': AUTHORITY });
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks).toString()));
        s.on('error', reject);
        s.end();
      });
      while (!release) await new Promise((r) => setTimeout(r, 5));
      const drained = t.proxy.drain(10_000);
      await goaway;
      release();
      assert.equal(await body, 'h2 late');
      await drained;
    } finally {
      session.destroy();
      await t.close();
    }
  });

  it('refuses requests once draining: new streams are reset', async () => {
    const t = await setup();
    await t.proxy.drain(0);
    await assert.rejects(request(t.port, '/after'));
    await t.close();
  });

  it('cancels the upstream request when the client goes away, and logs DC', async () => {
    let upstreamClosed: Promise<void> | undefined;
    const t = await setup((_r, res) => { upstreamClosed = new Promise((r) => res.once('close', () => r())); });
    try {
      const c = net.connect(t.port, '127.0.0.1');
      c.write(`GET /hang HTTP/1.1\r\nHost: ${AUTHORITY}\r\n\r\n`);
      while (!upstreamClosed) await new Promise((r) => setTimeout(r, 5));
      c.destroy();
      await upstreamClosed;
      while (t.proxy.activeRequests > 0) await new Promise((r) => setTimeout(r, 5));
      assert.match(t.logger.lines.find((l) => l.includes('path="/hang"')) ?? '', /status=0 flags=DC /);
    } finally {
      await t.close();
    }
  });

  it('answers 431 to oversized headers and 400 to a malformed head, and keeps serving', async () => {
    const t = await setup();
    try {
      const big = `GET / HTTP/1.1\r\nHost: ${AUTHORITY}\r\nx-big: ${'a'.repeat(70 * 1024)}\r\n\r\n`;
      assert.match(await rawExchange(t.port, big), /^HTTP\/1\.1 431 /);
      const many = `GET / HTTP/1.1\r\nHost: ${AUTHORITY}\r\n${Array.from({ length: 2000 }, (_, i) => `h${i}: v`).join('\r\n')}\r\n\r\n`;
      assert.match(await rawExchange(t.port, many), /^HTTP\/1\.1 431 [^]*x-ambit-reason: bad_request/i);
      const smuggle = `POST / HTTP/1.1\r\nHost: ${AUTHORITY}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`;
      assert.match(await rawExchange(t.port, smuggle), /^HTTP\/1\.1 400 /);
      assert.match(await rawExchange(t.port, 'GET / HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400 /); // no Host
      assert.equal((await request(t.port, '/still-ok')).body, 'web GET /still-ok');
    } finally {
      await t.close();
    }
  });
});
