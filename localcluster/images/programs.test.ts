// The sample apps as the local cluster's kubelet runs them: compiled programs started with env
// (PORT, POD_NAME, VERSION, ...), serving on the port they announce, exiting 0 on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';

interface Started { child: ChildProcessWithoutNullStreams; output: () => string; firstLine: string }

/** Starts a program and waits for the stdout line matching `ready`. */
function startProgram(script: string, env: Record<string, string>, ready: RegExp): Promise<Started> {
  const child = spawn(process.execPath, [join(__dirname, script)], { env: { ...process.env, ...env } });
  let out = '';
  child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const line = out.split('\n').find((l) => ready.test(l));
      if (line) resolve({ child, output: () => out, firstLine: line });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited early with ${code}: ${out}`)));
  });
}

function terminate(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.kill('SIGTERM');
  });
}

test('sleep stays alive until SIGTERM, then exits 0', async () => {
  const { child } = await startProgram('sleep.js', {}, /sleeping until SIGTERM/);
  assert.deepEqual(await terminate(child), { code: 0, signal: null });
});

test('echo-server reads its identity from the environment and exits 0 on SIGTERM', async () => {
  const env = { PORT: '0', POD_NAME: 'echo-v1-xyz', POD_NAMESPACE: 'shop', VERSION: 'v1', NODE_NAME: 'node-0' };
  const { child, firstLine, output } = await startProgram('echo-server.js', env, /listening on port \d+/);
  const port = Number(/listening on port (\d+)/.exec(firstLine)?.[1]);
  const body = await new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/hello', agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString('utf8'); });
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
  const reply = JSON.parse(body);
  assert.deepEqual([reply.pod, reply.namespace, reply.version, reply.node, reply.path], ['echo-v1-xyz', 'shop', 'v1', 'node-0', '/hello']);
  assert.deepEqual(await terminate(child), { code: 0, signal: null });
  assert.match(output(), /GET \/hello 200/);
});

test('echo-server refuses a bad PORT with a message', async () => {
  const child = spawn(process.execPath, [join(__dirname, 'echo-server.js')], { env: { ...process.env, PORT: 'http' } });
  let err = '';
  child.stderr.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /PORT must be a TCP port number \(0-65535\), got "http"/);
});

test('tcp-echo answers whoami with its pod and version and exits 0 on SIGTERM', async () => {
  const { child, firstLine } = await startProgram('tcp-echo.js', { PORT: '0', POD_NAME: 'tcp-echo-1', VERSION: 'v3' }, /listening on port \d+/);
  const port = Number(/listening on port (\d+)/.exec(firstLine)?.[1]);
  const got = await new Promise<string>((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end('whoami\nabc'));
    let text = '';
    socket.on('data', (c: Buffer) => { text += c.toString('utf8'); });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  assert.match(got, /^tcp-echo-1 v3 127\.0\.0\.1:\d+\nabc$/);
  assert.deepEqual(await terminate(child), { code: 0, signal: null });
});
