// The pure timing decisions (half-life renewal, backoff with jitter and caps, the floor for late
// refreshes) and the long-timer helper of the system clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { armLongTimer } from './clock';
import { DEFAULT_BACKOFF, backoffDelay, backoffProblem, minimumDelay, refreshTime, renewalDelay, retryDelay } from './schedule';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const validity = (fromS: number, toS: number) => ({ notBefore: new Date(T0 + fromS * 1000), notAfter: new Date(T0 + toS * 1000) });
const noJitter = () => 0.5;

test('renewal is due halfway through the validity', () => {
  const cert = validity(-60, 86_400);
  assert.equal(refreshTime(cert), T0 + 43_170_000); // -60 s + (86 460 s / 2)
  assert.equal(renewalDelay(cert, T0), 43_170_000);
});

test('a refresh time in the past becomes a short positive delay', () => {
  assert.equal(renewalDelay(validity(-100, 10), T0), 1_000); // min(1 s, 10 % of 10 s)
  assert.equal(renewalDelay(validity(-100, 2), T0), 200); // 10 % of 2 s
  assert.ok(renewalDelay(validity(-100, -1), T0) > 0); // already expired: still not zero
  assert.ok(minimumDelay(0) > 0);
});

test('backoff grows by the factor from the initial delay up to the cap', () => {
  const delays = [1, 2, 3, 4, 5, 9, 10, 20, 2_000].map((n) => backoffDelay(n, DEFAULT_BACKOFF, noJitter));
  assert.deepEqual(delays, [500, 1_000, 2_000, 4_000, 8_000, 128_000, 150_000, 150_000, 150_000]);
});

test('jitter spreads the delay by at most its fraction and never past the cap', () => {
  assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0), 400);
  assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0.999_999), 600);
  assert.equal(backoffDelay(30, DEFAULT_BACKOFF, () => 0.999_999), 150_000);
  assert.equal(backoffDelay(30, DEFAULT_BACKOFF, () => 0), 120_000);
});

test('a retry is never later than the current certificate expiry', () => {
  assert.equal(retryDelay(9, DEFAULT_BACKOFF, validity(-100, 30), T0, noJitter), 30_000);
  assert.equal(retryDelay(1, DEFAULT_BACKOFF, validity(-100, 30), T0, noJitter), 500);
  assert.equal(retryDelay(9, DEFAULT_BACKOFF, validity(-100, -5), T0, noJitter), 128_000); // expired: plain backoff
  assert.equal(retryDelay(9, DEFAULT_BACKOFF, undefined, T0, noJitter), 128_000);
});

test('unusable backoff settings are named', () => {
  assert.equal(backoffProblem(DEFAULT_BACKOFF), undefined);
  assert.match(backoffProblem({ ...DEFAULT_BACKOFF, initialMs: 0 }) ?? '', /initialMs/);
  assert.match(backoffProblem({ ...DEFAULT_BACKOFF, jitter: 1 }) ?? '', /jitter/);
  assert.match(backoffProblem({ ...DEFAULT_BACKOFF, maxMs: 10 }) ?? '', /maxMs/);
});

test('a long timer is armed in chunks and fires once; a cancelled one never fires', async (t) => {
  // The helper's timers are unref'd; this one keeps the test's event loop alive meanwhile.
  const keepAlive = setTimeout(() => undefined, 5_000);
  t.after(() => clearTimeout(keepAlive));
  let fired = 0;
  await new Promise<void>((resolve) => {
    armLongTimer(30, () => {
      fired++;
      resolve();
    }, 10);
  });
  let cancelledFired = false;
  const handle = armLongTimer(20, () => (cancelledFired = true), 5);
  handle.cancel();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(fired, 1);
  assert.equal(cancelledFired, false);
});
