// Unit tests of /proc/<pid>/stat parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcStat, readProcStat } from './proc-stat';

test('fields after an awkward command name are found', () => {
  const text = '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1234 56 18446744073709551615\n';
  assert.deepEqual(parseProcStat(text), { pid: 4242, state: 'S', ppid: 1, pgrp: 4242, startTime: '987654' });
});

test('malformed input gives null', () => {
  assert.equal(parseProcStat('garbage'), null);
  assert.equal(parseProcStat('12 (x) S 1 2'), null);
});

test('the current process can be read', async () => {
  const stat = await readProcStat(process.pid);
  assert.equal(stat?.pid, process.pid);
  assert.match(stat?.startTime ?? '', /^\d+$/);
});
