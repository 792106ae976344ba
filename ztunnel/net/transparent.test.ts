// The transparent SocketFactory on loopback (root only: IP_TRANSPARENT needs CAP_NET_ADMIN):
// bytes through, the chosen source address seen by the server, refusals with errno codes,
// timeouts and aborts that leave no descriptor behind, IPv6, and the error when the addon is missing.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { loadTransparentAddon, transparentSocketFactory } from './transparent';

const addonPath = join(__dirname, 'transparent.node');
const skip =
  typeof process.getuid === 'function' && process.getuid() !== 0
    ? 'needs root (IP_TRANSPARENT)'
    : !existsSync(addonPath)
      ? 'the addon is not built (npm run build)'
      : false;

/** Open descriptors of this process, once closes still in flight have settled. */
async function openFds(): Promise<number> {
  let last = -1;
  for (let i = 0; i < 50; i++) {
    const n = readdirSync('/proc/self/fd').length;
    if (n === last) return n;
    last = n;
    await new Promise((r) => setTimeout(r, 10));
  }
  return last;
}

function collect(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('end', () => {
      socket.end(); // half-open sockets: close our side too
      resolve(data);
    });
    socket.on('error', reject);
  });
}

function portOf(server: Server): number {
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return address.port;
}

describe('transparent socket factory', { skip }, () => {
  const servers: Server[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  test('a listener accepts, and a connection from a chosen source carries bytes both ways, half-close included', async () => {
    const sockets = transparentSocketFactory();
    assert.equal(sockets.transparent, true);
    const server = await sockets.listen('127.0.0.1', 0, (s) => {
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('end', () => s.end(`from ${s.remoteAddress} to ${s.localAddress}: ${got}`));
    });
    servers.push(server);
    const client = await sockets.connect({ host: '127.0.0.1', port: portOf(server), sourceAddress: '127.0.0.42', timeoutMs: 5_000 });
    assert.equal(client.localAddress, '127.0.0.42');
    const reply = collect(client);
    client.end('hello');
    assert.equal(await reply, 'from 127.0.0.42 to 127.0.0.1: hello');
  });

  test('without a source address it is an ordinary connection', async () => {
    const sockets = transparentSocketFactory();
    const server = await sockets.listen('127.0.0.1', 0, (s) => s.end(`hi ${s.remoteAddress}`));
    servers.push(server);
    const client = await sockets.connect({ host: '127.0.0.1', port: portOf(server) });
    assert.equal(await collect(client), 'hi 127.0.0.1');
  });

  test('IPv6 works too', async () => {
    const sockets = transparentSocketFactory();
    const server = await sockets.listen('::1', 0, (s) => s.end(`hi ${s.remoteAddress}`));
    servers.push(server);
    const client = await sockets.connect({ host: '::1', port: portOf(server), sourceAddress: '::1' });
    assert.equal(await collect(client), 'hi ::1');
  });

  test('failures reject with errno codes and leave no descriptor open', async () => {
    const sockets = transparentSocketFactory();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = portOf(closed);
    await new Promise((r) => closed.close(r));
    const before = await openFds();
    await assert.rejects(sockets.connect({ host: '127.0.0.1', port, sourceAddress: '127.0.0.7' }), { code: 'ECONNREFUSED' });
    await assert.rejects(sockets.connect({ host: '127.0.0.1', port, sourceAddress: 'not-an-ip' }), { code: 'EINVAL' });
    await assert.rejects(sockets.connect({ host: '::1', port, sourceAddress: '127.0.0.7' }), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(sockets.connect({ host: '127.0.0.1', port, sourceAddress: '127.0.0.7', signal: aborted.signal }), { code: 'ABORT_ERR' });
    assert.equal(await openFds(), before, 'no descriptor left behind');
    const taken = await sockets.listen('127.0.0.1', 0, () => undefined);
    servers.push(taken);
    await assert.rejects(sockets.listen('127.0.0.1', portOf(taken), () => undefined), { code: 'EADDRINUSE' });
    await assert.rejects(sockets.listen('localhost', 0, () => undefined), { code: 'EINVAL' });
  });

  test('a connect that gets no answer times out, or is aborted, and is closed', async () => {
    const sockets = transparentSocketFactory();
    // A raw listener with a backlog of one that nobody accepts from: once two connections wait in
    // its queue, further SYNs are dropped and a connect gets no answer.
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = portOf(free);
    await new Promise((r) => free.close(r));
    const addon = loadTransparentAddon();
    const fd = addon.transparentListen('127.0.0.1', port, 1);
    const queued: Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) queued.push(await sockets.connect({ host: '127.0.0.1', port }));
      const before = await openFds();
      await assert.rejects(sockets.connect({ host: '127.0.0.1', port, sourceAddress: '127.0.0.8', timeoutMs: 200 }), { code: 'ETIMEDOUT' });
      const abort = new AbortController();
      const pending = sockets.connect({ host: '127.0.0.1', port, sourceAddress: '127.0.0.8', signal: abort.signal });
      setTimeout(() => abort.abort(), 50);
      await assert.rejects(pending, { code: 'ABORT_ERR' });
      assert.equal(await openFds(), before, 'no descriptor left behind');
    } finally {
      for (const s of queued) s.destroy();
      addon.closeFd(fd);
    }
  });

  test('a missing addon is reported with what to run', () => {
    assert.throws(() => loadTransparentAddon('/nonexistent/transparent.node'), /npm run build/);
  });
});
