// The work queue as a controller author sees it: duplicate keys reconcile once, a failing key is
// retried without holding up the others, and conflicts are retried promptly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conflict } from '../apiserver/errors';
import { WorkQueue } from './work-queue';

test('keys added while waiting are reconciled once', async () => {
  const seen: string[] = [];
  const q = new WorkQueue('t', (k) => { seen.push(k); });
  for (const k of ['a', 'b', 'a', 'a', 'b']) q.add(k);
  await q.whenIdle();
  assert.deepEqual(seen, ['a', 'b']);
});

test('a failing key is retried with backoff while other keys proceed; errors are logged with the key', async () => {
  const seen: string[] = [];
  const logs: string[] = [];
  let failuresLeft = 2;
  const q = new WorkQueue('t', (k) => {
    seen.push(k);
    if (k === 'bad' && failuresLeft-- > 0) throw new Error('boom');
  }, { baseDelayMs: 1, log: (l) => logs.push(l) });
  q.add('bad');
  q.add('good');
  await q.whenIdle();
  assert.deepEqual(seen, ['bad', 'good', 'bad', 'bad']);
  assert.equal(logs.length, 2);
  assert.match(logs[0], /controllers: t: bad: boom/);
});

test('a 409 conflict is requeued at once without logging', async () => {
  let attempts = 0;
  const logs: string[] = [];
  const q = new WorkQueue('t', () => {
    attempts += 1;
    if (attempts === 1) throw conflict('apps', 'deployments', 'd', 'the object has been modified');
  }, { baseDelayMs: 60_000, log: (l) => logs.push(l) });
  q.add('k');
  await q.whenIdle();
  assert.equal(attempts, 2);
  assert.deepEqual(logs, []);
});

test('a key that keeps failing stops holding idle and stop() ends its retries', async () => {
  let attempts = 0;
  const q = new WorkQueue('t', () => { attempts += 1; throw new Error('always'); }, { baseDelayMs: 1, log: () => undefined });
  q.add('k');
  await q.whenIdle();
  assert.ok(attempts >= 6);
  q.stop();
  const after = attempts;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(attempts, after);
});
