// splice between two loopback TCP connections: half-close carried through, resets propagated,
// half-closed idle connections reaped, byte counts reported.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { splice, type SpliceOptions, type SpliceResult } from './splice';

async function listen(t: TestContext, onSocket: (s: Socket) => void): Promise<number> {
  const server: Server = createServer({ allowHalfOpen: true }, onSocket);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** A proxy on loopback that splices each client to `targetPort`; results are collected. */
async function proxy(t: TestContext, targetPort: number, options?: SpliceOptions): Promise<{ port: number; results: Promise<SpliceResult>[] }> {
  const results: Promise<SpliceResult>[] = [];
  const port = await listen(t, (a) => {
    const b = connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    results.push(splice(a, b, options));
  });
  return { port, results };
}

function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

test('half-close: the client ends its side and still receives the reply; counts both ways', async (t) => {
  // Target: read everything, then answer with the byte count and end.
  const targetPort = await listen(t, (s) => {
    let n = 0;
    s.on('data', (c: Buffer) => (n += c.length));
    s.once('end', () => s.end(`got ${n}`));
  });
  const { port, results } = await proxy(t, targetPort);
  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  t.after(() => client.destroy());
  const reply = readAll(client);
  client.end(Buffer.alloc(300_000, 7));
  assert.equal((await reply).toString(), 'got 300000');
  const result = await results[0]!;
  assert.deepEqual(result, { aToB: 300_000, bToA: 10, outcome: 'complete' });
});

test('half-close the other way: the target ends first and still receives the client bytes', async (t) => {
  let received: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
  const targetPort = await listen(t, (s) => {
    s.end('early bye');
    received = readAll(s);
  });
  const { port, results } = await proxy(t, targetPort);
  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  t.after(() => client.destroy());
  const fromTarget = await readAll(client);
  assert.equal(fromTarget.toString(), 'early bye');
  client.end('late data');
  assert.equal((await results[0]!).outcome, 'complete');
  assert.equal((await received).toString(), 'late data');
});

test('a reset on one side resets the other', async (t) => {
  const targetPort = await listen(t, (s) => {
    s.once('data', () => s.resetAndDestroy());
  });
  const { port, results } = await proxy(t, targetPort);
  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  t.after(() => client.destroy());
  const closed = new Promise<string>((resolve) => {
    client.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    client.once('end', () => resolve('end'));
  });
  client.write('hello');
  assert.equal(await closed, 'ECONNRESET');
  assert.equal((await results[0]!).outcome, 'reset');
});

test('a half-closed tunnel with no traffic is reaped by the idle timeout', async (t) => {
  // Target never answers and never ends: without the timeout this would hang forever.
  const targetPort = await listen(t, (s) => s.resume());
  const { port, results } = await proxy(t, targetPort, { halfClosedIdleTimeoutMs: 150 });
  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  t.after(() => client.destroy());
  client.on('error', () => undefined);
  await once(client, 'connect');
  client.end('only this');
  while (results.length === 0) await new Promise((r) => setTimeout(r, 10));
  const result = await results[0]!;
  assert.equal(result.outcome, 'idle-timeout');
  assert.equal(result.aToB, 9);
});

test('splicing an already destroyed stream settles at once as a reset', async (t) => {
  const targetPort = await listen(t, (s) => s.resume());
  const a = connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
  const b = connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  a.destroy();
  const bClosed = once(b, 'close');
  const result = await splice(a, b);
  assert.equal(result.outcome, 'reset');
  await bClosed; // the other side is torn down (after its connect completes, with a RST)
  assert.equal(b.destroyed, true);
});
