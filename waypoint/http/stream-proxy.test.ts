// Routing through the stream proxy on loopback: header and prefix routes, rewrite, redirect,
// direct response, the 90/10 weighted split, mirroring, no endpoints → 503, and what a request
// leaves behind (istio_requests_total, the duration histogram, the access-log line).

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { REQUEST_LABEL_NAMES } from '../telemetry/labels';
import { DURATION_BUCKETS_MS, REQUEST_METRIC_NAMES } from '../telemetry/request-metrics';
import { createStreamProxy, type StreamProxy } from './stream-proxy';
import {
  AUTHORITY, FakeView, loopbackDialer, makeBackend, makeEndpoint, makeRoute, request, seededRandom, serviceTarget, startBackend, startFront,
  type Front, type TestBackend,
} from './test-support';

const V1 = 'shop/reviews.shop.svc.cluster.local:9080|v1';
const V2 = 'shop/reviews.shop.svc.cluster.local:9080|v2';
const DEFAULT = 'shop/reviews.shop.svc.cluster.local:9080';
const MIRROR = 'shop/shadow.shop.svc.cluster.local:9080';
const EMPTY = 'shop/empty.shop.svc.cluster.local:9080';

describe('stream proxy routing', () => {
  let v1: TestBackend;
  let v2: TestBackend;
  let shadow: TestBackend;
  let proxy: StreamProxy;
  let front: Front;
  const registry = new Registry();
  const logger = memoryLogger();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  before(async () => {
    v1 = await startBackend('v1');
    v2 = await startBackend('v2');
    shadow = await startBackend('shadow');
    const view = new FakeView()
      .set(makeBackend(V1), [makeEndpoint('reviews-v1', v1.port)])
      .set(makeBackend(V2), [makeEndpoint('reviews-v2', v2.port, { canonicalRevision: 'v2' })])
      .set(makeBackend(DEFAULT), [makeEndpoint('reviews-v1', v1.port)])
      .set(makeBackend(MIRROR), [makeEndpoint('shadow', shadow.port)])
      .set(makeBackend(EMPTY), []);
    const routes = [
      makeRoute({ name: 'header', matches: [{ headers: [{ name: 'end-user', kind: 'exact', value: 'jason', invert: false }], queryParams: [] }], backends: [{ backend: V2, weight: 1 }] }),
      makeRoute({
        name: 'prefix', matches: [{ path: { kind: 'prefix', value: '/api' }, headers: [], queryParams: [] }],
        rewrite: { path: { kind: 'prefix', value: '/v2' }, hostname: 'rewritten.example' },
        requestHeaders: { set: [{ name: 'x-route', value: 'prefix' }], add: [], remove: [] },
        responseHeaders: { set: [{ name: 'x-served-by', value: 'prefix-route' }], add: [], remove: [] },
        backends: [{ backend: V1, weight: 1 }],
      }),
      makeRoute({
        name: 'redirect', matches: [{ path: { kind: 'exact', value: '/old' }, headers: [], queryParams: [] }],
        redirect: { path: { kind: 'full', value: '/new' }, statusCode: 301 }, backends: [],
      }),
      makeRoute({ name: 'direct', matches: [{ path: { kind: 'exact', value: '/gone' }, headers: [], queryParams: [] }], directResponse: { status: 500, body: 'invalid backend' }, backends: [] }),
      makeRoute({ name: 'mirror', matches: [{ path: { kind: 'prefix', value: '/mirror' }, headers: [], queryParams: [] }], mirrors: [{ backend: MIRROR, percent: 100 }], backends: [{ backend: V1, weight: 1 }] }),
      makeRoute({ name: 'empty', matches: [{ path: { kind: 'prefix', value: '/empty' }, headers: [], queryParams: [] }], backends: [{ backend: EMPTY, weight: 1 }] }),
      makeRoute({ name: 'split', matches: [{ path: { kind: 'prefix', value: '/split' }, headers: [], queryParams: [] }], backends: [{ backend: V1, weight: 90 }, { backend: V2, weight: 10 }] }),
    ];
    proxy = createStreamProxy({ view, dial: loopbackDialer(), registry, logger, self: { namespace: 'shop', name: 'waypoint', identity: 'spiffe://cluster.local/ns/shop/sa/waypoint' }, random: seededRandom(7) });
    front = await startFront(proxy, serviceTarget(routes, DEFAULT));
  });

  after(async () => {
    agent.destroy();
    await proxy.drain(0);
    await front.close();
    await Promise.all([v1.close(), v2.close(), shadow.close()]);
  });

  it('sends unmatched requests to the default backend with an x-request-id and trace headers untouched', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const r = await request(front.port, '/reviews/1', { agent, headers: { traceparent, 'x-b3-traceid': 'abc' } });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'v1 GET /reviews/1');
    const seen = v1.seen.at(-1)!;
    assert.match(String(seen.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(seen.headers.traceparent, traceparent);
    assert.equal(seen.headers['x-b3-traceid'], 'abc');
    assert.equal(seen.headers.host, AUTHORITY);
  });

  it('routes on a header', async () => {
    assert.equal((await request(front.port, '/reviews/1', { agent, headers: { 'end-user': 'jason' } })).body, 'v2 GET /reviews/1');
    assert.equal((await request(front.port, '/reviews/1', { agent, headers: { 'end-user': 'bob', 'x-request-id': 'given' } })).body, 'v1 GET /reviews/1');
    assert.equal(v1.seen.at(-1)!.headers['x-request-id'], 'given');
  });

  it('routes on a path prefix and rewrites path and host, with header mutations both ways', async () => {
    const r = await request(front.port, '/api/items?x=1', { agent });
    assert.equal(r.body, 'v1 GET /v2/items?x=1');
    assert.equal(r.headers['x-served-by'], 'prefix-route');
    const seen = v1.seen.at(-1)!;
    assert.equal(seen.headers.host, 'rewritten.example');
    assert.equal(seen.headers['x-route'], 'prefix');
    assert.equal((await request(front.port, '/apix', { agent })).body, 'v1 GET /apix'); // not a segment prefix: default
  });

  it('answers redirects and direct responses itself', async () => {
    const r = await request(front.port, '/old?q=1', { agent });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, `http://${AUTHORITY}/new?q=1`);
    const d = await request(front.port, '/gone', { agent });
    assert.equal(d.status, 500);
    assert.equal(d.body, 'invalid backend');
  });

  it('splits 90/10 by weight within tolerance over 400 requests', async () => {
    const before1 = v1.seen.length;
    const before2 = v2.seen.length;
    for (let i = 0; i < 400; i++) assert.equal((await request(front.port, `/split/${i}`, { agent })).status, 200);
    const n1 = v1.seen.length - before1;
    const n2 = v2.seen.length - before2;
    assert.equal(n1 + n2, 400);
    assert.ok(Math.abs(n2 / 400 - 0.1) < 0.04, `v2 got ${n2} of 400`);
  });

  it('mirrors a request with its body to the mirror backend without changing the response', async () => {
    const r = await request(front.port, '/mirror/x', { agent, method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'v1 POST /mirror/x');
    await waitFor(() => shadow.seen.length > 0);
    const m = shadow.seen[0];
    assert.equal(m.body, 'payload');
    assert.equal(m.headers.host, `${'reviews.shop.svc.cluster.local'}-shadow:9080`);
    assert.equal(v1.seen.at(-1)!.body, 'payload');
  });

  it('answers 503 no healthy upstream with a reason header when a backend has no endpoints', async () => {
    const r = await request(front.port, '/empty', { agent });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-ambit-reason'], 'no_healthy_upstream');
    assert.equal(r.headers.server, 'ambit-waypoint');
    assert.equal(r.body, 'no healthy upstream');
  });

  it('counts requests in Istio metrics and writes an access-log line per request', async () => {
    await request(front.port, '/metrics-probe', { agent, headers: { 'x-request-id': 'probe-1' } });
    const labels = {
      reporter: 'waypoint', source_workload: 'productpage', source_workload_namespace: 'shop',
      source_principal: 'spiffe://cluster.local/ns/shop/sa/productpage', destination_workload: 'reviews-v1',
      destination_workload_namespace: 'shop', destination_principal: 'spiffe://cluster.local/ns/shop/sa/reviews-v1',
      destination_service: 'reviews.shop.svc.cluster.local', destination_service_name: 'reviews', destination_service_namespace: 'shop',
      destination_canonical_service: 'reviews', destination_version: 'v1', request_protocol: 'http', response_code: '200',
      grpc_response_status: '', response_flags: '-', connection_security_policy: 'mutual_tls',
    };
    const text = registry.render();
    assert.match(text, /istio_requests_total\{reporter="waypoint",source_workload="productpage"/);
    assert.match(text, /istio_request_duration_milliseconds_bucket\{.*le="\+Inf"\} \d+/);
    assert.ok(text.includes('response_code="503"') && text.includes('response_flags="UH"'));
    assert.ok(text.includes('istio_request_bytes_sum') && text.includes('istio_response_bytes_count'));
    const requests = registry.counter(REQUEST_METRIC_NAMES.requests, '', REQUEST_LABEL_NAMES);
    assert.ok(requests.get(labels) >= 1, text);
    const duration = registry.histogram(REQUEST_METRIC_NAMES.duration, '', REQUEST_LABEL_NAMES, DURATION_BUCKETS_MS).get(labels);
    assert.equal(duration?.count, requests.get(labels));
    const line = logger.lines.find((l) => l.includes('request_id=probe-1'));
    assert.ok(line, logger.lines.slice(-3).join('\n'));
    assert.match(line, /^info request complete src\.addr=127\.0\.0\.9:40000 src\.identity="spiffe:\/\/cluster\.local\/ns\/shop\/sa\/productpage" method=GET authority=reviews\.shop\.svc\.cluster\.local:9080 path="\/metrics-probe" protocol=HTTP\/1\.1 status=200 flags=- duration="\d+ms" upstream=127\.0\.0\.1:\d+ backend=shop\/reviews\.shop\.svc\.cluster\.local:9080 attempts=1 request_id=probe-1/);
    const empty = logger.lines.find((l) => l.includes('path="/empty"'));
    assert.match(empty ?? '', /status=503 flags=UH .*reason=no_healthy_upstream/);
  });
});

export async function waitFor(cond: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((res) => setTimeout(res, 5));
  assert.ok(cond(), 'condition not reached');
}
