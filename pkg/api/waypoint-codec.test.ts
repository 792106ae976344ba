// Tests of the ambit.waypoint.v1.WaypointConfig codec and its validation: a round trip of a config
// using every field, frozen results, omitted defaults, and refusals that name the field path and
// the reason (from hand-built models on encode, from hostile wire bytes on decode).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMeshError } from '../errors/mesh-error';
import { messageType } from './proto-root';
import { decodeWaypointConfig, encodeWaypointConfig, MAX_WAYPOINT_CONFIG_BYTES, WAYPOINT_CONFIG_MESSAGE } from './waypoint-codec';
import { waypointConfigProblems } from './waypoint-validate';
import { DEFAULT_CONNECTION_POOL, type Backend, type Route, type WaypointConfig } from './waypoint-types';

const reviews = 'shop/reviews.shop.svc.cluster.local';
const ratings = 'shop/ratings.shop.svc.cluster.local';

const richRoute: Route = {
  name: 'VirtualService shop/reviews http 0',
  matches: [
    {
      path: { kind: 'prefix', value: '/api' },
      headers: [
        { name: 'x-user', kind: 'exact', value: 'jason', invert: false },
        { name: 'x-debug', kind: 'present', value: '', invert: true },
        { name: 'user-agent', kind: 'regex', value: '.*(Chrome|Firefox)/[0-9]+.*', invert: false },
        { name: 'x-tenant', kind: 'prefix', value: 'acme-', invert: false },
      ],
      queryParams: [{ name: 'version', kind: 'exact', value: 'v2', invert: false }],
      method: 'GET',
    },
    { path: { kind: 'regex', value: '/v[0-9]+/items/[a-z]+' }, headers: [], queryParams: [] },
    { path: { kind: 'exact', value: '/' }, headers: [], queryParams: [], method: 'POST' },
  ],
  requestHeaders: { set: [{ name: 'x-route', value: 'canary' }], add: [{ name: 'x-trace', value: '1' }], remove: ['x-internal'] },
  responseHeaders: { set: [], add: [{ name: 'cache-control', value: 'no-store' }], remove: [] },
  rewrite: { hostname: 'reviews-v2.shop:9080', path: { kind: 'prefix', value: '/v2' } },
  mirrors: [{ backend: `${ratings}:9080`, percent: 12.5 }],
  backends: [
    { backend: `${reviews}:9080|v1`, weight: 90 },
    {
      backend: `${reviews}:9080|v2`, weight: 10,
      requestHeaders: { set: [{ name: 'x-canary', value: 'yes' }], add: [], remove: [] },
      responseHeaders: { set: [], add: [], remove: ['server'] },
    },
  ],
  timeoutMs: 1500,
  retry: { attempts: 3, perTryTimeoutMs: 500, retryOn: ['5xx', 'connect-failure', '409'], backoffBaseMs: 25 },
  fault: { delay: { delayMs: 200, percent: 5.5 }, abort: { httpStatus: 503, percent: 50 } },
};

const redirectRoute: Route = {
  name: 'HTTPRoute shop/legacy rule 0',
  matches: [{ path: { kind: 'exact', value: '/old' }, headers: [], queryParams: [] }],
  redirect: { scheme: 'https', hostname: 'new.example.com', path: { kind: 'full', value: '/new' }, port: 8443, statusCode: 301 },
  mirrors: [],
  backends: [],
};

const directRoute: Route = {
  name: 'HTTPRoute shop/broken rule 1',
  matches: [],
  directResponse: { status: 500, body: 'no valid backendRefs' },
  mirrors: [],
  backends: [],
  fault: { abort: { grpcStatus: 0, percent: 100 } },
};

const grpcAbortRoute: Route = {
  name: '', matches: [], mirrors: [], backends: [{ backend: `${ratings}:9080`, weight: 1 }],
  retry: { attempts: 0, retryOn: [], backoffBaseMs: 0 },
  fault: { abort: { grpcStatus: 14, percent: 0.1 } },
  rewrite: {},
};

const backends: Backend[] = [
  {
    name: `${reviews}:9080`, serviceKey: reviews, port: 9080,
    lb: { kind: 'round_robin' }, pool: DEFAULT_CONNECTION_POOL, policySource: '',
  },
  {
    name: `${reviews}:9080|v1`, serviceKey: reviews, port: 9080, subset: 'v1',
    workloadUids: ['Kubernetes//Pod/shop/reviews-v1-a', 'Kubernetes//Pod/shop/reviews-v1-b'],
    lb: { kind: 'consistent_hash', hash: { source: 'header', name: 'x-user' } },
    pool: { maxConnections: 100, maxPendingRequests: 10, maxRequests: 1000, maxRequestsPerConnection: 5, maxRetries: 3 },
    outlier: { consecutive5xx: 5, consecutiveGatewayErrors: 3, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionPercent: 100 },
    policySource: 'DestinationRule shop/reviews',
  },
  {
    name: `${reviews}:9080|v2`, serviceKey: reviews, port: 9080, subset: 'v2', workloadUids: [],
    lb: { kind: 'consistent_hash', hash: { source: 'source_ip', name: '' } },
    pool: DEFAULT_CONNECTION_POOL, policySource: 'DestinationRule shop/reviews',
  },
  {
    name: `${ratings}:9080`, serviceKey: ratings, port: 9080,
    lb: { kind: 'least_request' }, pool: DEFAULT_CONNECTION_POOL, policySource: '',
  },
];

const rich: WaypointConfig = {
  namespace: 'shop',
  name: 'waypoint',
  waypointFor: 'all',
  services: [
    {
      key: reviews,
      ports: [
        { port: 9080, protocol: 'HTTP11', routes: [richRoute, redirectRoute, directRoute], defaultBackend: `${reviews}:9080` },
        { port: 9443, protocol: 'TCP', routes: [], defaultBackend: `${reviews}:9080` },
      ],
    },
    { key: ratings, ports: [{ port: 9080, protocol: 'GRPC', routes: [grpcAbortRoute], defaultBackend: `${ratings}:9080` }] },
  ],
  workloads: ['Kubernetes//Pod/shop/db-0'],
  backends,
};

const minimal: WaypointConfig = { namespace: 'ns', name: 'wp', waypointFor: 'service', services: [], workloads: [], backends: [] };

/** The rich config with its first route replaced. */
function withRoute(change: Partial<Route>): WaypointConfig {
  const ports = [{ ...rich.services[0]!.ports[0]!, routes: [{ ...richRoute, ...change }] }];
  return { ...rich, services: [{ key: reviews, ports }] };
}

function withBackend(change: Partial<Backend>): WaypointConfig {
  return { ...rich, backends: [{ ...backends[1]!, ...change }, ...backends.filter((_, i) => i !== 1)] };
}

/** Asserts the config is refused with a problem matching `expected` (field path and reason). */
function refused(c: WaypointConfig, expected: RegExp): void {
  const problems = waypointConfigProblems(c);
  assert.ok(problems.some((p) => expected.test(p)), `no problem matching ${expected}: ${JSON.stringify(problems)}`);
  const inMessage = new RegExp(expected.source.replace(/^\^/, ''));
  assert.throws(() => encodeWaypointConfig(c), (err) => isMeshError(err, 'InvalidArgument') && inMessage.test(err.message));
}

/** Encodes a raw wire object (camelCase) without ambit's encoder, for hostile inputs. */
function raw(obj: object): Uint8Array {
  const t = messageType(WAYPOINT_CONFIG_MESSAGE);
  return t.encode(t.fromObject(obj)).finish();
}

function decodeRefused(bytes: Uint8Array, expected: RegExp): readonly string[] {
  const result = decodeWaypointConfig(bytes);
  assert.equal(result.ok, false, `accepted: ${JSON.stringify(result)}`);
  if (result.ok) return [];
  assert.ok(result.errors.some((e) => expected.test(e)), `no error matching ${expected}: ${JSON.stringify(result.errors)}`);
  return result.errors;
}

const rawBase = { namespace: 'shop', name: 'waypoint', waypointFor: 'all' };
const rawBackend = { name: 'b', serviceKey: reviews, port: 9080, lb: { kind: 'round_robin' } };

function rawRoute(route: object): Uint8Array {
  return raw({
    ...rawBase,
    backends: [rawBackend],
    services: [{ key: reviews, ports: [{ port: 9080, defaultBackend: 'b', routes: [{ name: 'r', backends: [{ backend: 'b', weight: 1 }], ...route }] }] }],
  });
}

describe('waypoint config codec', () => {
  it('round-trips a config using every field', () => {
    assert.deepEqual(waypointConfigProblems(rich), []);
    assert.deepEqual(decodeWaypointConfig(encodeWaypointConfig(rich)), { ok: true, value: rich });
    assert.deepEqual(decodeWaypointConfig(encodeWaypointConfig(minimal)), { ok: true, value: minimal });
  });

  it('returns a deeply frozen value', () => {
    const result = decodeWaypointConfig(encodeWaypointConfig(rich));
    assert.ok(result.ok);
    const route = result.value.services[0]!.ports[0]!.routes[0]!;
    assert.ok(Object.isFrozen(result.value));
    assert.ok(Object.isFrozen(route.matches[0]!.headers[0]));
    assert.ok(Object.isFrozen(result.value.backends[1]!.workloadUids));
    assert.throws(() => (route.backends as unknown as unknown[]).push(null), TypeError);
  });

  it('keeps gRPC status 0 and an empty subset list distinct from unset', () => {
    const result = decodeWaypointConfig(encodeWaypointConfig(rich));
    assert.ok(result.ok);
    assert.deepEqual(result.value.services[0]!.ports[0]!.routes[2]!.fault, { abort: { grpcStatus: 0, percent: 100 } });
    assert.deepEqual(result.value.backends[2]!.workloadUids, []);
    assert.equal('workloadUids' in result.value.backends[0]!, false);
  });

  it('omits defaults on the wire', () => {
    assert.deepEqual(Buffer.from(encodeWaypointConfig(minimal)), Buffer.from(raw({ namespace: 'ns', name: 'wp', waypointFor: 'service' })));
    const route: Route = { name: '', matches: [{ headers: [], queryParams: [] }], mirrors: [], backends: [{ backend: 'b', weight: 1 }] };
    const c: WaypointConfig = {
      ...minimal,
      services: [{ key: reviews, ports: [{ port: 80, protocol: 'UNKNOWN', routes: [route], defaultBackend: 'b' }] }],
      backends: [{ name: 'b', serviceKey: reviews, port: 80, lb: { kind: 'round_robin' }, pool: DEFAULT_CONNECTION_POOL, policySource: '' }],
    };
    const expected = raw({
      namespace: 'ns', name: 'wp', waypointFor: 'service',
      services: [{ key: reviews, ports: [{ port: 80, routes: [{ matches: [{}], backends: [{ backend: 'b', weight: 1 }] }], defaultBackend: 'b' }] }],
      backends: [{ name: 'b', serviceKey: reviews, port: 80, lb: { kind: 'round_robin' }, pool: {} }],
    });
    assert.deepEqual(Buffer.from(encodeWaypointConfig(c)), Buffer.from(expected));
  });

  it('refuses garbage, truncated and oversized bytes', () => {
    decodeRefused(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff]), /^waypoint config: malformed protobuf/);
    const good = encodeWaypointConfig(rich);
    decodeRefused(good.subarray(0, good.length - 3), /malformed protobuf/);
    decodeRefused(new Uint8Array(MAX_WAYPOINT_CONFIG_BYTES + 1), /bytes \(max/);
    // Valid protobuf framing of an empty message: names are required.
    decodeRefused(new Uint8Array(0), /^namespace: empty/);
  });

  it('reports every problem at once, with field paths', () => {
    const errors = decodeRefused(raw({ ...rawBase, namespace: 'Shop', waypointFor: 'everything', workloads: [''] }), /^namespace: "Shop" is not a valid namespace name/);
    assert.ok(errors.some((e) => e.startsWith('waypointFor: unknown value "everything"')));
    assert.ok(errors.some((e) => e === 'workloads[0]: empty'));
  });
});

describe('waypoint config validation', () => {
  const route0 = 'services\\[0\\]\\.ports\\[0\\]\\.routes\\[0\\]';
  const r = (rest: string): RegExp => new RegExp(`^${route0}${rest}`);

  it('refuses references to backends that do not exist', () => {
    refused(withRoute({ backends: [{ backend: 'shop/nope:80', weight: 1 }] }), r('\\.backends\\[0\\]\\.backend: unknown backend "shop/nope:80"'));
    refused(withRoute({ mirrors: [{ backend: 'ghost', percent: 1 }] }), r('\\.mirrors\\[0\\]\\.backend: unknown backend "ghost"'));
    const ports = [{ port: 80, protocol: 'HTTP11' as const, routes: [], defaultBackend: 'missing' }];
    refused({ ...rich, services: [{ key: reviews, ports }] }, /^services\[0\]\.ports\[0\]\.defaultBackend: unknown backend "missing"/);
    refused({ ...rich, backends: [...backends, backends[3]!] }, /^backends\[4\]\.name: ".*ratings.*" duplicates backends\[3\]/);
  });

  it('refuses regexes that do not compile or use lookaround or backreferences', () => {
    const path = (value: string): WaypointConfig => withRoute({ matches: [{ path: { kind: 'regex', value }, headers: [], queryParams: [] }] });
    refused(path('/a(?=b)'), r('\\.matches\\[0\\]\\.path\\.value: regex uses a lookahead'));
    refused(path('/(?<!x)a'), r('\\.matches\\[0\\]\\.path\\.value: regex uses a negative lookbehind'));
    refused(path('/(a)\\1'), r('\\.matches\\[0\\]\\.path\\.value: regex uses a backreference \\(\\\\1'));
    refused(path('/(a'), r('\\.matches\\[0\\]\\.path\\.value: regex does not compile'));
    refused(path('x'.repeat(1025)), r('\\.matches\\[0\\]\\.path\\.value: regex of 1025 characters \\(max 1024\\)'));
    const header = withRoute({ matches: [{ headers: [{ name: 'x', kind: 'regex', value: '(?<n>a)\\k<n>', invert: false }], queryParams: [] }] });
    refused(header, r('\\.matches\\[0\\]\\.headers\\[0\\]\\.value: regex uses a named backreference'));
    // Inside a class, `(?=` and `\1` are plain characters; named groups are fine.
    const ok = path('/[(?=\\1]+/(?<id>[0-9]+)');
    assert.deepEqual(waypointConfigProblems(ok), []);
  });

  it('refuses out-of-range weights, percents, statuses and durations', () => {
    refused(withRoute({ backends: [{ backend: `${reviews}:9080`, weight: 1_000_001 }] }), r('\\.backends\\[0\\]\\.weight: 1000001 \\(want an integer 0\\.\\.1000000\\)'));
    refused(withRoute({ backends: [{ backend: `${reviews}:9080`, weight: 0 }] }), r('\\.backends: weights sum to 0'));
    refused(withRoute({ backends: [] }), r('\\.backends: empty, and the route has no redirect or directResponse'));
    refused(withRoute({ mirrors: [{ backend: `${reviews}:9080`, percent: Number.NaN }] }), r('\\.mirrors\\[0\\]\\.percent: NaN'));
    refused(withRoute({ redirect: { statusCode: 200 } }), r('\\.redirect\\.statusCode: 200 \\(want 301, 302, 303, 307 or 308\\)'));
    refused(withRoute({ directResponse: { status: 600, body: '' } }), r('\\.directResponse\\.status: 600'));
    refused(withRoute({ redirect: { statusCode: 302 }, directResponse: { status: 404, body: '' } }), r(': both redirect and directResponse set'));
    refused(withRoute({ timeoutMs: 86_400_001 }), r('\\.timeoutMs: 86400001'));
    refused(withRoute({ fault: { delay: { delayMs: 1, percent: 101 } } }), r('\\.fault\\.delay\\.percent: 101'));
    refused(withRoute({ retry: { attempts: 101, retryOn: ['5xx'], backoffBaseMs: 25 } }), r('\\.retry\\.attempts: 101'));
    refused(withRoute({ retry: { attempts: 1, retryOn: ['sometimes', '5031'], backoffBaseMs: 25 } }), r('\\.retry\\.retryOn\\[0\\]: "sometimes" is not a retry condition'));
    refused(withRoute({ retry: { attempts: 1, retryOn: ['5031'], backoffBaseMs: 25 } }), r('\\.retry\\.retryOn\\[0\\]: "5031"'));
  });

  it('refuses an abort with both or neither status, or out of range', () => {
    refused(withRoute({ fault: { abort: { httpStatus: 503, grpcStatus: 14, percent: 1 } } }), r('\\.fault\\.abort: both httpStatus and grpcStatus set'));
    refused(withRoute({ fault: { abort: { percent: 1 } } }), r('\\.fault\\.abort: neither httpStatus nor grpcStatus set'));
    refused(withRoute({ fault: { abort: { grpcStatus: 17, percent: 1 } } }), r('\\.fault\\.abort\\.grpcStatus: 17 \\(want an integer 0\\.\\.16\\)'));
    refused(withRoute({ fault: { abort: { httpStatus: 199, percent: 1 } } }), r('\\.fault\\.abort\\.httpStatus: 199'));
  });

  it('refuses header names, values and methods that are not valid HTTP', () => {
    const set = (name: string, value: string): WaypointConfig => withRoute({ requestHeaders: { set: [{ name, value }], add: [], remove: [] } });
    refused(set('x-a', 'ok\r\nx-injected: 1'), r('\\.requestHeaders\\.set\\[0\\]\\.value: "ok\\\\r\\\\nx-injected: 1" contains CR, LF or NUL'));
    refused(set('x-a', 'nul\u0000'), r('\\.requestHeaders\\.set\\[0\\]\\.value: .* contains CR, LF or NUL'));
    refused(set('x-a', 'snowman \u2603'), r('\\.requestHeaders\\.set\\[0\\]\\.value: .* not allowed in an HTTP header value'));
    refused(set('X-Upper', 'v'), r('\\.requestHeaders\\.set\\[0\\]\\.name: "X-Upper" is not a valid lower-case HTTP header name'));
    refused(set(':authority', 'v'), r('\\.requestHeaders\\.set\\[0\\]\\.name: ":authority" is not a valid'));
    const match = (method: string): WaypointConfig => withRoute({ matches: [{ headers: [], queryParams: [], method }] });
    refused(match('get'), r('\\.matches\\[0\\]\\.method: "get" is not a valid upper-case HTTP method'));
    refused(match(''), r('\\.matches\\[0\\]\\.method: empty'));
    refused(withRoute({ matches: [{ headers: [{ name: 'x', kind: 'exact', value: 'a\nb', invert: false }], queryParams: [] }] }),
      r('\\.matches\\[0\\]\\.headers\\[0\\]\\.value: .* contains CR, LF or NUL'));
    refused(withRoute({ matches: [{ path: { kind: 'prefix', value: 'api' }, headers: [], queryParams: [] }] }),
      r('\\.matches\\[0\\]\\.path\\.value: "api" does not start with "/"'));
    refused(withRoute({ redirect: { hostname: 'evil.com/x', statusCode: 302 } }), r('\\.redirect\\.hostname: "evil.com/x" is not a valid hostname'));
  });

  it('refuses unknown enum values and inconsistent load balancing', () => {
    refused(withRoute({ matches: [{ path: { kind: 'suffix' as never, value: '/x' }, headers: [], queryParams: [] }] }),
      r('\\.matches\\[0\\]\\.path\\.kind: unknown value "suffix" \\(want one of exact, prefix, regex\\)'));
    refused(withBackend({ lb: { kind: 'consistent_hash' } }), /^backends\[0\]\.lb\.hash: missing/);
    refused(withBackend({ lb: { kind: 'random', hash: { source: 'header', name: 'x' } } }), /^backends\[0\]\.lb\.hash: set, but lb\.kind is random/);
    refused(withBackend({ lb: { kind: 'consistent_hash', hash: { source: 'cookie', name: '' } } }), /^backends\[0\]\.lb\.hash\.name: empty/);
    refused(withBackend({ lb: { kind: 'consistent_hash', hash: { source: 'source_ip', name: 'x' } } }), /^backends\[0\]\.lb\.hash\.name: must be empty for source_ip/);
    refused(withBackend({ lb: { kind: 'ring' as never } }), /^backends\[0\]\.lb\.kind: unknown value "ring"/);
    refused(withBackend({ outlier: { ...backends[1]!.outlier!, intervalMs: 0 } }), /^backends\[0\]\.outlier\.intervalMs: 0 \(want an integer 1\.\.86400000\)/);
    refused(withBackend({ outlier: { ...backends[1]!.outlier!, maxEjectionPercent: 101 } }), /^backends\[0\]\.outlier\.maxEjectionPercent: 101/);
    refused(withBackend({ port: 0 }), /^backends\[0\]\.port: 0 \(want an integer 1\.\.65535\)/);
    refused(withBackend({ subset: 'V_1' }), /^backends\[0\]\.subset: "V_1" is not a valid subset name/);
  });

  it('refuses oversized lists and strings', () => {
    refused(withRoute({ matches: Array.from({ length: 65 }, () => ({ headers: [], queryParams: [] })) }), r('\\.matches: 65 entries \\(max 64\\)'));
    refused(withRoute({ name: 'n'.repeat(513) }), r('\\.name: 513 bytes \\(max 512\\)'));
    refused(withRoute({ directResponse: { status: 200, body: 'b'.repeat(8193) } }), r('\\.directResponse\\.body: 8193 bytes \\(max 8192\\)'));
    const problems = waypointConfigProblems({ ...minimal, workloads: Array.from({ length: 500 }, () => '') });
    assert.equal(problems.length, 101);
    assert.equal(problems[100], '(stopped after 100 problems)');
  });

  it('refuses values of the wrong shape without throwing', () => {
    const problems = waypointConfigProblems({ ...minimal, services: 'all' as never, backends: [null as never] });
    assert.deepEqual(problems, ['backends[0]: not an object', 'services: not a list']);
    assert.deepEqual(waypointConfigProblems(null as never), ['config: not an object']);
  });
});

describe('waypoint config decoding of hostile wire values', () => {
  it('refuses contradictions only the wire can express', () => {
    decodeRefused(rawRoute({ fault: { abort: { grpcStatus: 14, percent: 1 } } }), /\.routes\[0\]\.fault\.abort\.grpcStatus: 14 set without hasGrpcStatus/);
    decodeRefused(raw({ ...rawBase, backends: [{ ...rawBackend, workloadUids: ['u'] }] }), /^backends\[0\]\.workloadUids: 1 entries without hasWorkloadUids/);
    decodeRefused(raw({ ...rawBase, backends: [{ ...rawBackend, lb: null }] }), /^backends\[0\]\.lb: missing/);
    decodeRefused(raw({ ...rawBase, backends: [rawBackend], services: [{ key: reviews, ports: [{ port: 80, protocol: 9, defaultBackend: 'b' }] }] }),
      /^services\[0\]\.ports\[0\]\.protocol: unknown protocol number 9/);
  });

  it('refuses hostile values through the same validation', () => {
    decodeRefused(rawRoute({ backends: [{ backend: 'b', weight: 4_000_000_000 }] }), /\.routes\[0\]\.backends\[0\]\.weight: 4000000000 \(want an integer 0\.\.1000000\)/);
    decodeRefused(rawRoute({ mirrors: [{ backend: 'b', percent: Infinity }] }), /\.routes\[0\]\.mirrors\[0\]\.percent: Infinity/);
    decodeRefused(rawRoute({ responseHeaders: { add: [{ name: 'set-cookie', value: 'a\r\nb' }] } }), /\.routes\[0\]\.responseHeaders\.add\[0\]\.value: .*CR, LF or NUL/);
    decodeRefused(rawRoute({ matches: [{ headers: [{ name: 'x', kind: 'regex', value: '(?!a)' }] }] }), /\.routes\[0\]\.matches\[0\]\.headers\[0\]\.value: regex uses a negative lookahead/);
    decodeRefused(rawRoute({ backends: [{ backend: 'c', weight: 1 }] }), /\.routes\[0\]\.backends\[0\]\.backend: unknown backend "c"/);
    decodeRefused(raw({ ...rawBase, backends: [{ ...rawBackend, outlier: {} }] }), /^backends\[0\]\.outlier\.intervalMs: 0/);
  });

  it('accepts a backend without a pool as the default pool', () => {
    const result = decodeWaypointConfig(raw({ ...rawBase, backends: [rawBackend] }));
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.value.backends[0]!.pool, DEFAULT_CONNECTION_POOL);
  });
});
