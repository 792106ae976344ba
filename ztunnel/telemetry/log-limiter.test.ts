// LogLimiter: a key passes once per interval, other keys are independent, and the number of keys
// remembered stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogLimiter } from './log-limiter';

test('a key passes once per interval; other keys are independent', () => {
  let now = 1_000;
  const limiter = new LogLimiter({ intervalMs: 30_000, now: () => now });
  assert.equal(limiter.allow('shop/reviews|no ready endpoints'), true);
  assert.equal(limiter.allow('shop/reviews|no ready endpoints'), false);
  assert.equal(limiter.allow('shop/ratings|no ready endpoints'), true);
  now += 29_999;
  assert.equal(limiter.allow('shop/reviews|no ready endpoints'), false);
  now += 1;
  assert.equal(limiter.allow('shop/reviews|no ready endpoints'), true);
});

test('at most maxKeys are remembered: the oldest is forgotten first', () => {
  const limiter = new LogLimiter({ maxKeys: 2, now: () => 0 });
  assert.equal(limiter.allow('a'), true);
  assert.equal(limiter.allow('b'), true);
  assert.equal(limiter.allow('c'), true); // forgets a
  assert.equal(limiter.allow('b'), false);
  assert.equal(limiter.allow('a'), true);
});
