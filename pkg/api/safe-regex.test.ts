// Tests of the admission of configured regexes: what compiles and is free of backreferences and
// lookaround is accepted; everything else is refused with the reason and where.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_REGEX_LENGTH, regexProblem } from './safe-regex';

describe('regexProblem', () => {
  it('accepts ordinary patterns, including look-alikes that are not lookaround or backreferences', () => {
    for (const ok of [
      '/api/v[0-9]+/.*', '(?:a|b)+', '(?<id>[0-9]+)', '\\(?=', '[(?=)]', '[\\]\\1(?!]x', '\\\\1', 'a\\0', 'x'.repeat(MAX_REGEX_LENGTH),
    ]) {
      assert.equal(regexProblem(ok), undefined, ok);
    }
  });

  it('names the refused feature and its offset', () => {
    assert.match(regexProblem('a(?=b)')!, /^regex uses a lookahead \(\(\?=\.\.\.\) at offset 1\)/);
    assert.match(regexProblem('a(?!b)')!, /negative lookahead/);
    assert.match(regexProblem('(?<=a)b')!, /^regex uses a lookbehind/);
    assert.match(regexProblem('(?<!a)b')!, /negative lookbehind/);
    assert.match(regexProblem('(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10')!, /a backreference \(\\10 at offset 30\)/);
    assert.match(regexProblem('(?<n>a)\\k<n>')!, /a named backreference/);
    assert.match(regexProblem('[a](?=x)')!, /lookahead/);
  });

  it('refuses empty, oversized and non-compiling patterns', () => {
    assert.equal(regexProblem(''), 'empty regex');
    assert.equal(regexProblem('x'.repeat(MAX_REGEX_LENGTH + 1)), `regex of ${MAX_REGEX_LENGTH + 1} characters (max ${MAX_REGEX_LENGTH})`);
    assert.match(regexProblem('a(')!, /^regex does not compile \(/);
    assert.match(regexProblem('(?i)abc')!, /^regex does not compile/);
  });
});
