import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResult, ErrorCounts, errorKind, LatencyRecorder, parseConnectLoadResult, phaseAt } from './connect-load-result';

test('the latency recorder grows past its initial capacity and keeps every sample', () => {
  const r = new LatencyRecorder(16);
  for (let i = 1; i <= 100; i++) r.add(i);
  assert.equal(r.count, 100);
  assert.equal(r.values().length, 100);
  assert.equal(r.values()[99], 100);
});

test('error kinds are errno codes, else other', () => {
  assert.equal(errorKind(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
  assert.equal(errorKind(Object.assign(new Error('x'), { code: 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION' })), 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION');
  assert.equal(errorKind(Object.assign(new Error('x'), { code: 'not a code' })), 'other');
  assert.equal(errorKind('boom'), 'other');
});

test('phases split a run into warm-up, measured window and tail', () => {
  assert.equal(phaseAt(999, 1, 2), 'warmup');
  assert.equal(phaseAt(1000, 1, 2), 'measured');
  assert.equal(phaseAt(2999, 1, 2), 'measured');
  assert.equal(phaseAt(3000, 1, 2), 'tail');
  assert.equal(phaseAt(0, 0, 2), 'measured');
});

function counts(...kinds: string[]): ErrorCounts {
  const c = new ErrorCounts();
  for (const k of kinds) c.add(k);
  return c;
}

test('the result reports the measured window, and all phases for CPU accounting', () => {
  const r = buildResult({
    target: '127.0.0.1:9', concurrency: 4, payloadBytes: 64, warmupSeconds: 1, durationSeconds: 2,
    completed: { warmup: 10, measured: 400, tail: 3 },
    errors: { warmup: counts('ECONNRESET'), measured: counts('timeout', 'ECONNRESET', 'ECONNRESET'), tail: counts() },
    latencies: [1, 2, 3, 4],
    hardStopped: false,
  });
  assert.equal(r.connectionsPerSecond, 200);
  assert.equal(r.completed, 400);
  assert.deepEqual(r.errors, { ECONNRESET: 2, timeout: 1 });
  assert.equal(r.errorTotal, 3);
  assert.deepEqual(r.latencyMs, { p50: 2, p90: 4, p99: 4, max: 4, mean: 2.5 });
  assert.deepEqual(r.all, { completed: 413, errors: { ECONNRESET: 3, timeout: 1 } });
  const parsed = parseConnectLoadResult(`some log line\n${JSON.stringify(r)}\n`);
  assert.deepEqual(parsed, r);
});

test('no samples: null latencies survive the JSON round trip', () => {
  const r = buildResult({
    target: 'h:1', concurrency: 1, payloadBytes: 64, warmupSeconds: 0, durationSeconds: 1,
    completed: { warmup: 0, measured: 0, tail: 0 },
    errors: { warmup: counts(), measured: counts('ECONNREFUSED'), tail: counts() },
    latencies: [], hardStopped: false,
  });
  assert.deepEqual(r.latencyMs, { p50: null, p90: null, p99: null, max: null, mean: null });
  assert.deepEqual(parseConnectLoadResult(JSON.stringify(r)), r);
});

test('a missing, broken or incomplete result line is a message, not a throw', () => {
  assert.match(String(parseConnectLoadResult('')), /printed nothing/);
  assert.match(String(parseConnectLoadResult('{"target": ')), /not JSON/);
  assert.match(String(parseConnectLoadResult('{"target":"h:1","completed":-1}')), /malformed fields: .*completed/);
});
