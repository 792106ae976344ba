import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h2loadArgs, parseH2loadLog, parseH2loadRequests } from './h2load';

test('builds a fixed-rate HTTP/1.1 command line with a log file', () => {
  assert.deepEqual(
    h2loadArgs({ url: 'http://127.0.0.1:8080/', connections: 4, ratePerConnection: 250, durationSeconds: 10, logFile: '/tmp/x.log', http1: true }),
    ['--h1', '-c', '4', '-t', '1', '--rps', '250', '-D', '10', '--log-file', '/tmp/x.log', 'http://127.0.0.1:8080/'],
  );
});

test('parses the per-request log: durations of 2xx, failures, malformed lines, span', () => {
  const log = [
    '1700000000000000\t200\t250',
    '1700000000004000\t200\t180',
    '1700000000008000\t503\t90',
    '1700000000012000\t-1\t5000',
    'garbage',
    '1700000000016000\t200\t300\textra-column',
    '',
  ].join('\n');
  const r = parseH2loadLog(log);
  assert.deepEqual(r.okDurationsUs, [250, 180, 300]);
  assert.equal(r.failed, 2);
  assert.equal(r.malformed, 1);
  assert.equal(r.spanSeconds, 0.017); // the failed row ends last (12 ms + 5 ms)
});

test('an empty log gives no samples and a zero span', () => {
  const r = parseH2loadLog('');
  assert.equal(r.okDurationsUs.length, 0);
  assert.equal(r.spanSeconds, 0);
});

test('parses the requests line of the report', () => {
  const out = 'finished in 10.00s, 1000.10 req/s, 1.10MB/s\nrequests: 10000 total, 10000 started, 10000 done, 9998 succeeded, 2 failed, 2 errored, 0 timeout\nstatus codes: 9998 2xx\n';
  assert.deepEqual(parseH2loadRequests(out), { total: 10000, started: 10000, done: 10000, succeeded: 9998, failed: 2, errored: 2, timeout: 0 });
  assert.equal(parseH2loadRequests('no report here'), undefined);
});
