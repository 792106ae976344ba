import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, parseAgentArgs } from './agent-args';

test('parses client mode with several forwards and window overrides', () => {
  const c = parseAgentArgs([
    '--mode', 'client', '--cert', '/tmp/c.json', '--server', '127.0.0.1:15008',
    '--server-identity', 'spiffe://cluster.local/ns/bench/sa/server',
    '--forward', '4001=127.0.0.1:5201', '--forward', '4002=[::1]:8080', '--stream-window', '65535',
  ]);
  assert.deepEqual(c, {
    mode: 'client',
    certFile: '/tmp/c.json',
    server: { address: '127.0.0.1', port: 15008 },
    serverIdentity: 'spiffe://cluster.local/ns/bench/sa/server',
    forwards: [{ listenPort: 4001, authority: '127.0.0.1:5201' }, { listenPort: 4002, authority: '[::1]:8080' }],
    streamWindowBytes: 65535,
  });
});

test('parses server mode', () => {
  assert.deepEqual(parseAgentArgs(['--mode', 'server', '--cert', 'c.json', '--listen', '127.0.0.1:0']), {
    mode: 'server', certFile: 'c.json', listen: { address: '127.0.0.1', port: 0 },
  });
});

test('says what is missing or malformed', () => {
  assert.match(String(parseAgentArgs(['--mode', 'server'])), /--cert FILE is required/);
  assert.match(String(parseAgentArgs(['--mode', 'x', '--cert', 'c'])), /--mode must be client or server/);
  assert.match(String(parseAgentArgs(['--mode', 'client', '--cert', 'c', '--server', '127.0.0.1:1', '--server-identity', 's'])), /at least one --forward/);
  assert.match(String(parseAgentArgs(['--forward', 'abc'])), /LISTENPORT=HOST:PORT/);
  assert.match(String(parseAgentArgs(['--mode', 'server', '--cert', 'c', '--listen', '127.0.0.1:1', '--stream-window', '-5'])), /positive byte count/);
  assert.match(String(parseAgentArgs(['--mode'])), /option value pairs/);
});

test('the server agent dials loopback only', () => {
  assert.equal(isLoopbackHost('127.0.0.1'), true);
  assert.equal(isLoopbackHost('::1'), true);
  assert.equal(isLoopbackHost('198.18.0.1'), false);
  assert.equal(isLoopbackHost('example.com'), false);
});
