import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentChange, percentileSorted, round, summarize } from './stats';

test('nearest-rank percentiles return observed samples', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  assert.equal(percentileSorted(sorted, 50), 50);
  assert.equal(percentileSorted(sorted, 90), 90);
  assert.equal(percentileSorted(sorted, 99), 99);
  assert.equal(percentileSorted(sorted, 100), 100);
  assert.equal(percentileSorted(sorted, 0), 1);
  assert.equal(percentileSorted([7], 99), 7);
  assert.equal(percentileSorted([1, 2, 3, 4], 50), 2);
  assert.equal(percentileSorted([1, 2, 3, 4], 51), 3);
});

test('percentile of nothing is NaN and out-of-range p is refused', () => {
  assert.ok(Number.isNaN(percentileSorted([], 50)));
  assert.throws(() => percentileSorted([1], 101), RangeError);
  assert.throws(() => percentileSorted([1], -1), RangeError);
});

test('summarize sorts a copy and reports the usual figures', () => {
  const values = [5, 1, 4, 2, 3];
  const s = summarize(values);
  assert.deepEqual(values, [5, 1, 4, 2, 3]);
  assert.equal(s.count, 5);
  assert.equal(s.min, 1);
  assert.equal(s.max, 5);
  assert.equal(s.mean, 3);
  assert.equal(s.p50, 3);
  assert.equal(s.p99, 5);
  assert.equal(summarize([]).count, 0);
});

test('round turns non-finite values into null for JSON', () => {
  assert.equal(round(1.23456, 2), 1.23);
  assert.equal(round(Number.NaN, 2), null);
  assert.equal(round(Number.POSITIVE_INFINITY, 1), null);
  assert.equal(percentChange(2, 3), 50);
  assert.ok(Number.isNaN(percentChange(0, 3)));
});
