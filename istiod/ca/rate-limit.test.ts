// Unit tests for the CA's per-caller token buckets (a fake clock, no timers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedRateLimiter } from './rate-limit';

test('a burst is allowed, then requests are refused until tokens refill', () => {
  let now = 1_000_000;
  const limiter = new KeyedRateLimiter({ burst: 3, perSecond: 2 }, () => now);
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a')), [true, true, true, false]);
  now += 250; // half a token
  assert.equal(limiter.take('a'), false);
  now += 250; // one token
  assert.equal(limiter.take('a'), true);
  assert.equal(limiter.take('a'), false);
  now += 60_000; // refills to the burst, no more
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a')), [true, true, true, false]);
});

test('callers have separate buckets', () => {
  const limiter = new KeyedRateLimiter({ burst: 1, perSecond: 1 }, () => 0);
  assert.equal(limiter.take('a'), true);
  assert.equal(limiter.take('a'), false);
  assert.equal(limiter.take('b'), true);
});

test('the number of tracked callers stays bounded, and an active caller stays limited', () => {
  const limiter = new KeyedRateLimiter({ burst: 2, perSecond: 1, maxKeys: 100 }, () => 0);
  let busyAllowed = 0;
  for (let i = 0; i < 1000; i++) {
    limiter.take(`caller-${i}`);
    if (limiter.take('busy')) busyAllowed++;
  }
  assert.ok(limiter.size <= 100, `tracked ${limiter.size}`);
  assert.equal(busyAllowed, 2, 'a flood of new callers does not reset an active caller');
});
