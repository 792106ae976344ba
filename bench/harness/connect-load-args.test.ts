import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hardStopMs, parseConnectLoadArgs } from './connect-load-args';

test('parses server mode', () => {
  assert.deepEqual(parseConnectLoadArgs(['--mode', 'server', '--host', '0.0.0.0', '--port', '9100']), { mode: 'server', host: '0.0.0.0', port: 9100 });
});

test('parses client mode with defaults for warm-up, payload and timeout', () => {
  assert.deepEqual(parseConnectLoadArgs(['--mode', 'client', '--target', '198.18.2.5:9100', '--concurrency', '8', '--duration', '8']), {
    mode: 'client',
    target: { host: '198.18.2.5', port: 9100 },
    concurrency: 8,
    durationSeconds: 8,
    warmupSeconds: 0,
    payloadBytes: 64,
    timeoutMs: 5000,
  });
});

test('accepts fractional durations, IPv6 targets and explicit knobs', () => {
  const c = parseConnectLoadArgs(['--mode', 'client', '--target', '[::1]:7', '--concurrency', '1', '--duration', '0.5', '--warmup', '0.25', '--payload', '1024', '--timeout-ms', '200']);
  assert.deepEqual(c, { mode: 'client', target: { host: '::1', port: 7 }, concurrency: 1, durationSeconds: 0.5, warmupSeconds: 0.25, payloadBytes: 1024, timeoutMs: 200 });
  if (typeof c === 'string' || c.mode !== 'client') throw new Error('unreachable');
  assert.equal(hardStopMs(c), 750 + 200 + 2000);
});

test('reports every problem of a client command line at once', () => {
  const msg = String(parseConnectLoadArgs(['--mode', 'client', '--target', 'nohost', '--concurrency', '0', '--duration', '-1', '--payload', '0', '--bogus', 'x']));
  assert.match(msg, /--bogus is not an option of client mode/);
  assert.match(msg, /--target wants HOST:PORT, got 'nohost'/);
  assert.match(msg, /--concurrency wants 1\.\.1024, got '0'/);
  assert.match(msg, /--duration wants seconds > 0/);
  assert.match(msg, /--payload wants 1\.\.65536 bytes/);
});

test('refuses unbounded or malformed runs', () => {
  assert.match(String(parseConnectLoadArgs(['--mode', 'client', '--target', 'h:1', '--concurrency', '1', '--duration', '590', '--warmup', '20'])), /within 600 s/);
  assert.match(String(parseConnectLoadArgs(['--mode', 'client', '--target', 'h:0', '--concurrency', '1', '--duration', '1'])), /--target wants HOST:PORT/);
  assert.match(String(parseConnectLoadArgs(['--mode', 'server', '--host', 'h'])), /--port wants 0\.\.65535/);
  assert.match(String(parseConnectLoadArgs(['--mode', 'server', '--port', '1', '--port', '2'])), /--port given twice/);
  assert.match(String(parseConnectLoadArgs(['--mode'])), /expected --option value pairs/);
  assert.match(String(parseConnectLoadArgs(['--mode', 'proxy'])), /--mode must be client or server, got 'proxy'/);
});
