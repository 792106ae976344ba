// Tests of Istio path templates: which templates parse (and why the others do not) and which paths
// a parsed template matches.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPathTemplate, matchPathTemplate, parsePathTemplate, type TemplateSegment } from './path-template';

function parsed(template: string): readonly TemplateSegment[] {
  const r = parsePathTemplate(template);
  assert.ok(r.ok, `${template}: ${r.ok ? '' : r.why}`);
  return r.segments;
}

describe('path templates', () => {
  it('recognises a template by its brace', () => {
    assert.equal(isPathTemplate('/a/{*}'), true);
    assert.equal(isPathTemplate('/a/*'), false);
    assert.equal(isPathTemplate('/a/b'), false);
  });

  it('parses whole-segment wildcards into segments', () => {
    assert.deepEqual(parsed('/a/{*}/c/{**}'), [
      { kind: 'literal', text: 'a' }, { kind: 'one' }, { kind: 'literal', text: 'c' }, { kind: 'rest' },
    ]);
    assert.deepEqual(parsed('/{**}'), [{ kind: 'rest' }]);
    assert.deepEqual(parsed('/'), [{ kind: 'literal', text: '' }]);
    assert.deepEqual(parsed('/a/{*}/'), [{ kind: 'literal', text: 'a' }, { kind: 'one' }, { kind: 'literal', text: '' }]);
    assert.deepEqual(parsed("/v1/%2F/a-b._~!$&'()+,;:@="), [{ kind: 'literal', text: 'v1' }, { kind: 'literal', text: '%2F' },
      { kind: 'literal', text: "a-b._~!$&'()+,;:@=" }]);
  });

  const refusals: readonly (readonly [string, RegExp])[] = [
    ['a/{*}', /does not start with "\/"/],
    ['', /does not start with "\/"/],
    ['/a/{**}/b', /\{\*\*\} must be the last segment/],
    ['/{**}/{*}', /\{\*\*\} must be the last segment/],
    ['/a/{**}/', /\{\*\*\} must be the last segment/],
    ['/a/x{*}', /segment "x\{\*\}" has a brace outside a whole/],
    ['/a/{*}.txt', /has a brace outside/],
    ['/a/{id}', /has a brace outside/],
    ['/a/}', /has a brace outside/],
    ['/a/{***}', /has a brace outside/],
    ['/a/*/{*}', /segment "\*" mixes a "\*" wildcard with a template/],
    ['/a*/{**}', /mixes a "\*" wildcard/],
    ['/a//{*}', /has an empty segment/],
    ['/a b/{*}', /segment "a b" has a character not allowed in a path/],
    ['/a?x/{*}', /not allowed in a path/],
  ];
  for (const [template, why] of refusals) {
    it(`refuses ${JSON.stringify(template)}`, () => {
      const r = parsePathTemplate(template);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.why, why);
    });
  }

  const table: readonly (readonly [string, string, boolean])[] = [
    ['/a/{*}', '/a/b', true],
    ['/a/{*}', '/a/b/c', false],
    ['/a/{*}', '/a/', false],
    ['/a/{*}', '/a', false],
    ['/a/{*}', '/A/b', false],
    ['/a/{**}', '/a/', true],
    ['/a/{**}', '/a/b/c', true],
    ['/a/{**}', '/a/b/c/', true],
    ['/a/{**}', '/a', false],
    ['/a/{**}', '/ab/c', false],
    ['/a/{*}/c', '/a/b/c', true],
    ['/a/{*}/c', '/a//c', false],
    ['/a/{*}/c', '/a/b/c/d', false],
    ['/a/{*}/c', '/a/b/C', false],
    ['/a/{*}/c/{**}', '/a/b/c/d/e', true],
    ['/a/{*}/c/{**}', '/a/b/c', false],
    ['/{*}', '/x', true],
    ['/{*}', '/', false],
    ['/{**}', '/', true],
    ['/{**}', '', false],
    ['/a/{*}/', '/a/b/', true],
    ['/a/{*}/', '/a/b', false],
    ['/', '/', true],
    ['/', '/a', false],
  ];
  for (const [template, path, expected] of table) {
    it(`${template} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(path)}`, () => {
      assert.equal(matchPathTemplate(parsed(template), path), expected);
    });
  }
});
