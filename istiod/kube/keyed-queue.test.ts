// Unit tests for the keyed work queue: de-duplication, re-running a key added while it runs,
// retry after failure, and stop() leaving nothing scheduled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLogger } from '../../pkg/log/logger';
import { KeyedQueue, type WorkOutcome } from './keyed-queue';

const settle = () => new Promise((r) => setTimeout(r, 20));
const opts = { concurrency: 2, retryInitialMs: 1, retryMaxMs: 5, what: 'work', logger: memoryLogger() };

test('a key queued twice runs once; added while running, it runs again', async () => {
  const runs: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => { release = r; });
  const q = new KeyedQueue(async (k) => { runs.push(k); if (runs.length === 1) await gate; return 'done'; }, { ...opts, concurrency: 1 });
  try {
    q.add('a');
    q.add('b'); // queued behind 'a' ...
    q.add('b'); // ... and not twice
    await settle();
    q.add('a'); // while 'a' is blocked
    release();
    await settle();
    assert.deepEqual(runs, ['a', 'b', 'a']);
    assert.equal(q.size, 0);
  } finally {
    await q.stop();
  }
});

test('failures are retried until the work succeeds, and logged', async () => {
  let attempts = 0;
  const logger = memoryLogger();
  const q = new KeyedQueue(async (): Promise<WorkOutcome> => {
    attempts++;
    if (attempts === 1) throw new Error('API down');
    return attempts < 3 ? 'retry' : 'done';
  }, { ...opts, logger });
  try {
    q.add('ns');
    for (let i = 0; i < 100 && attempts < 3; i++) await settle();
    assert.equal(attempts, 3);
    assert.ok(logger.lines.some((l) => l.includes('work ns: API down')));
  } finally {
    await q.stop();
  }
});

test('stop cancels scheduled retries', async () => {
  let attempts = 0;
  const q = new KeyedQueue(async (): Promise<WorkOutcome> => { attempts++; return 'retry'; }, { ...opts, retryInitialMs: 50, retryMaxMs: 50 });
  q.add('x');
  await settle();
  await q.stop();
  const before = attempts;
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(attempts, before);
  assert.equal(q.size, 0);
});
