// Tests for the shared printing helpers: kubectl's human durations, ages, label and selector text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLabels, formatLabelSelector, humanDuration, since, truncatedList } from './table-format';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration follows kubectl at every threshold', () => {
  const cases: Array<[number, string]> = [
    [-5 * S, '<invalid>'], [-1500, '0s'], [0, '0s'], [5 * S, '5s'], [119 * S, '119s'], [2 * M, '2m'], [3 * M + 2 * S, '3m2s'],
    [9 * M + 59 * S, '9m59s'], [10 * M + 30 * S, '10m'], [179 * M, '179m'], [3 * H, '3h'], [4 * H + 5 * M, '4h5m'],
    [7 * H + 59 * M, '7h59m'], [8 * H + 30 * M, '8h'], [47 * H, '47h'], [2 * D, '2d'], [2 * D + 3 * H, '2d3h'],
    [7 * D + 23 * H, '7d23h'], [8 * D + 5 * H, '8d'], [729 * D, '729d'], [730 * D, '2y'], [731 * D, '2y1d'],
    [8 * 365 * D + 10 * D, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('since reads RFC 3339 timestamps and reports unknown ones', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  assert.equal(since('2024-05-01T11:59:55Z', now), '5s');
  assert.equal(since('2024-04-29T09:00:00Z', now), '2d3h');
  assert.equal(since(undefined, now), '<unknown>');
  assert.equal(since('yesterday', now), '<unknown>');
});

test('labels and selectors print sorted, <none> when empty', () => {
  assert.equal(formatLabels({ tier: 'web', app: 'shop' }), 'app=shop,tier=web');
  assert.equal(formatLabels(undefined), '<none>');
  assert.equal(formatLabelSelector({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'has', operator: 'Exists' }, { key: 'gone', operator: 'DoesNotExist' },
    ],
  }), 'app=web,tier in (a,b),env notin (dev),has,!gone');
  assert.equal(formatLabelSelector({}), '<none>');
});

test('long lists show three entries and how many more', () => {
  assert.equal(truncatedList(['a', 'b'], 3, '<unset>'), 'a,b');
  assert.equal(truncatedList(['a', 'b', 'c', 'd', 'e'], 3, '<unset>'), 'a,b,c + 2 more...');
  assert.equal(truncatedList([], 3, '<unset>'), '<unset>');
});
