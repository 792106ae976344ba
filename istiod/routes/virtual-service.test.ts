import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectivePolicy } from './backends';
import { convertDestinationRule, OUTLIER_DEFAULTS } from './destination-rule';
import { comparePrecedence, type RankedMatch, sortByPrecedence } from './precedence';
import type { DestinationRuleSpec, VirtualServiceSpec } from './types';
import { convertVirtualService } from './virtual-service';

const vs = (spec: Record<string, unknown>): Record<string, unknown> =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { namespace: 'shop', name: 'v' }, spec });
const dr = (spec: Record<string, unknown>): Record<string, unknown> =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { namespace: 'shop', name: 'd' }, spec });

function validVs(spec: Record<string, unknown>): VirtualServiceSpec {
  const c = convertVirtualService(vs(spec));
  assert.deepEqual(c.problems, []);
  assert.ok(c.spec);
  return c.spec;
}

function validDr(spec: Record<string, unknown>): DestinationRuleSpec {
  const c = convertDestinationRule(dr(spec));
  assert.deepEqual(c.problems, []);
  assert.ok(c.spec);
  return c.spec;
}

test('VirtualService: mesh or not, weights, Istio default retry, retries with attempts 0, gRPC abort by name', () => {
  assert.equal(convertVirtualService(vs({ hosts: ['a'], gateways: ['ingress'] })).mesh, false);
  assert.equal(convertVirtualService(vs({ hosts: ['a'], gateways: ['ingress', 'mesh'] })).mesh, true);
  const spec = validVs({
    hosts: ['Reviews', 'reviews'],
    http: [
      { route: [{ destination: { host: 'a' } }, { destination: { host: 'b' } }] },
      { route: [{ destination: { host: 'a' }, weight: 80 }, { destination: { host: 'b' } }], retries: { attempts: 0 } },
      { route: [{ destination: { host: 'a' } }], fault: { abort: { grpcStatus: 'UNAVAILABLE' } }, timeout: '2s' },
    ],
  });
  assert.deepEqual(spec.hosts, ['reviews']);
  assert.deepEqual(spec.http[0]?.destinations.map((d) => d.weight), [1, 1], 'no weights: an even split');
  assert.deepEqual(spec.http[1]?.destinations.map((d) => d.weight), [80, 0]);
  assert.equal(spec.http[0]?.retry.attempts, 2);
  assert.equal(spec.http[1]?.retry.attempts, 0);
  assert.deepEqual(spec.http[2]?.fault, { abort: { grpcStatus: 14, percent: 100 } });
  assert.equal(spec.http[2]?.timeoutMs, 2000);
});

test('VirtualService: a match for other gateways only is dropped with its route', () => {
  const spec = validVs({ hosts: ['a'], http: [{ match: [{ gateways: ['ingress'] }], route: [{ destination: { host: 'a' } }] }] });
  assert.deepEqual(spec.http, []);
});

test('invalid VirtualServices are rejected with the field path and why', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ http: [] }, /spec\.hosts: at least one host is required/],
    [{ hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }], redirect: { uri: '/x' } }] }, /spec\.http\[0\]: only one of route, redirect and directResponse/],
    [{ hosts: ['a'], http: [{ match: [{ uri: { regex: '(?<=a)b' } }], route: [{ destination: { host: 'a' } }] }] }, /spec\.http\[0\]\.match\[0\]\.uri\.regex: .*lookbehind/],
    [{ hosts: ['a'], http: [{ match: [{ sourceLabels: { app: 'x' } }], route: [{ destination: { host: 'a' } }] }] }, /spec\.http\[0\]\.match\[0\]\.sourceLabels: matching on sourceLabels is not supported/],
    [{ hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }], timeout: '10' }] }, /spec\.http\[0\]\.timeout: "10" is not a duration/],
    [{ hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }], retries: { attempts: 2, retryOn: '5xx,teapot' } }] }, /spec\.http\[0\]\.retries\.retryOn: "teapot" is not a retry condition/],
    [{ hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }], fault: { abort: { grpcStatus: 'NOPE' } } }] }, /spec\.http\[0\]\.fault\.abort\.grpcStatus: "NOPE" is not a gRPC status/],
    [{ hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }], fault: { delay: { percentage: { value: 10 } } } }] }, /spec\.http\[0\]\.fault\.delay\.fixedDelay: is required/],
    [{ hosts: ['a'], http: [{ route: [{ destination: { host: 'a' }, weight: 0 }] }] }, /spec\.http\[0\]\.route: the weights add up to 0/],
    [{ hosts: ['a'], http: [{ route: [{ destination: { host: 'a', subset: 'V1' } }] }] }, /spec\.http\[0\]\.route\[0\]\.destination\.subset: "V1" is not a subset name/],
    [{ hosts: ['a'], http: [{ delegate: { name: 'x' } }] }, /spec\.http\[0\]\.delegate: delegate VirtualServices are not supported/],
  ];
  for (const [spec, want] of cases) {
    const got = convertVirtualService(vs(spec)).problems.map((p) => `${p.field}: ${p.reason}`);
    assert.ok(got.some((p) => want.test(p)), `${want} in ${JSON.stringify(got)}`);
  }
});

test('DestinationRule: outlier defaults, connection pool, consistent hash; subset policy merged over port over top-level', () => {
  const spec = validDr({
    host: 'reviews',
    trafficPolicy: {
      loadBalancer: { simple: 'LEAST_REQUEST' },
      connectionPool: { tcp: { maxConnections: 10 }, http: { http2MaxRequests: 20 } },
      outlierDetection: { consecutiveGatewayErrors: 3 },
      portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { consistentHash: { httpCookie: { name: 'session' } } } }],
    },
    subsets: [{ name: 'v2', labels: { version: 'v2' }, trafficPolicy: { connectionPool: { http: { maxRetries: 1 } } } }],
  });
  const top = effectivePolicy(spec, 80);
  assert.deepEqual(top.lb, { kind: 'least_request' });
  assert.deepEqual(top.outlier, { ...OUTLIER_DEFAULTS, consecutiveGatewayErrors: 3 });
  assert.equal(top.pool?.maxConnections, 10);
  assert.equal(top.pool?.maxRequests, 20);
  assert.deepEqual(effectivePolicy(spec, 9080).lb, { kind: 'consistent_hash', hash: { source: 'cookie', name: 'session' } });
  const subset = effectivePolicy(spec, 9080, 'v2');
  assert.deepEqual(subset.lb, { kind: 'consistent_hash', hash: { source: 'cookie', name: 'session' } }, 'kept from the port level');
  assert.deepEqual(subset.pool, { maxConnections: 0, maxPendingRequests: 0, maxRequests: 0, maxRequestsPerConnection: 0, maxRetries: 1 },
    'the subset\'s connectionPool replaces the whole part');
});

test('invalid DestinationRules are rejected with the field path and why; unsupported settings are warnings', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /spec\.host: is required/],
    [{ host: 'a', trafficPolicy: { loadBalancer: { simple: 'FASTEST' } } }, /spec\.trafficPolicy\.loadBalancer\.simple: "FASTEST" is not one of/],
    [{ host: 'a', trafficPolicy: { loadBalancer: { simple: 'RANDOM', consistentHash: { useSourceIp: true } } } }, /only one of simple and consistentHash/],
    [{ host: 'a', trafficPolicy: { outlierDetection: { interval: '0s' } } }, /spec\.trafficPolicy\.outlierDetection\.interval: must be at least 1ms/],
    [{ host: 'a', trafficPolicy: { connectionPool: { tcp: { maxConnections: -1 } } } }, /spec\.trafficPolicy\.connectionPool\.tcp\.maxConnections: must be an integer/],
    [{ host: 'a', subsets: [{ name: 'v1' }, { name: 'v1' }] }, /spec\.subsets\[1\]\.name: subset "v1" is defined twice/],
    [{ host: 'a', subsets: [{ name: 'v1', labels: { 'bad key!': 'x' } }] }, /spec\.subsets\[0\]\.labels: label key/],
  ];
  for (const [spec, want] of cases) {
    const got = convertDestinationRule(dr(spec)).problems.map((p) => `${p.field}: ${p.reason}`);
    assert.ok(got.some((p) => want.test(p)), `${want} in ${JSON.stringify(got)}`);
  }
  const warned = convertDestinationRule(dr({ host: 'a', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, loadBalancer: { simple: 'PASSTHROUGH' } } }));
  assert.deepEqual(warned.problems, []);
  assert.deepEqual(warned.warnings.map((w) => w.field), ['spec.trafficPolicy.loadBalancer.simple', 'spec.trafficPolicy.tls']);
  assert.deepEqual(warned.spec?.policy?.lb, { kind: 'round_robin' });
});

test('precedence: exact > longest prefix > regex, then method, headers, query params, oldest route, name, rule order', () => {
  const m = (over: Partial<RankedMatch> & { path?: [string, string]; method?: string; headers?: number; query?: number }): RankedMatch => ({
    match: {
      ...(over.path ? { path: { kind: over.path[0] as 'exact', value: over.path[1] } } : {}),
      headers: Array.from({ length: over.headers ?? 0 }, (_, i) => ({ name: `h${i}`, kind: 'exact' as const, value: 'v', invert: false })),
      queryParams: Array.from({ length: over.query ?? 0 }, (_, i) => ({ name: `q${i}`, kind: 'exact' as const, value: 'v', invert: false })),
      ...(over.method ? { method: over.method } : {}),
    },
    route: over.route ?? 'ns/a', kind: 'HTTPRoute', rule: over.rule ?? 0, matchIndex: 0,
    ...(over.createdAt !== undefined ? { createdAt: over.createdAt } : {}),
  });
  const ordered = [
    m({ path: ['exact', '/a'] }),
    m({ path: ['prefix', '/api/v1'] }),
    m({ path: ['prefix', '/api'], method: 'GET' }),
    m({ path: ['prefix', '/api'], headers: 2 }),
    m({ path: ['prefix', '/api'], headers: 1, query: 1 }),
    m({ path: ['prefix', '/api'], headers: 1 }),
    m({ path: ['prefix', '/'], createdAt: 1, route: 'ns/z' }),
    m({ path: ['prefix', '/'], createdAt: 2, route: 'ns/a' }),
    m({ path: ['prefix', '/'], route: 'ns/b', rule: 0 }),
    m({ path: ['prefix', '/'], route: 'ns/b', rule: 1 }),
    m({ path: ['regex', '/items/.*'] }),
    m({ path: ['regex', '/x.*'] }),
  ];
  assert.deepEqual(sortByPrecedence([...ordered].reverse()), ordered);
  assert.equal(comparePrecedence(ordered[0]!, ordered[0]!), 0);
});
