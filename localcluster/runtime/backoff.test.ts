// Unit tests of the restart backoff and restart policy decisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRestartDelay, shouldRestart } from './backoff';

test('backoff doubles from 1 s up to 30 s', () => {
  const delays: number[] = [];
  let previous: number | null = null;
  for (let i = 0; i < 8; i++) {
    previous = nextRestartDelay(previous, 500);
    delays.push(previous);
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test('running for 60 s resets the backoff', () => {
  assert.equal(nextRestartDelay(30_000, 60_000), 1000);
  assert.equal(nextRestartDelay(30_000, 59_999), 30_000);
});

test('restart policies', () => {
  assert.equal(shouldRestart('Always', 0), true);
  assert.equal(shouldRestart('OnFailure', 0), false);
  assert.equal(shouldRestart('OnFailure', 1), true);
  assert.equal(shouldRestart('OnFailure', null), true);
  assert.equal(shouldRestart('Never', 1), false);
});
