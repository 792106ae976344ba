// selectRoute: Gateway API path semantics (exact, segment prefix, anchored regex), headers,
// query parameters, method, inverted matches, route order, and invalid regexes failing closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PathMatch, Route, RouteMatch, ValueMatch } from '../../pkg/api/waypoint-types';
import { selectRoute, type RequestView } from './match';
import { queryParam } from './query';

function route(name: string, matches: RouteMatch[]): Route {
  return { name, matches, mirrors: [], backends: [{ backend: 'b', weight: 1 }] };
}

function m(parts: { path?: PathMatch; headers?: ValueMatch[]; queryParams?: ValueMatch[]; method?: string }): RouteMatch {
  return { headers: [], queryParams: [], ...parts };
}

function v(name: string, kind: ValueMatch['kind'], value = '', invert = false): ValueMatch {
  return { name, kind, value, invert };
}

function req(path: string, opts: { method?: string; query?: string; headers?: Record<string, string> } = {}): RequestView {
  const headers = opts.headers ?? {};
  return { method: opts.method ?? 'GET', path, query: opts.query ?? '', header: (n) => headers[n] };
}

const pathCases: { match: PathMatch; path: string; hit: boolean }[] = [
  { match: { kind: 'exact', value: '/foo' }, path: '/foo', hit: true },
  { match: { kind: 'exact', value: '/foo' }, path: '/foo/', hit: false },
  { match: { kind: 'exact', value: '/foo' }, path: '/FOO', hit: false },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo', hit: true },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/', hit: true },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/bar', hit: true },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foobar', hit: false },
  { match: { kind: 'prefix', value: '/foo/' }, path: '/foo', hit: true },
  { match: { kind: 'prefix', value: '/foo/' }, path: '/foo/bar', hit: true },
  { match: { kind: 'prefix', value: '/foo/' }, path: '/foobar', hit: false },
  { match: { kind: 'prefix', value: '/' }, path: '/', hit: true },
  { match: { kind: 'prefix', value: '/' }, path: '/anything/at/all', hit: true },
  { match: { kind: 'prefix', value: '/api/v1' }, path: '/api/v10', hit: false },
  { match: { kind: 'regex', value: '/users/[0-9]+' }, path: '/users/42', hit: true },
  { match: { kind: 'regex', value: '/users/[0-9]+' }, path: '/users/42/x', hit: false },
  { match: { kind: 'regex', value: '/users/[0-9]+' }, path: '/x/users/42', hit: false },
  { match: { kind: 'regex', value: '/a|/b' }, path: '/b', hit: true },
  { match: { kind: 'regex', value: '/a|/b' }, path: '/ab', hit: false },
  { match: { kind: 'regex', value: '/api/\\d{3}' }, path: '/api/123', hit: true },
];

for (const c of pathCases) {
  test(`path ${c.match.kind} ${JSON.stringify(c.match.value)} vs ${c.path}: ${c.hit ? 'hit' : 'miss'}`, () => {
    const r = route('r', [m({ path: c.match })]);
    assert.equal(selectRoute([r], req(c.path))?.route, c.hit ? r : undefined);
  });
}

const headerCases: { name: string; match: ValueMatch; headers: Record<string, string>; hit: boolean }[] = [
  { name: 'exact hit', match: v('x-user', 'exact', 'jason'), headers: { 'x-user': 'jason' }, hit: true },
  { name: 'exact is case-sensitive on the value', match: v('x-user', 'exact', 'jason'), headers: { 'x-user': 'Jason' }, hit: false },
  { name: 'exact on absent header', match: v('x-user', 'exact', 'jason'), headers: {}, hit: false },
  { name: 'joined repeated values are one value', match: v('x-role', 'exact', 'admin'), headers: { 'x-role': 'user,admin' }, hit: false },
  { name: 'prefix', match: v('user-agent', 'prefix', 'curl/'), headers: { 'user-agent': 'curl/8.1' }, hit: true },
  { name: 'prefix miss', match: v('user-agent', 'prefix', 'curl/'), headers: { 'user-agent': 'wget' }, hit: false },
  { name: 'regex is anchored', match: v('x-v', 'regex', 'v[12]'), headers: { 'x-v': 'v1' }, hit: true },
  { name: 'regex must match the whole value', match: v('x-v', 'regex', 'v[12]'), headers: { 'x-v': 'xv1' }, hit: false },
  { name: 'present', match: v('x-debug', 'present'), headers: { 'x-debug': '' }, hit: true },
  { name: 'present on absent', match: v('x-debug', 'present'), headers: {}, hit: false },
  { name: 'inverted exact, other value', match: v('x-user', 'exact', 'bot', true), headers: { 'x-user': 'jason' }, hit: true },
  { name: 'inverted exact, same value', match: v('x-user', 'exact', 'bot', true), headers: { 'x-user': 'bot' }, hit: false },
  { name: 'inverted exact, absent header', match: v('x-user', 'exact', 'bot', true), headers: {}, hit: true },
  { name: 'inverted present, absent header', match: v('x-debug', 'present', '', true), headers: {}, hit: true },
  { name: 'invalid regex never matches', match: v('x-v', 'regex', '(unclosed'), headers: { 'x-v': '(unclosed' }, hit: false },
  { name: 'invalid regex never matches, even inverted', match: v('x-v', 'regex', '(unclosed', true), headers: {}, hit: false },
];

for (const c of headerCases) {
  test(`header ${c.name}: ${c.hit ? 'hit' : 'miss'}`, () => {
    const r = route('r', [m({ headers: [c.match] })]);
    assert.equal(selectRoute([r], req('/', { headers: c.headers }))?.route, c.hit ? r : undefined);
  });
}

const queryCases: { name: string; match: ValueMatch; query: string; hit: boolean }[] = [
  { name: 'exact', match: v('env', 'exact', 'canary'), query: 'a=1&env=canary', hit: true },
  { name: 'exact miss', match: v('env', 'exact', 'canary'), query: 'env=prod', hit: false },
  { name: 'first value counts', match: v('env', 'exact', 'canary'), query: 'env=prod&env=canary', hit: false },
  { name: 'decoded value', match: v('q', 'exact', 'a b/c'), query: 'q=a%20b%2Fc', hit: true },
  { name: "'+' is a space", match: v('q', 'exact', 'a b'), query: 'q=a+b', hit: true },
  { name: 'decoded name', match: v('my key', 'exact', '1'), query: 'my%20key=1', hit: true },
  { name: 'regex full match', match: v('id', 'regex', '[0-9]+'), query: 'id=123', hit: true },
  { name: 'regex anchored', match: v('id', 'regex', '[0-9]+'), query: 'id=123x', hit: false },
  { name: 'present without value', match: v('debug', 'present'), query: 'debug', hit: true },
  { name: 'present absent', match: v('debug', 'present'), query: 'debugging=1', hit: false },
  { name: 'empty query', match: v('env', 'exact', ''), query: '', hit: false },
  { name: 'malformed escape compared raw', match: v('q', 'exact', '%zz'), query: 'q=%zz', hit: true },
];

for (const c of queryCases) {
  test(`query ${c.name}: ${c.hit ? 'hit' : 'miss'}`, () => {
    const r = route('r', [m({ queryParams: [c.match] })]);
    assert.equal(selectRoute([r], req('/', { query: c.query }))?.route, c.hit ? r : undefined);
  });
}

test('queryParam returns the first decoded value, "" for a bare name, undefined when absent', () => {
  assert.equal(queryParam('a=1&b=2&a=3', 'a'), '1');
  assert.equal(queryParam('a&b=2', 'a'), '');
  assert.equal(queryParam('a=&b=2', 'a'), '');
  assert.equal(queryParam('&&b=x%3Dy', 'b'), 'x=y');
  assert.equal(queryParam('ab=1', 'a'), undefined);
  assert.equal(queryParam('', 'a'), undefined);
});

test('method must be equal; all parts of a match must hold (AND)', () => {
  const r = route('r', [m({ method: 'POST', path: { kind: 'prefix', value: '/api' }, headers: [v('x-a', 'exact', '1')] })]);
  assert.equal(selectRoute([r], req('/api/x', { method: 'POST', headers: { 'x-a': '1' } }))?.route, r);
  assert.equal(selectRoute([r], req('/api/x', { method: 'GET', headers: { 'x-a': '1' } })), undefined);
  assert.equal(selectRoute([r], req('/api/x', { method: 'POST' })), undefined);
  assert.equal(selectRoute([r], req('/other', { method: 'POST', headers: { 'x-a': '1' } })), undefined);
});

test('any match of a route suffices (OR) and the selection names the one that hit', () => {
  const a = m({ path: { kind: 'exact', value: '/a' } });
  const b = m({ path: { kind: 'exact', value: '/b' } });
  const r = route('r', [a, b]);
  assert.equal(selectRoute([r], req('/b'))?.match, b);
  assert.equal(selectRoute([r], req('/a'))?.match, a);
});

test('routes are tried in order; a route without matches takes everything, with no match', () => {
  const jason = route('jason', [m({ headers: [v('end-user', 'exact', 'jason')] })]);
  const catchAll = route('all', []);
  const later = route('later', [m({ path: { kind: 'prefix', value: '/' } })]);
  const routes = [jason, catchAll, later];
  assert.equal(selectRoute(routes, req('/', { headers: { 'end-user': 'jason' } }))?.route, jason);
  const sel = selectRoute(routes, req('/x'));
  assert.equal(sel?.route, catchAll);
  assert.equal(sel?.match, undefined);
});

test('no routes, or none matching, select nothing', () => {
  assert.equal(selectRoute([], req('/')), undefined);
  assert.equal(selectRoute([route('r', [m({ path: { kind: 'exact', value: '/x' } })])], req('/y')), undefined);
});

test('an invalid regex only disables its own match; the route still matches by the other', () => {
  const bad = m({ path: { kind: 'regex', value: '[' } });
  const good = m({ path: { kind: 'exact', value: '/ok' } });
  const r = route('r', [bad, good]);
  assert.equal(selectRoute([r], req('/ok'))?.match, good);
  assert.equal(selectRoute([r], req('[')), undefined);
});

test('repeated lookups return the same selection object (no per-request allocation)', () => {
  const r = route('r', [m({ path: { kind: 'prefix', value: '/p' } })]);
  assert.equal(selectRoute([r], req('/p/1')), selectRoute([r], req('/p/2')));
});
