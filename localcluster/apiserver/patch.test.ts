// Tests for JSON merge patch (RFC 7386) and JSON patch (RFC 6902) as the API server applies them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors';
import { applyJsonPatch, applyMergePatch } from './patch';

const deepFreeze = <T>(v: T): T => {
  if (typeof v === 'object' && v !== null) {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
};

const rejects = (fn: () => unknown, code: number, ...fragments: string[]): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const f of fragments) assert.ok(err.message.includes(f), `"${err.message}" should mention "${f}"`);
    return true;
  });
};

test('merge patch follows RFC 7386 (appendix A examples and more)', () => {
  const cases: Array<[string, unknown, unknown, unknown]> = [
    ['replace a value', { a: 'b' }, { a: 'c' }, { a: 'c' }],
    ['add a key', { a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    ['null deletes', { a: 'b' }, { a: null }, {}],
    ['null deletes one of two', { a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    ['array replaces', { a: ['b'] }, { a: 'c' }, { a: 'c' }],
    ['value replaced by array', { a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    ['nested merge with delete', { a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    ['arrays are replaced, not merged', { a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    ['array target', ['a', 'b'], ['c', 'd'], ['c', 'd']],
    ['object replaces array target', { a: 'b' }, ['c'], ['c']],
    ['null patch replaces document', { a: 'foo' }, null, null],
    ['string patch replaces document', { a: 'foo' }, 'bar', 'bar'],
    ['nulls already in the target are kept', { e: null }, { a: 1 }, { e: null, a: 1 }],
    ['non-object target becomes object', ['c'], { a: 'b' }, { a: 'b' }],
    ['deep new object drops nulls', {}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ['labels: add one, remove one', { metadata: { labels: { app: 'web', tier: 'fe' } } },
      { metadata: { labels: { tier: null, version: 'v2' } } }, { metadata: { labels: { app: 'web', version: 'v2' } } }],
    ['undefined target', undefined, { a: 1 }, { a: 1 }],
  ];
  for (const [name, target, patch, want] of cases) {
    deepFreeze(target);
    deepFreeze(patch);
    assert.deepEqual(applyMergePatch(target, patch), want, name);
  }
});

test('merge patch never shares structure with its inputs', () => {
  const target = { spec: { a: { x: 1 } } };
  const patch = { spec: { b: { y: 2 } } };
  const out = applyMergePatch(target, patch) as { spec: { a: { x: number }; b: { y: number } } };
  out.spec.a.x = 99;
  out.spec.b.y = 99;
  assert.deepEqual(target, { spec: { a: { x: 1 } } });
  assert.deepEqual(patch, { spec: { b: { y: 2 } } });
});

test('merge patch treats __proto__ as an ordinary key', () => {
  const patch = JSON.parse('{"metadata":{"__proto__":{"polluted":true}}}') as unknown;
  const out = applyMergePatch({ metadata: {} }, patch) as { metadata: Record<string, unknown> };
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(out.metadata), Object.prototype);
  assert.deepEqual(Object.keys(out.metadata), ['__proto__']);
});

test('JSON patch applies RFC 6902 operations', () => {
  const cases: Array<[string, unknown, unknown[], unknown]> = [
    ['add object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { foo: 'bar', baz: 'qux' }],
    ['add array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['append with -', { foo: [1] }, [{ op: 'add', path: '/foo/-', value: 2 }], { foo: [1, 2] }],
    ['add at end index', { foo: [1] }, [{ op: 'add', path: '/foo/1', value: 2 }], { foo: [1, 2] }],
    ['add replaces existing member', { a: 1 }, [{ op: 'add', path: '/a', value: 2 }], { a: 2 }],
    ['add null value', {}, [{ op: 'add', path: '/a', value: null }], { a: null }],
    ['add whole document', { a: 1 }, [{ op: 'add', path: '', value: [1] }], [1]],
    ['remove member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['remove element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['replace member', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    ['replace element', { a: [1, 2] }, [{ op: 'replace', path: '/a/0', value: 9 }], { a: [9, 2] }],
    ['replace document', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
    ['move member', { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } }],
    ['move element', { foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] }],
    ['move onto itself', { a: 1 }, [{ op: 'move', from: '/a', path: '/a' }], { a: 1 }],
    ['copy', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
    ['test passes', { baz: 'qux', foo: ['a', 2, 'c'] },
      [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }], { baz: 'qux', foo: ['a', 2, 'c'] }],
    ['test deep equality ignores key order', { a: { x: 1, y: [1, { z: 2 }] } },
      [{ op: 'test', path: '/a', value: { y: [1, { z: 2 }], x: 1 } }], { a: { x: 1, y: [1, { z: 2 }] } }],
    ['escapes ~0 and ~1', { 'a/b': 1, 'm~n': 2 },
      [{ op: 'replace', path: '/a~1b', value: 3 }, { op: 'remove', path: '/m~0n' }], { 'a/b': 3 }],
    ['label key with slash', { metadata: { labels: {} } },
      [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'web' }],
      { metadata: { labels: { 'app.kubernetes.io/name': 'web' } } }],
    ['empty key', { '': 1 }, [{ op: 'replace', path: '/', value: 2 }], { '': 2 }],
    ['empty op list', { a: 1 }, [], { a: 1 }],
  ];
  for (const [name, doc, ops, want] of cases) {
    deepFreeze(doc);
    deepFreeze(ops);
    assert.deepEqual(applyJsonPatch(doc, ops), want, name);
  }
});

test('JSON patch that cannot be applied is a 422 naming the op and path, and changes nothing', () => {
  const doc = deepFreeze({ a: { b: 1 }, list: [1, 2], s: 'x' });
  const cases: Array<[string, unknown[], string[]]> = [
    ['failing test', [{ op: 'add', path: '/z', value: 1 }, { op: 'test', path: '/a/b', value: 2 }], ['operation 1', '/a/b', 'test failed']],
    ['remove missing member', [{ op: 'remove', path: '/nope' }], ['operation 0', '/nope', 'not found']],
    ['replace missing member', [{ op: 'replace', path: '/a/c', value: 1 }], ['/a/c']],
    ['add under missing parent', [{ op: 'add', path: '/x/y', value: 1 }], ['/x/y']],
    ['add under a string', [{ op: 'add', path: '/s/y', value: 1 }], ['/s/y']],
    ['index out of range', [{ op: 'add', path: '/list/5', value: 1 }], ['/list/5', 'out of bounds']],
    ['remove past end', [{ op: 'remove', path: '/list/2' }], ['/list/2']],
    ['leading zero index', [{ op: 'replace', path: '/list/01', value: 1 }], ['/list/01']],
    ['- outside add', [{ op: 'remove', path: '/list/-' }], ['/list/-']],
    ['move into own child', [{ op: 'move', from: '/a', path: '/a/b/c' }], ['into itself']],
    ['copy from missing', [{ op: 'copy', from: '/missing', path: '/b' }], ['operation 0']],
    ['remove whole document', [{ op: 'remove', path: '' }], ['operation 0']],
    ['inherited key is not a member', [{ op: 'remove', path: '/toString' }], ['/toString']],
  ];
  for (const [name, ops, fragments] of cases) {
    rejects(() => applyJsonPatch(doc, ops), 422, ...fragments);
    assert.deepEqual(doc, { a: { b: 1 }, list: [1, 2], s: 'x' }, name);
  }
});

test('JSON patch that cannot be parsed is a 400 naming the op', () => {
  const cases: Array<[string, unknown, string[]]> = [
    ['not a list', { op: 'add' }, ['array']],
    ['op not an object', ['add'], ['operation 0']],
    ['unknown op', [{ op: 'merge', path: '/a' }], ['operation 0', 'merge']],
    ['missing op', [{ path: '/a' }], ['"op"']],
    ['missing path', [{ op: 'remove' }], ['"path"']],
    ['pointer without slash', [{ op: 'remove', path: 'a' }], ['invalid JSON pointer']],
    ['bad escape', [{ op: 'remove', path: '/a~2' }], ['invalid JSON pointer']],
    ['trailing tilde', [{ op: 'remove', path: '/a~' }], ['invalid JSON pointer']],
    ['missing value', [{ op: 'test', path: '/a', value: 1 }, { op: 'add', path: '/a' }], ['operation 1', '"value"']],
    ['missing from', [{ op: 'copy', path: '/a' }], ['"from"']],
  ];
  for (const [, ops, fragments] of cases) rejects(() => applyJsonPatch({ a: 1 }, ops), 400, ...fragments);
});

test('JSON patch with too many operations is refused', () => {
  const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '', value: {} }));
  rejects(() => applyJsonPatch({}, ops), 413, '10000');
});
