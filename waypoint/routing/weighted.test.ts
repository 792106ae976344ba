// pickWeighted: proportional choice, zero/negative weights never chosen, empty and all-zero lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickWeighted } from './weighted';

/** A small seeded PRNG (mulberry32) so the split test is repeatable. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const items = [{ name: 'v1', weight: 90 }, { name: 'zero', weight: 0 }, { name: 'v2', weight: 10 }];

const cases: { random: number; want: string | undefined; list?: { name: string; weight: number }[] }[] = [
  { random: 0, want: 'v1' },
  { random: 0.8999, want: 'v1' },
  { random: 0.9, want: 'v2' },
  { random: 0.9999999, want: 'v2' },
  { random: 1, want: 'v2' },
  { random: 0.5, want: undefined, list: [] },
  { random: 0.5, want: undefined, list: [{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }] },
  { random: 0.5, want: 'ok', list: [{ name: 'neg', weight: -5 }, { name: 'nan', weight: Number.NaN }, { name: 'ok', weight: 1 }] },
  { random: 0.99, want: 'only', list: [{ name: 'only', weight: 3 }] },
];

for (const c of cases) {
  test(`random ${c.random} over ${c.list ? JSON.stringify(c.list.map((i) => i.weight)) : '90/0/10'} picks ${c.want}`, () => {
    assert.equal(pickWeighted(c.list ?? items, () => c.random)?.name, c.want);
  });
}

test('a 90/10 split comes out within a few percent over many picks; weight 0 never', () => {
  const random = seeded(7);
  const counts: Record<string, number> = { v1: 0, v2: 0, zero: 0 };
  for (let i = 0; i < 10_000; i++) counts[pickWeighted(items, random)!.name]++;
  assert.equal(counts.zero, 0);
  assert.ok(Math.abs(counts.v2 / 10_000 - 0.1) < 0.02, `v2 share ${counts.v2 / 10_000}`);
});
