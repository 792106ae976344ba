// The plain socket factory: half-open listeners and connections, a local source address honoured
// and a foreign one ignored, and connect failures reported with their errno code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { plainSocketFactory } from './plain';

test('connects from a local source address; a foreign one is left to the kernel', async () => {
  const factory = plainSocketFactory();
  const seen: string[] = [];
  const server = await factory.listen('127.0.0.1', 0, (socket: Socket) => {
    seen.push(socket.remoteAddress ?? '');
    socket.end();
  });
  const { port } = server.address() as AddressInfo;
  try {
    for (const sourceAddress of ['127.0.4.4', '198.18.200.1']) {
      const socket = await factory.connect({ host: '127.0.0.1', port, sourceAddress, timeoutMs: 2000 });
      assert.equal(socket.allowHalfOpen, true);
      socket.resume();
      await once(socket, 'end');
      socket.destroy();
    }
    assert.deepEqual(seen, ['127.0.4.4', '127.0.0.1']);
  } finally {
    server.close();
  }
});

test('a refused connect rejects with the errno code; an aborted one with ABORT_ERR', async () => {
  const factory = plainSocketFactory();
  const server = await factory.listen('127.0.0.1', 0, () => undefined);
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await assert.rejects(factory.connect({ host: '127.0.0.1', port }), { code: 'ECONNREFUSED' });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(factory.connect({ host: '127.0.0.1', port, signal: controller.signal }), { code: 'ABORT_ERR' });
});

test('a port already in use fails the listen', async () => {
  const factory = plainSocketFactory();
  const server = await factory.listen('127.0.0.1', 0, () => undefined);
  const { port } = server.address() as AddressInfo;
  try {
    await assert.rejects(factory.listen('127.0.0.1', port, () => undefined), { code: 'EADDRINUSE' });
  } finally {
    server.close();
  }
});
