import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuSeconds, parseProcStat, parseVmRssKb, readProcStat, readVmRssKb } from './proc-stat';

// A real-shaped line: comm with a space and a parenthesis, 52 fields.
const LINE = '4242 (node (agent) x) S 1 4242 4242 0 -1 4194560 12000 0 3 0 1534 287 0 0 20 0 11 0 98765 1234567890 11223 18446744073709551615 1 1 0 0 0 0 0 16781312 134234626 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n';

test('parses utime, stime and threads from a stat line whose comm has spaces and parentheses', () => {
  const s = parseProcStat(LINE);
  assert.ok(s);
  assert.equal(s.pid, 4242);
  assert.equal(s.comm, 'node (agent) x');
  assert.equal(s.state, 'S');
  assert.equal(s.utimeTicks, 1534);
  assert.equal(s.stimeTicks, 287);
  assert.equal(s.numThreads, 11);
  assert.equal(cpuSeconds(s, 100), 18.21);
});

test('rejects text that is not a stat line', () => {
  assert.equal(parseProcStat(''), undefined);
  assert.equal(parseProcStat('hello world'), undefined);
  assert.equal(parseProcStat('12 (x) S 1 2 3'), undefined);
});

test('reads VmRSS in KiB from status text', () => {
  const status = 'Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   45124 kB\nRssAnon:\t 30000 kB\n';
  assert.equal(parseVmRssKb(status), 45124);
  assert.equal(parseVmRssKb('Name:\tkthreadd\n'), undefined);
});

test('reads this very process from /proc', async () => {
  const s = await readProcStat(process.pid);
  assert.ok(s);
  assert.equal(s.pid, process.pid);
  assert.ok(s.numThreads >= 1);
  const rss = await readVmRssKb(process.pid);
  assert.ok(rss !== undefined && rss > 1000);
  assert.equal(await readProcStat(2 ** 22 + 1), undefined); // above pid_max: never exists
});
