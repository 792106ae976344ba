// normalizePath: every mode over the bypass catalogue (hardening.md §1A #1–#6, #9), escapes,
// dot segments at the root, refusals, long paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PATH_NORMALIZATIONS, type PathNormalization } from '../../pkg/api/waypoint-security-types';
import { normalizePath } from './normalize-path';

/** Expected path per mode (NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES); null = refused. */
type Row = readonly [raw: string, none: string | null, base: string | null, merge: string | null, decode: string | null];

const rows: readonly Row[] = [
  // #1 doubled slashes
  ['//admin', '//admin', '//admin', '/admin', '/admin'],
  ['/admin//x///y', '/admin//x///y', '/admin//x///y', '/admin/x/y', '/admin/x/y'],
  // #2 encoded slash / backslash
  ['/a%2Fadmin', '/a%2Fadmin', '/a%2Fadmin', '/a%2Fadmin', '/a/admin'],
  ['/%2fadmin', '/%2fadmin', '/%2Fadmin', '/%2Fadmin', '/admin'],
  ['/%5Cadmin', '/%5Cadmin', '/%5Cadmin', '/%5Cadmin', '/admin'],
  ['/%5cadmin', '/%5cadmin', '/%5Cadmin', '/%5Cadmin', '/admin'],
  ['/a/..%2fadmin', '/a/..%2fadmin', '/a/..%2Fadmin', '/a/..%2Fadmin', '/admin'],
  // #3 dot segments
  ['/public/../admin', '/public/../admin', '/admin', '/admin', '/admin'],
  ['/./admin', '/./admin', '/admin', '/admin', '/admin'],
  ['/a/./b', '/a/./b', '/a/b', '/a/b', '/a/b'],
  ['/a/b/../../c', '/a/b/../../c', '/c', '/c', '/c'],
  ['/a//../b', '/a//../b', '/a/b', '/a/b', '/a/b'],
  ['/%2e%2e/admin', '/%2e%2e/admin', '/admin', '/admin', '/admin'],
  ['/%2E./admin', '/%2E./admin', '/admin', '/admin', '/admin'],
  ['/x/.%2e/admin', '/x/.%2e/admin', '/admin', '/admin', '/admin'],
  ['/...', '/...', '/...', '/...', '/...'],
  ['/a..b/.c', '/a..b/.c', '/a..b/.c', '/a..b/.c', '/a..b/.c'],
  // dot segments never climb above the root
  ['/..', '/..', '/', '/', '/'],
  ['/../../admin', '/../../admin', '/admin', '/admin', '/admin'],
  ['/a/..', '/a/..', '/', '/', '/'],
  ['/a/.', '/a/.', '/a/', '/a/', '/a/'],
  ['/a/b/..', '/a/b/..', '/a/', '/a/', '/a/'],
  // #4 backslash as a separator
  ['/\\admin', '/\\admin', '//admin', '/admin', '/admin'],
  ['/a\\..\\admin', '/a\\..\\admin', '/admin', '/admin', '/admin'],
  ['\\admin', null, null, null, null],
  // trailing slash is kept
  ['/admin/', '/admin/', '/admin/', '/admin/', '/admin/'],
  ['/', '/', '/', '/', '/'],
  // unreserved escapes decoded, others' hex upper-cased (mixed case), invalid ones left as they are
  ['/%61dmin', '/%61dmin', '/admin', '/admin', '/admin'],
  ['/%41%7e%7E%2d%5f%30', '/%41%7e%7E%2d%5f%30', '/A~~-_0', '/A~~-_0', '/A~~-_0'],
  ['/caf%c3%a9', '/caf%c3%a9', '/caf%C3%A9', '/caf%C3%A9', '/caf%C3%A9'],
  ['/a%3fb%23c', '/a%3fb%23c', '/a%3Fb%23c', '/a%3Fb%23c', '/a%3Fb%23c'],
  ['/%zz/%2/%', '/%zz/%2/%', '/%zz/%2/%', '/%zz/%2/%', '/%zz/%2/%'],
  // decoding happens once
  ['/%252F', '/%252F', '/%252F', '/%252F', '/%252F'],
  ['/%25%32%46admin', '/%25%32%46admin', '/%252Fadmin', '/%252Fadmin', '/%252Fadmin'],
  // #9 case is kept (matching is case-sensitive)
  ['/ADMIN', '/ADMIN', '/ADMIN', '/ADMIN', '/ADMIN'],
  // refusals: not origin-form, control characters, encoded NUL
  ['', null, null, null, null],
  ['*', null, null, null, null],
  ['admin', null, null, null, null],
  ['/a\u0000b', null, null, null, null],
  ['/a\nb', null, null, null, null],
  ['/a\u007fb', null, null, null, null],
  ['/a%00b', null, null, null, null],
  ['/a%0ab', '/a%0ab', '/a%0Ab', '/a%0Ab', null],
  ['/a%1Fb', '/a%1Fb', '/a%1Fb', '/a%1Fb', null],
  ['/a%7fb', '/a%7fb', '/a%7Fb', '/a%7Fb', null],
];

for (const [raw, ...expected] of rows) {
  PATH_NORMALIZATIONS.forEach((mode: PathNormalization, i: number) => {
    const want = expected[i];
    test(`${mode}: ${JSON.stringify(raw)} → ${want === null ? 'refused' : JSON.stringify(want)}`, () => {
      const r = normalizePath(raw, mode);
      if (want === null) {
        assert.equal(r.ok, false);
        if (!r.ok) assert.ok(r.why.length > 0);
      } else {
        assert.deepEqual(r, { ok: true, path: want });
      }
    });
  });
}

test('refusals say why', () => {
  assert.deepEqual(normalizePath('admin', 'BASE'), { ok: false, why: 'the path must start with "/"' });
  assert.deepEqual(normalizePath('/a%00', 'NONE'), { ok: false, why: 'the path contains an encoded NUL (%00)' });
  assert.deepEqual(normalizePath('/a%0d', 'DECODE_AND_MERGE_SLASHES'), { ok: false, why: 'the path contains an encoded control character' });
});

test('normalization is idempotent on its own output', () => {
  for (const [raw] of rows) {
    for (const mode of PATH_NORMALIZATIONS) {
      const once = normalizePath(raw, mode);
      if (!once.ok) continue;
      assert.deepEqual(normalizePath(once.path, mode), once, `${mode} ${raw}`);
    }
  }
});

test('long paths: deep dot segments and long slash runs', () => {
  const deep = `/${'a/'.repeat(20_000)}${'../'.repeat(19_999)}admin`;
  assert.deepEqual(normalizePath(deep, 'BASE'), { ok: true, path: '/a/admin' });
  const climb = `/${'../'.repeat(50_000)}admin`;
  assert.deepEqual(normalizePath(climb, 'MERGE_SLASHES'), { ok: true, path: '/admin' });
  const slashes = `${'/'.repeat(100_000)}admin${'%2F'.repeat(10_000)}x`;
  assert.deepEqual(normalizePath(slashes, 'DECODE_AND_MERGE_SLASHES'), { ok: true, path: '/admin/x' });
  const long = `/${'segment/'.repeat(10_000)}`;
  assert.deepEqual(normalizePath(long, 'DECODE_AND_MERGE_SLASHES'), { ok: true, path: long });
});
