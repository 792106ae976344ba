// Token locations: Istio's defaults, configured headers with and without a prefix, query
// parameters (URL-decoded), cookies, repeated values, and one entry per distinct token.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractTokens, locationKey, ruleLocations } from './jwt-extract';
import { request, rule } from './jwt-test-support';

test('a rule without locations reads Authorization: Bearer and access_token', () => {
  const locs = ruleLocations(rule());
  assert.deepEqual(locs, [{ kind: 'header', name: 'authorization', prefix: 'Bearer ' }, { kind: 'param', name: 'access_token' }]);
  const found = extractTokens(locs, request({ authorization: 'Bearer  aaa.bbb.ccc ' }, 'x=1&access_token=ddd'));
  assert.deepEqual(found.map((f) => f.token), ['aaa.bbb.ccc', 'ddd']);
  assert.deepEqual(found[0]?.headers, ['authorization']);
  assert.deepEqual(found[1]?.headers, []);
});

test('configured locations replace the defaults', () => {
  const locs = ruleLocations(rule({ fromHeaders: [{ name: 'X-Jwt', prefix: 'Token ' }, { name: 'x-raw', prefix: '' }], fromParams: ['t'], fromCookies: ['sid'] }));
  assert.deepEqual(locs.map(locationKey), ['header\u0000x-jwt\u0000Token ', 'header\u0000x-raw\u0000', 'param\u0000t', 'cookie\u0000sid']);
  const req = request({
    authorization: 'Bearer ignored',
    'x-jwt': ['Token one', 'Other two', 'Token'],
    'x-raw': 'three',
    cookie: ['a=b; sid="four"', 'sid=five;other=x'],
  }, 'access_token=ignored&t=six%2Eseven&t=');
  assert.deepEqual(extractTokens(locs, req).map((f) => f.token), ['one', 'three', 'six.seven', 'four', 'five']);
});

test('the same token at two locations is one entry naming both', () => {
  const locs = ruleLocations(rule());
  const found = extractTokens(locs, request({ authorization: ['Bearer t1', 'Bearer t1'] }, 'access_token=t1'));
  assert.equal(found.length, 1);
  assert.deepEqual(found[0]?.locations, [locationKey(locs[0]!), locationKey(locs[1]!)]);
});

test('no token anywhere → nothing found', () => {
  assert.deepEqual(extractTokens(ruleLocations(rule()), request({ authorization: 'Basic abc' }, 'access_token=')), []);
});
