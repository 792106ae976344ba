// Header mutation (remove → set → add, protected headers), Gateway API ReplacePrefixMatch and
// ReplaceFullPath rewrites, and RequestRedirect Location building.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderMutation, PathMatch, PathModifier, Redirect, RouteMatch } from '../../pkg/api/waypoint-types';
import { applyHeaderMutation, redirectLocation, rewritePath, type HeaderBag } from './filters';

function mutation(parts: Partial<HeaderMutation>): HeaderMutation {
  return { set: [], add: [], remove: [], ...parts };
}

function pathMatch(path?: PathMatch): RouteMatch {
  return { headers: [], queryParams: [], ...(path ? { path } : {}) };
}

test('set replaces, add appends, remove deletes', () => {
  const h: HeaderBag = { 'x-a': 'old', 'x-b': 'one', 'x-c': ['1', '2'], 'x-gone': 'bye' };
  applyHeaderMutation(h, mutation({
    set: [{ name: 'x-a', value: 'new' }, { name: 'x-new', value: 'v' }],
    add: [{ name: 'x-b', value: 'two' }, { name: 'x-c', value: '3' }, { name: 'x-d', value: 'd' }],
    remove: ['x-gone', 'x-missing'],
  }));
  assert.deepEqual(h, { 'x-a': 'new', 'x-new': 'v', 'x-b': ['one', 'two'], 'x-c': ['1', '2', '3'], 'x-d': 'd' });
});

test('remove runs before set and add (Envoy order)', () => {
  const h: HeaderBag = { 'x-a': 'old' };
  applyHeaderMutation(h, mutation({ remove: ['x-a'], add: [{ name: 'x-a', value: 'added' }] }));
  assert.deepEqual(h, { 'x-a': 'added' });
});

test('add never mutates an array it did not create', () => {
  const shared = ['1'];
  const h: HeaderBag = { 'x-c': shared };
  applyHeaderMutation(h, mutation({ add: [{ name: 'x-c', value: '2' }] }));
  assert.deepEqual(shared, ['1']);
  assert.deepEqual(h['x-c'], ['1', '2']);
});

test('pseudo-headers and hop-by-hop headers are protected', () => {
  const h: HeaderBag = { ':path': '/x', ':authority': 'a', host: 'a', connection: 'keep-alive' };
  applyHeaderMutation(h, mutation({
    set: [{ name: ':path', value: '/evil' }, { name: 'connection', value: 'close' }, { name: 'transfer-encoding', value: 'chunked' }],
    add: [{ name: ':authority', value: 'b' }, { name: 'upgrade', value: 'h2c' }, { name: 'te', value: 'trailers' }, { name: 'keep-alive', value: '1' }],
    remove: [':path', 'host'],
  }));
  assert.deepEqual(h, { ':path': '/x', ':authority': 'a', host: 'a', connection: 'keep-alive' });
});

test('undefined mutation changes nothing', () => {
  const h: HeaderBag = { a: '1' };
  applyHeaderMutation(h, undefined);
  assert.deepEqual(h, { a: '1' });
});

const prefix = (value: string): PathModifier => ({ kind: 'prefix', value });
const full = (value: string): PathModifier => ({ kind: 'full', value });

const rewriteCases: { match?: PathMatch; path: string; query?: string; mod: PathModifier; want: string }[] = [
  // Gateway API ReplacePrefixMatch table.
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/bar', mod: prefix('/xyz'), want: '/xyz/bar' },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/bar', mod: prefix('/xyz/'), want: '/xyz/bar' },
  { match: { kind: 'prefix', value: '/foo/' }, path: '/foo/bar', mod: prefix('/xyz'), want: '/xyz/bar' },
  { match: { kind: 'prefix', value: '/foo/' }, path: '/foo/bar', mod: prefix('/xyz/'), want: '/xyz/bar' },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo', mod: prefix('/xyz'), want: '/xyz' },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/', mod: prefix('/xyz'), want: '/xyz/' },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/bar', mod: prefix(''), want: '/bar' },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/bar', mod: prefix('/'), want: '/bar' },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo', mod: prefix('/'), want: '/' },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/', mod: prefix(''), want: '/' },
  { match: { kind: 'prefix', value: '/strip-prefix' }, path: '/strip-prefix/three', mod: prefix('/'), want: '/three' },
  // '/' prefix: segment-aware, unlike Envoy's plain prefix_rewrite ('/v2rest').
  { match: { kind: 'prefix', value: '/' }, path: '/rest', mod: prefix('/v2'), want: '/v2/rest' },
  { match: undefined, path: '/rest', mod: prefix('/v2'), want: '/v2/rest' },
  { match: { kind: 'prefix', value: '/' }, path: '/', mod: prefix('/v2'), want: '/v2/' },
  // Exact or regex match: the whole path is the matched "prefix" (VirtualService rewrite.uri).
  { match: { kind: 'exact', value: '/old' }, path: '/old', mod: prefix('/new'), want: '/new' },
  { match: { kind: 'regex', value: '/o.d' }, path: '/old', mod: prefix('/new'), want: '/new' },
  // Full path replacement; query kept.
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/bar', mod: full('/one'), want: '/one' },
  { match: { kind: 'prefix', value: '/foo' }, path: '/foo/bar', query: 'a=1&b=2', mod: prefix('/x'), want: '/x/bar?a=1&b=2' },
  { match: undefined, path: '/a', query: 'q', mod: full('/b'), want: '/b?q' },
  { match: undefined, path: '/a', mod: full(''), want: '/' },
];

for (const c of rewriteCases) {
  test(`rewrite ${c.mod.kind} ${JSON.stringify(c.mod.value)} of ${c.path} matched by ${c.match ? `${c.match.kind} ${c.match.value}` : 'nothing'} → ${c.want}`, () => {
    assert.equal(rewritePath(c.path, c.query ?? '', c.match ? pathMatch(c.match) : undefined, c.mod), c.want);
  });
}

type RedirectReq = Parameters<typeof redirectLocation>[0];
const base: RedirectReq = { scheme: 'http', host: 'reviews.shop', port: 9080, path: '/a/b', query: 'x=1' };
const redirectCases: { name: string; req?: Partial<RedirectReq>; match?: PathMatch; r: Omit<Redirect, 'statusCode'>; want: string }[] = [
  { name: 'nothing changed keeps everything', r: {}, want: 'http://reviews.shop:9080/a/b?x=1' },
  { name: 'scheme https drops to its default port', r: { scheme: 'https' }, want: 'https://reviews.shop/a/b?x=1' },
  { name: 'scheme https with an explicit port', r: { scheme: 'https', port: 8443 }, want: 'https://reviews.shop:8443/a/b?x=1' },
  { name: 'hostname only keeps the request port', r: { hostname: 'other.shop' }, want: 'http://other.shop:9080/a/b?x=1' },
  { name: 'request on port 80 shows no port', req: { port: 80 }, r: { hostname: 'x' }, want: 'http://x/a/b?x=1' },
  { name: 'request without a port', req: { port: undefined }, r: {}, want: 'http://reviews.shop/a/b?x=1' },
  { name: 'port 80 given explicitly is still omitted for http', r: { port: 80 }, want: 'http://reviews.shop/a/b?x=1' },
  { name: 'full path', r: { path: full('/new') }, want: 'http://reviews.shop:9080/new?x=1' },
  { name: 'prefix path', match: { kind: 'prefix', value: '/a' }, r: { path: prefix('/z') }, want: 'http://reviews.shop:9080/z/b?x=1' },
  { name: 'no query', req: { query: '' }, r: { scheme: 'https' }, want: 'https://reviews.shop/a/b' },
  { name: 'IPv6 host in brackets', req: { host: 'fd00::1' }, r: {}, want: 'http://[fd00::1]:9080/a/b?x=1' },
];

for (const c of redirectCases) {
  test(`redirect: ${c.name}`, () => {
    const loc = redirectLocation({ ...base, ...c.req }, c.match ? pathMatch(c.match) : undefined, { statusCode: 302, ...c.r });
    assert.equal(loc, c.want);
  });
}
