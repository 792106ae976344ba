// Behaviour of the `ambit/echo` sample app as a client sees it: the JSON reply, /healthz, the
// ?status/?size/?delay directives and bad input, a static body (RESPONSE_BODY), served in-process on
// 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startEchoServer, staticBodyFromEnv, type RunningEchoServer } from './echo-server';

interface Got { status: number; headers: http.IncomingHttpHeaders; body: Buffer; localPort: number }

function request(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), localPort: req.socket?.localPort ?? 0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

async function withServer(fn: (server: RunningEchoServer) => Promise<void>): Promise<void> {
  const server = await startEchoServer({
    port: 0,
    host: '127.0.0.1',
    identity: { pod: 'echo-v2-abc12', namespace: 'shop', version: 'v2', node: 'node-1' },
    log: () => undefined,
  });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

test('GET answers with the pod identity, the request and its source address', () => withServer(async (server) => {
  const got = await request(server.port, '/shop/cart?item=42&tag=a&tag=b', { headers: { 'x-user': 'alice' } });
  assert.equal(got.status, 200);
  assert.match(String(got.headers['content-type']), /application\/json/);
  const reply = JSON.parse(got.body.toString('utf8'));
  assert.equal(reply.pod, 'echo-v2-abc12');
  assert.equal(reply.namespace, 'shop');
  assert.equal(reply.version, 'v2');
  assert.equal(reply.node, 'node-1');
  assert.equal(reply.method, 'GET');
  assert.equal(reply.path, '/shop/cart');
  assert.deepEqual(reply.query, { item: '42', tag: ['a', 'b'] });
  assert.equal(reply.headers['x-user'], 'alice');
  assert.equal(reply.host, `127.0.0.1:${server.port}`);
  assert.equal(reply.source, `127.0.0.1:${got.localPort}`);
  assert.equal(got.headers['x-echo-version'], 'v2');
}));

test('each request is logged on one line', async () => {
  const logs: string[] = [];
  const server = await startEchoServer({ port: 0, host: '127.0.0.1', log: (line) => logs.push(line) });
  await request(server.port, '/a?status=404');
  await request(server.port, '/b');
  await server.close();
  assert.equal(logs.length, 2);
  assert.match(logs[0], / GET \/a\?status=404 404 \d+B from 127\.0\.0\.1:\d+ /);
  assert.match(logs[1], / GET \/b 200 /);
});

test('a request without a query has no query field; a POST body is counted', () => withServer(async (server) => {
  const got = await request(server.port, '/upload', { method: 'POST', body: 'hello world' });
  const reply = JSON.parse(got.body.toString('utf8'));
  assert.equal(reply.method, 'POST');
  assert.equal('query' in reply, false);
  assert.equal(reply.bodyBytes, 11);
}));

test('/healthz answers ok', () => withServer(async (server) => {
  const got = await request(server.port, '/healthz');
  assert.equal(got.status, 200);
  assert.equal(got.body.toString('utf8'), 'ok');
}));

test('?status=503 sets the response status and still describes the request', () => withServer(async (server) => {
  const got = await request(server.port, '/fail?status=503');
  assert.equal(got.status, 503);
  assert.equal(JSON.parse(got.body.toString('utf8')).path, '/fail');
}));

test('?size returns exactly that many bytes', () => withServer(async (server) => {
  const got = await request(server.port, '/?size=100000');
  assert.equal(got.status, 200);
  assert.equal(got.body.length, 100000);
  assert.equal(got.headers['x-echo-pod'], 'echo-v2-abc12');
}));

test('?delay still answers', () => withServer(async (server) => {
  const got = await request(server.port, '/slow?delay=20&status=202');
  assert.equal(got.status, 202);
  assert.equal(JSON.parse(got.body.toString('utf8')).path, '/slow');
}));

test('bad directives get 400 with a message naming them', () => withServer(async (server) => {
  const got = await request(server.port, '/?status=42&delay=soon');
  assert.equal(got.status, 400);
  const { error } = JSON.parse(got.body.toString('utf8'));
  assert.match(error, /status must be between 200 and 599, got 42/);
  assert.match(error, /delay must be a non-negative integer, got "soon"/);
}));

test('close() lets an in-flight request finish, then refuses new connections', async () => {
  const server = await startEchoServer({ port: 0, host: '127.0.0.1', log: () => undefined });
  let closed: Promise<void> | undefined;
  const got = await new Promise<Got>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: server.port, path: '/draining', method: 'POST', agent: false,
      headers: { expect: '100-continue', 'content-length': '4' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), localPort: 0 }));
    });
    req.on('error', reject);
    // 100 Continue means the server is handling the request: shut down now, then send the body.
    req.on('continue', () => {
      closed = server.close();
      req.end('data');
    });
  });
  await closed;
  assert.equal(got.status, 200);
  assert.equal(got.headers.connection, 'close');
  assert.equal(JSON.parse(got.body.toString('utf8')).bodyBytes, 4);
  await assert.rejects(request(server.port, '/'), /ECONNREFUSED/);
});

test('a static body is served for every path, with its content type; /healthz still answers ok', async () => {
  const jwks = JSON.stringify({ keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] });
  const server = await startEchoServer({ port: 0, host: '127.0.0.1', log: () => undefined, staticBody: { body: jwks, contentType: 'application/json' } });
  try {
    for (const path of ['/', '/.well-known/jwks.json', '/x?status=503&size=10']) {
      const got = await request(server.port, path);
      assert.equal(got.status, 200, path);
      assert.equal(got.headers['content-type'], 'application/json');
      assert.equal(got.body.toString('utf8'), jwks);
    }
    assert.equal((await request(server.port, '/healthz')).body.toString('utf8'), 'ok');
  } finally {
    await server.close();
  }
});

test('RESPONSE_BODY and RESPONSE_CONTENT_TYPE configure the static body; unset means the JSON echo', () => {
  assert.equal(staticBodyFromEnv({}), undefined);
  assert.deepEqual(staticBodyFromEnv({ RESPONSE_BODY: '{"keys":[]}', RESPONSE_CONTENT_TYPE: 'application/json' }), { body: '{"keys":[]}', contentType: 'application/json' });
  assert.deepEqual(staticBodyFromEnv({ RESPONSE_BODY: '' }), { body: '', contentType: 'text/plain; charset=utf-8' });
});
