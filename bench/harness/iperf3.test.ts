import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iperf3ClientArgs, parseIperf3Json } from './iperf3';

test('builds a bounded client command line', () => {
  assert.deepEqual(iperf3ClientArgs({ host: '127.0.0.1', port: 5201, seconds: 10, parallel: 4 }), [
    '-c', '127.0.0.1', '-p', '5201', '-t', '10', '-P', '4', '-J', '--connect-timeout', '5000',
  ]);
  assert.ok(iperf3ClientArgs({ host: '127.0.0.1', port: 1, seconds: 1, parallel: 1, reverse: true }).includes('-R'));
});

test('takes the receiver totals from the JSON report', () => {
  const report = JSON.stringify({
    start: {},
    end: {
      sum_sent: { bytes: 3_000_000_000, seconds: 10, bits_per_second: 2.4e9, retransmits: 3 },
      sum_received: { bytes: 2_990_000_000, seconds: 10.001, bits_per_second: 2.39e9 },
    },
  });
  assert.deepEqual(parseIperf3Json(report), { bytes: 2_990_000_000, seconds: 10.001, bitsPerSecond: 2.39e9, retransmits: 3 });
});

test('reports iperf3 errors and broken output as messages', () => {
  assert.equal(parseIperf3Json(JSON.stringify({ start: {}, end: {}, error: 'unable to connect to server: Connection refused' })), 'iperf3: unable to connect to server: Connection refused');
  assert.match(String(parseIperf3Json('iperf3: error')), /no JSON report/);
  assert.match(String(parseIperf3Json('{"end":{}}')), /no end.sum_received/);
});
