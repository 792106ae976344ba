import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBounded } from './kube-rest';

test('runBounded keeps at most `limit` in flight and runs every item', async () => {
  let inFlight = 0;
  let most = 0;
  const seen: number[] = [];
  const progress: number[] = [];
  await runBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => setImmediate(resolve));
    seen.push(item);
    inFlight--;
  }, (done) => progress.push(done));
  assert.equal(most, 3);
  assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7]);
});

test('runBounded stops starting new items after a failure and throws it', async () => {
  const started: number[] = [];
  await assert.rejects(runBounded([1, 2, 3, 4, 5, 6], 2, async (item) => {
    started.push(item);
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (item === 2) throw new Error('write 2 refused');
  }), /write 2 refused/);
  assert.ok(started.length < 6, `started ${started.join(',')}`);
});
