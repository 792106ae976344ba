// Unit tests for the label-pair index and structural equality the AddressIndex relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepEqual } from './deep-equal';
import { firstPair, PairIndex } from './label-index';

test('PairIndex finds ids carrying every pair of a selector, and any pair of a label set', () => {
  const idx = new PairIndex();
  idx.add('a', { app: 'web', version: 'v1' });
  idx.add('b', { app: 'web', version: 'v2' });
  idx.add('c', { app: 'db' });
  assert.deepEqual(idx.all({ app: 'web' }).sort(), ['a', 'b']);
  assert.deepEqual(idx.all({ app: 'web', version: 'v2' }), ['b']);
  assert.deepEqual(idx.all({ app: 'web', version: 'v3' }), []);
  assert.deepEqual(idx.all({}), [], 'an empty selector selects nothing');
  assert.deepEqual([...idx.union({ app: 'db', version: 'v1' })].sort(), ['a', 'c']);
  idx.remove('a', { app: 'web', version: 'v1' });
  assert.deepEqual(idx.all({ app: 'web' }), ['b']);
  assert.equal(idx.get('version', 'v1'), undefined);
});

test('firstPair picks the smallest key, own properties only', () => {
  assert.deepEqual(firstPair({ zone: 'a', app: 'web' }), { app: 'web' });
  assert.deepEqual(firstPair({}), {});
  assert.equal(Object.hasOwn(firstPair(JSON.parse('{"__proto__":"x"}') as Record<string, string>), '__proto__'), true);
});

test('deepEqual compares plain data structurally, objects in any key order', () => {
  assert.ok(deepEqual({ a: [1, { b: 'x' }], c: undefined }, { c: undefined, a: [1, { b: 'x' }] }));
  assert.ok(!deepEqual({ a: [1, 2] }, { a: [2, 1] }));
  assert.ok(!deepEqual({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!deepEqual({ a: undefined }, { b: undefined }));
  assert.ok(!deepEqual([], {}));
  assert.ok(!deepEqual(null, {}));
  assert.ok(deepEqual('x', 'x'));
});
