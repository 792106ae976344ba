// Behaviour of the `ambit/tcp-echo` sample app as a client sees it: bytes echoed, the whoami
// answer, half-close (client FIN → everything echoed, then the server's FIN), served on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTcpEchoServer, type RunningTcpEcho } from './tcp-echo';
import { createWhoamiSniffer } from './whoami-sniffer';

/** Sends the chunks, half-closes, and collects everything until the server's FIN. */
function exchange(port: number, chunks: (string | Buffer)[]): Promise<{ data: Buffer; localPort: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      for (const c of chunks) socket.write(c);
      socket.end();
    });
    const got: Buffer[] = [];
    socket.on('data', (c: Buffer) => got.push(c));
    socket.on('end', () => resolve({ data: Buffer.concat(got), localPort: socket.localPort ?? 0 }));
    socket.on('error', reject);
  });
}

async function withServer(fn: (server: RunningTcpEcho) => Promise<void>): Promise<void> {
  const server = await startTcpEchoServer({
    port: 0, host: '127.0.0.1', identity: { pod: 'tcp-echo-7f9c', version: 'v1' }, log: () => undefined,
  });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

test('echoes bytes back while the connection is open', () => withServer(async (server) => {
  const socket = net.connect({ host: '127.0.0.1', port: server.port });
  const echoed = await new Promise<string>((resolve, reject) => {
    let got = '';
    socket.on('data', (c: Buffer) => {
      got += c.toString('utf8');
      if (got === 'hello mesh') resolve(got);
    });
    socket.on('error', reject);
    socket.write('hello mesh');
  });
  assert.equal(echoed, 'hello mesh');
  socket.destroy();
}));

test('whoami as the first line is answered with pod, version and source; the rest is echoed', () => withServer(async (server) => {
  const { data, localPort } = await exchange(server.port, ['who', 'ami\n', 'ping\n']);
  assert.equal(data.toString('utf8'), `tcp-echo-7f9c v1 127.0.0.1:${localPort}\nping\n`);
}));

test('whoami with CRLF works; whoami later in the stream is just echoed', () => withServer(async (server) => {
  const crlf = await exchange(server.port, ['whoami\r\n']);
  assert.match(crlf.data.toString('utf8'), /^tcp-echo-7f9c v1 127\.0\.0\.1:\d+\n$/);
  const later = await exchange(server.port, ['hi\nwhoami\n']);
  assert.equal(later.data.toString('utf8'), 'hi\nwhoami\n');
}));

test('half-close: after the client FIN every byte still comes back, then the server FIN', () => withServer(async (server) => {
  const payload = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const { data } = await exchange(server.port, [payload]);
  assert.equal(data.length, payload.length);
  assert.ok(data.equals(payload));
}));

test('a partial whoami followed by FIN is echoed as is', () => withServer(async (server) => {
  const { data } = await exchange(server.port, ['whoam']);
  assert.equal(data.toString('utf8'), 'whoam');
}));

test('sniffer: bytes split anywhere give the same result', () => {
  const input = Buffer.from('whoami\r\nabc');
  for (let cut = 0; cut <= input.length; cut++) {
    const s = createWhoamiSniffer();
    const a = s.feed(input.subarray(0, cut));
    const b = s.feed(input.subarray(cut));
    assert.equal(a.whoami || b.whoami, true, `cut at ${cut}`);
    assert.equal(Buffer.concat([a.echo, b.echo, s.finish()]).toString(), 'abc', `cut at ${cut}`);
  }
});
