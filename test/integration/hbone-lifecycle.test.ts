// HBONE connection life: the certificate follows the local address (no SNI), what the connect
// handler is told, aborts reaching the handler, one shared handshake for a burst of callers,
// idle release, and a graceful server close that lets open tunnels finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { ErrorCode, isMeshError } from '../../pkg/errors/mesh-error';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import { buildBaggage, buildForwarded, newTraceparent } from '../../pkg/hbone/headers';
import { HbonePool } from '../../pkg/hbone/pool';
import { createHboneServer } from '../../pkg/hbone/server';
import { collect, loopbackHandler, startHboneTestBed, startTcpTarget } from '../../pkg/hbone/test-support';
import type { ConnectRequest } from '../../pkg/hbone/types';
import { createTestMesh } from '../../pkg/testing/mesh-certs';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('the certificate presented depends on the local address the connection arrived on', async (t) => {
  const mesh = await createTestMesh();
  const onV4 = await mesh.issue('shop', 'reviews');
  const onV6 = await mesh.issue('shop', 'ratings');
  const client = await mesh.issue('shop', 'productpage');
  const echo = await startTcpTarget('echo');
  const asked: string[] = [];
  const server = createHboneServer({
    // Async for one address, as when the certificate is still being fetched.
    certificateFor: (local) => {
      asked.push(local);
      return local === '::1' ? Promise.resolve(onV6) : onV4;
    },
    onConnect: loopbackHandler,
    limits: { drainTimeoutMs: 500 },
  });
  const { port } = await server.listen(0, '127.0.0.1');
  // A second listener (as ztunnel's transparent ones) handing its sockets to the same server.
  const v6 = createServer((socket) => server.handleSocket(socket)).listen(0, '::1');
  await once(v6, 'listening');
  const pool = new HbonePool();
  t.after(async () => {
    await pool.close();
    await server.close();
    v6.close();
    echo.close();
  });
  const base = { source: client, authority: `127.0.0.1:${echo.port}` };
  const v6Port = (v6.address() as AddressInfo).port;
  const viaV6 = await pool.connect({ ...base, destination: { address: '::1', port: v6Port }, expectedIdentities: [onV6.identity] });
  const back = collect(viaV6.stream);
  viaV6.stream.end('over ::1');
  assert.equal((await back).toString(), 'over ::1');
  await assert.rejects(
    pool.connect({ ...base, destination: { address: '127.0.0.1', port }, expectedIdentities: [onV6.identity] }),
    (err: unknown) => isMeshError(err, ErrorCode.BadCertificate) && /presented identity .*\/sa\/reviews/.test(err.message),
  );
  assert.deepEqual(asked.sort(), ['127.0.0.1', '::1']);
});

test('no certificate for the local address closes the connection; the server keeps serving', async (t) => {
  const mesh = await createTestMesh();
  const client = await mesh.issue('shop', 'productpage');
  const server = createHboneServer({ certificateFor: () => undefined, onConnect: loopbackHandler });
  const { port } = await server.listen(0, '127.0.0.1');
  const pool = new HbonePool();
  t.after(async () => {
    await pool.close();
    await server.close();
  });
  const req = { source: client, destination: { address: '127.0.0.1', port }, expectedIdentities: [client.identity], authority: '198.18.0.1:80' };
  await assert.rejects(pool.connect(req), (err: unknown) => isMeshError(err, ErrorCode.Unavailable));
  assert.equal(server.stats().pendingSockets, 0);
});

test('the handler sees the verified peer, the local address and the metadata headers', async (t) => {
  let seen: ConnectRequest | undefined;
  const bed = await startHboneTestBed({
    onConnect: (request) => {
      seen = request;
      return loopbackHandler(request);
    },
  });
  const echo = await startTcpTarget('echo');
  t.after(async () => {
    await bed.dispose();
    echo.close();
  });
  const traceparent = newTraceparent();
  const { stream } = await bed.dial(`127.0.0.1:${echo.port}`, {
    headers: {
      forwarded: buildForwarded('198.18.1.5', 41000, 'reviews.shop.svc.cluster.local'),
      baggage: buildBaggage([['k8s.namespace.name', 'shop'], ['service.name', 'productpage']]),
      traceparent,
    },
  });
  stream.end();
  await collect(stream);
  assert.ok(seen);
  assert.deepEqual(seen.authority, { kind: 'ipv4', host: '127.0.0.1', port: echo.port });
  assert.equal(formatSpiffeId(seen.peer.identity), 'spiffe://cluster.local/ns/shop/sa/productpage');
  assert.equal(seen.peer.address, '127.0.0.1');
  assert.equal(seen.localAddress, '127.0.0.1');
  assert.equal(seen.localPort, bed.port);
  assert.deepEqual(seen.forwarded, { forAddress: '198.18.1.5', forPort: 41000, host: 'reviews.shop.svc.cluster.local' });
  assert.deepEqual([...seen.baggage], [['k8s.namespace.name', 'shop'], ['service.name', 'productpage']]);
  assert.equal(seen.traceparent, traceparent);
});

test('a client that gives up before the handler answers aborts the handler', async (t) => {
  let handlerSignal: AbortSignal | undefined;
  const bed = await startHboneTestBed({
    onConnect: async (request) => {
      handlerSignal = request.signal;
      if (!request.signal.aborted) await once(request.signal, 'abort');
      return { kind: 'rejected', status: 503, reason: 'gone' };
    },
  });
  t.after(() => bed.dispose());
  const controller = new AbortController();
  const dial = bed.dial('198.18.0.99:80', { signal: controller.signal });
  await until(() => handlerSignal !== undefined, 'the handler to be called');
  controller.abort();
  await assert.rejects(dial, (err: unknown) => isMeshError(err, ErrorCode.Unavailable) && /aborted/.test(err.message));
  await until(() => handlerSignal?.aborted === true, 'the handler signal to fire');
  await until(() => bed.server.stats().activeStreams === 0, 'the stream to be released');
});

test('a burst of callers for a new key shares one handshake', async (t) => {
  const bed = await startHboneTestBed();
  const echo = await startTcpTarget('echo');
  t.after(async () => {
    await bed.dispose();
    echo.close();
  });
  const streams = await Promise.all(Array.from({ length: 50 }, () => bed.dial(`127.0.0.1:${echo.port}`)));
  assert.equal(bed.pool.stats().connectionsOpened, 1);
  assert.equal(bed.pool.stats().activeStreams, 50);
  await Promise.all(streams.map(async ({ stream }) => {
    const back = collect(stream);
    stream.end('x');
    assert.equal((await back).toString(), 'x');
  }));
  await until(() => bed.pool.stats().activeStreams === 0, 'streams to close');
});

test('an idle pooled connection is released; the next caller opens a new one', async (t) => {
  const bed = await startHboneTestBed({ pool: { idleTimeoutMs: 100 } });
  const echo = await startTcpTarget('echo');
  t.after(async () => {
    await bed.dispose();
    echo.close();
  });
  const first = await bed.dial(`127.0.0.1:${echo.port}`);
  first.stream.end();
  await collect(first.stream);
  await until(() => bed.pool.stats().connections === 0, 'the idle connection to be released');
  await until(() => bed.server.stats().sessions === 0, 'the server to see the session end');
  const second = await bed.dial(`127.0.0.1:${echo.port}`);
  second.stream.end();
  await collect(second.stream);
  assert.equal(bed.pool.stats().connectionsOpened, 2);
});

test('closing the server lets open tunnels finish, refuses new ones and leaves the pool clean', async (t) => {
  const bed = await startHboneTestBed({ limits: { drainTimeoutMs: 5000 } });
  const hash = await startTcpTarget('hash');
  t.after(async () => {
    await bed.dispose();
    hash.close();
  });
  const open = await bed.dial(`127.0.0.1:${hash.port}`);
  const reply = collect(open.stream);
  open.stream.write('before close, ');
  const closing = bed.server.close();
  await until(() => bed.pool.stats().connections === 0, 'the GOAWAY to take the connection out of the pool');
  open.stream.end('after close');
  assert.equal((await reply).length, 64);
  await closing;
  await assert.rejects(bed.dial(`127.0.0.1:${hash.port}`), (err: unknown) => isMeshError(err, ErrorCode.Unavailable));
});

test('a peer that stops answering PINGs is dropped on both sides', async (t) => {
  const bed = await startHboneTestBed({ limits: { pingIntervalMs: 100, pingTimeoutMs: 200 } });
  const echo = await startTcpTarget('echo');
  // A TCP relay in front of the server that can be frozen: bytes stop, nothing is closed.
  const relayed = new Set<Socket>();
  let frozen = false;
  const relay = createServer((inbound) => {
    const outbound = connect({ host: '127.0.0.1', port: bed.port });
    for (const s of [inbound, outbound]) {
      relayed.add(s);
      s.on('error', () => undefined);
    }
    inbound.on('data', (chunk: Buffer) => void (frozen || outbound.write(chunk)));
    outbound.on('data', (chunk: Buffer) => void (frozen || inbound.write(chunk)));
  }).listen(0, '127.0.0.1');
  await once(relay, 'listening');
  const pool = new HbonePool({ pingIntervalMs: 100, pingTimeoutMs: 200 });
  t.after(async () => {
    await pool.close();
    for (const s of relayed) s.destroy();
    relay.close();
    await bed.dispose();
    echo.close();
  });
  const abuseBefore = bed.server.stats().sessionsClosedForAbuse;
  const req = bed.request(`127.0.0.1:${echo.port}`, { destination: { address: '127.0.0.1', port: (relay.address() as AddressInfo).port } });
  const { stream } = await pool.connect(req);
  const received = collect(stream);
  stream.write('ping me');
  frozen = true;
  await assert.rejects(received);
  await until(() => pool.stats().connections === 0, 'the client to drop the connection');
  await until(() => bed.server.stats().sessions === 0, 'the server to drop the session');
  assert.ok(bed.server.stats().sessionsClosedForAbuse > abuseBefore);
});
