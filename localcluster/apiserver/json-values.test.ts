// Tests for the JSON value helpers: deep copy, equality and prototype-safe property access.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneJson, jsonEqual, ownValue, setOwn } from './json-values';

test('cloneJson copies deeply and keeps __proto__ as an own key', () => {
  const src = JSON.parse('{"a":{"b":[1,{"c":2}]},"__proto__":{"x":1}}') as Record<string, unknown>;
  const copy = cloneJson(src);
  assert.deepEqual(copy, src);
  assert.notEqual(copy.a, src.a);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.deepEqual(Object.keys(copy), ['a', '__proto__']);
});

test('jsonEqual compares structure, not key order or identity', () => {
  const cases: Array<[unknown, unknown, boolean]> = [
    [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    [[1, 2], [2, 1], false],
    [{ a: undefined }, {}, false],
    [null, null, true],
    [null, {}, false],
    ['1', 1, false],
    [{ a: { b: null } }, { a: { b: null } }, true],
  ];
  for (const [a, b, want] of cases) assert.equal(jsonEqual(a, b), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
});

test('ownValue ignores inherited properties and setOwn never changes a prototype', () => {
  const o: Record<string, unknown> = {};
  assert.equal(ownValue(o, 'toString'), undefined);
  assert.equal(ownValue(o, '__proto__'), undefined);
  setOwn(o, '__proto__', { polluted: true });
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(ownValue(o, '__proto__'), { polluted: true });
});
