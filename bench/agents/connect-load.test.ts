import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseConnectLoadResult } from '../harness/connect-load-result';
import { runClient, startEchoServer } from './connect-load';

const AGENT = join(__dirname, 'connect-load.js');

function portOf(server: Server): number {
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A TCP server whose connections get `behave`; tracks sockets so it can be torn down. */
async function oddServer(behave: (s: Socket) => void): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
    behave(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: portOf(server), stop: async () => { for (const s of sockets) s.destroy(); await close(server); } };
}

function client(port: number, extra: Partial<{ durationSeconds: number; timeoutMs: number; concurrency: number }> = {}) {
  return runClient({
    mode: 'client', target: { host: '127.0.0.1', port }, concurrency: extra.concurrency ?? 2,
    durationSeconds: extra.durationSeconds ?? 0.3, warmupSeconds: 0, payloadBytes: 64, timeoutMs: extra.timeoutMs ?? 5000,
  });
}

test('server and client processes on loopback: connections complete, no errors, one JSON line', async () => {
  const server = spawn(process.execPath, [AGENT, '--mode', 'server', '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    server.stdout.setEncoding('utf8');
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.on('data', (d: string) => {
        out += d;
        const m = /READY (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      server.once('exit', () => reject(new Error(`server exited: ${out}`)));
    });
    const c = spawn(process.execPath, [AGENT, '--mode', 'client', '--target', `127.0.0.1:${port}`, '--concurrency', '4', '--duration', '1', '--warmup', '0.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    c.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const [code] = (await once(c, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim().split('\n').length, 1, 'exactly one line on stdout');
    const r = parseConnectLoadResult(stdout);
    if (typeof r === 'string') assert.fail(r);
    assert.ok(r.completed > 0, `completed ${r.completed}`);
    assert.equal(r.errorTotal, 0, JSON.stringify(r.errors));
    assert.deepEqual(r.all.errors, {});
    assert.ok(r.warmup.completed > 0);
    assert.ok((r.connectionsPerSecond ?? 0) > 0);
    assert.ok((r.latencyMs.p50 ?? 0) > 0 && (r.latencyMs.max ?? 0) >= (r.latencyMs.p99 ?? Infinity));
    assert.equal(r.hardStopped, false);
  } finally {
    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number | null];
    assert.equal(code, 0, 'the server exits cleanly on SIGTERM');
  }
});

test('a refused target is reported as errors, not a crash', async () => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = portOf(probe);
  await close(probe);
  const r = await client(port);
  assert.equal(r.completed, 0);
  assert.ok((r.errors.ECONNREFUSED ?? 0) > 0, JSON.stringify(r.errors));
  assert.equal(r.connectionsPerSecond, 0);
});

test('the in-process echo server carries bytes back', async () => {
  const server = await startEchoServer({ host: '127.0.0.1', port: 0 });
  try {
    const r = await client(portOf(server), { concurrency: 3 });
    assert.ok(r.completed > 0);
    assert.equal(r.errorTotal, 0);
  } finally {
    await close(server);
  }
});

test('a peer that closes early or echoes wrong bytes counts as short-echo / bad-echo', async () => {
  const closer = await oddServer((s) => s.end());
  const liar = await oddServer((s) => s.once('data', (d: Buffer) => s.end(Buffer.alloc(d.length, 0x21))));
  try {
    const a = await client(closer.port);
    assert.equal(a.completed, 0);
    assert.ok((a.errors['short-echo'] ?? 0) > 0, JSON.stringify(a.errors));
    const b = await client(liar.port);
    assert.equal(b.completed, 0);
    assert.ok((b.errors['bad-echo'] ?? 0) > 0, JSON.stringify(b.errors));
  } finally {
    await closer.stop();
    await liar.stop();
  }
});

test('a peer that never answers counts as timeout and the run still ends', async () => {
  const silent = await oddServer(() => undefined);
  try {
    const r = await client(silent.port, { durationSeconds: 0.2, timeoutMs: 100, concurrency: 1 });
    assert.equal(r.completed, 0);
    assert.ok((r.all.errors.timeout ?? 0) > 0, JSON.stringify(r.all.errors));
  } finally {
    await silent.stop();
  }
});
