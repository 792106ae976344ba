import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertGrpcRoute } from './grpc-route';
import { convertHttpRoute } from './http-route';
import { parseDuration } from './route-forms';
import { DEFAULT_RETRY, type GatewayRouteSpec } from './types';

function route(spec: Record<string, unknown>, kind = 'HTTPRoute'): Record<string, unknown> {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: { namespace: 'shop', name: 'r' }, spec };
}
const parent = { group: '', kind: 'Service', name: 'reviews' };

function problems(spec: Record<string, unknown>): string[] {
  return convertHttpRoute(route(spec)).problems.map((p) => `${p.field}: ${p.reason}`);
}

function valid(spec: Record<string, unknown>, kind = 'HTTPRoute'): GatewayRouteSpec {
  const c = kind === 'HTTPRoute' ? convertHttpRoute(route(spec)) : convertGrpcRoute(route(spec, kind));
  assert.deepEqual(c.problems, []);
  assert.ok(c.spec);
  return c.spec;
}

test('durations: Gateway API and Istio forms become milliseconds', () => {
  const ms = (t: string): number | string => { const d = parseDuration(t); return 'ms' in d ? d.ms : d.error; };
  assert.equal(ms('1.5s'), 1500);
  assert.equal(ms('500ms'), 500);
  assert.equal(ms('1m30s'), 90_000);
  assert.equal(ms('1h'), 3_600_000);
  assert.equal(ms('0s'), 0);
  assert.equal(ms('100us'), 1);
  assert.match(String(ms('5')), /is not a duration/);
  assert.match(String(ms('-1s')), /is not a duration/);
  assert.match(String(ms('25h')), /longer than 24h/);
});

test('a rule without matches matches every path; Service parents only; weights default to 1', () => {
  const spec = valid({
    parentRefs: [parent, { name: 'some-gateway' }],
    rules: [{ backendRefs: [{ name: 'reviews-v1', port: 9080 }, { name: 'reviews-v2', port: 9080, weight: 0 }] }],
  });
  assert.equal(spec.parents.length, 1);
  assert.deepEqual(spec.parents[0]?.written, { group: '', kind: 'Service', name: 'reviews' });
  assert.equal(spec.parents[0]?.namespace, 'shop');
  const rule = spec.rules[0];
  assert.deepEqual(rule?.matches, [{ path: { kind: 'prefix', value: '/' }, headers: [], queryParams: [] }]);
  assert.deepEqual(rule?.backendRefs.map((b) => b.weight), [1, 0]);
  assert.deepEqual(rule?.retry, DEFAULT_RETRY);
});

test('headers: names lower-cased, a repeated name keeps the first entry', () => {
  const spec = valid({
    parentRefs: [parent],
    rules: [{ matches: [{ headers: [{ name: 'X-User', value: 'a' }, { name: 'x-user', value: 'b' }], queryParams: [{ type: 'RegularExpression', name: 'q', value: 'v[0-9]' }] }] }],
  });
  assert.deepEqual(spec.rules[0]?.matches[0]?.headers, [{ name: 'x-user', kind: 'exact', value: 'a', invert: false }]);
  assert.deepEqual(spec.rules[0]?.matches[0]?.queryParams, [{ name: 'q', kind: 'regex', value: 'v[0-9]', invert: false }]);
});

test('timeouts and retry: request → timeout, backendRequest → per-try timeout, codes → retryOn', () => {
  const spec = valid({
    parentRefs: [parent],
    rules: [{ backendRefs: [{ name: 'a', port: 80 }], timeouts: { request: '0s', backendRequest: '1s' }, retry: { attempts: 0 } }],
  });
  const rule = spec.rules[0];
  assert.equal(rule?.timeoutMs, undefined);
  assert.deepEqual(rule?.retry, { attempts: 0, retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', '503'], backoffBaseMs: 25, perTryTimeoutMs: 1000 });
});

test('invalid HTTPRoutes are rejected with the field path and why', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ parentRefs: [parent], rules: [{ matches: [{ path: { type: 'RegularExpression', value: '(a)\\1' } }] }] }, /spec\.rules\[0\]\.matches\[0\]\.path\.value: .*backreference/],
    [{ parentRefs: [parent], rules: [{ matches: [{ path: { type: 'Exact', value: 'no-slash' } }] }] }, /spec\.rules\[0\]\.matches\[0\]\.path\.value: "no-slash" must start with "\/"/],
    [{ parentRefs: [parent], rules: [{ filters: [{ type: 'CORS', cors: {} }] }] }, /spec\.rules\[0\]\.filters\[0\]\.type: "CORS" is not supported/],
    [{ parentRefs: [parent], rules: [{ backendRefs: [{ name: 'a' }] }] }, /spec\.rules\[0\]\.backendRefs\[0\]\.port: is required when the backend is a Service/],
    [{ parentRefs: [parent], rules: [{ matches: [{ path: { type: 'Exact', value: '/a' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } } }] }] },
      /spec\.rules\[0\]\.filters\[0\]\.urlRewrite\.path\.type: ReplacePrefixMatch needs exactly one match, with a PathPrefix path/],
    [{ parentRefs: [parent], rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 302 } }], backendRefs: [{ name: 'a', port: 80 }] }] },
      /spec\.rules\[0\]\.backendRefs: a rule with a RequestRedirect filter must not have backendRefs/],
    [{ parentRefs: [parent], rules: [{ timeouts: { request: '1s', backendRequest: '2s' } }] }, /spec\.rules\[0\]\.timeouts\.backendRequest: must not be longer than timeouts\.request/],
    [{ parentRefs: [parent], rules: [{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: 'x\r\ny' }] } }] }] },
      /spec\.rules\[0\]\.filters\[0\]\.requestHeaderModifier\.set\[0\]\.value: .*not allowed in an HTTP header value/],
    [{ parentRefs: [parent], rules: [{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a', value: '1' }], remove: ['A'] } }] }] },
      /remove\[0\]: header "a" already has an action/],
    [{ parentRefs: [parent], rules: [{ matches: [{ method: 'FETCH' }] }] }, /spec\.rules\[0\]\.matches\[0\]\.method: "FETCH" is not one of GET/],
    [{ parentRefs: [parent], rules: [{ sessionPersistence: { sessionName: 'x' } }] }, /sessionPersistence: session persistence is not supported/],
    [{ parentRefs: [parent], rules: [{ bogus: 1 }] }, /spec\.rules\[0\]\.bogus: unknown field/],
  ];
  for (const [spec, want] of cases) {
    const got = problems(spec);
    assert.ok(got.some((p) => want.test(p)), `${want} in ${JSON.stringify(got)}`);
  }
});

test('a rejected route still reports the Service parents it names (for its status)', () => {
  const c = convertHttpRoute(route({ parentRefs: [parent], rules: [{ matches: [{ path: { type: 'Nope' } }] }] }));
  assert.equal(c.spec, undefined);
  assert.equal(c.parents.length, 1);
  assert.match(c.problems[0]?.reason ?? '', /is not Exact, PathPrefix or RegularExpression/);
});

test('GRPCRoute method matches become paths', () => {
  const spec = valid({
    parentRefs: [parent],
    rules: [{
      matches: [
        { method: { service: 'pkg.Svc', method: 'Get' } },
        { method: { service: 'pkg.Svc' } },
        { method: { method: 'Get' } },
        { method: { type: 'RegularExpression', service: 'pkg\\..*', method: 'Get|List' } },
      ],
    }, {}],
  }, 'GRPCRoute');
  assert.deepEqual(spec.rules[0]?.matches.map((m) => m.path), [
    { kind: 'exact', value: '/pkg.Svc/Get' },
    { kind: 'prefix', value: '/pkg.Svc/' },
    { kind: 'regex', value: '/[^/]+/Get' },
    { kind: 'regex', value: '/(?:pkg\\..*)/(?:Get|List)' },
  ]);
  assert.deepEqual(spec.rules[1]?.matches, [{ headers: [], queryParams: [] }], 'no matches: every call, least specific');
  const bad = convertGrpcRoute(route({ parentRefs: [parent], rules: [{ matches: [{ method: { service: 'bad/name' } }], filters: [{ type: 'URLRewrite', urlRewrite: {} }] }] }, 'GRPCRoute'));
  assert.deepEqual(bad.problems.map((p) => p.field), ['spec.rules[0].matches[0].method.service', 'spec.rules[0].filters[0].type']);
});
