import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLinesTail } from './json-lines-tail';

test('complete lines are returned once; a torn line waits for its newline; a missing file is empty', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jsonl-tail-'));
  const tail = new JsonLinesTail(join(dir, 'events.jsonl'));
  try {
    assert.deepEqual(await tail.poll(), []);
    await appendFile(tail.path, '{"a":1}\n{"b":');
    assert.deepEqual(await tail.poll(), ['{"a":1}']);
    await appendFile(tail.path, Buffer.from('"é"}\n\n', 'utf8').subarray(0, 2));
    assert.deepEqual(await tail.poll(), []);
    await appendFile(tail.path, Buffer.from('"é"}\n\n', 'utf8').subarray(2));
    assert.deepEqual(await tail.poll(), ['{"b":"é"}']);
    assert.deepEqual(await tail.poll(), []);
  } finally {
    await tail.close();
    await rm(dir, { recursive: true, force: true });
  }
});
