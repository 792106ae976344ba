// Request telemetry: the histogram exposition (`_bucket` cumulative with `+Inf`, `_sum`, `_count`),
// the waypoint's label set from a client identity and an endpoint, response flags, and access-log
// lines that cannot be forged by client-supplied text.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { formatConnectionLog, formatRequestLog } from './access-log';
import { formatFlags, RESPONSE_FLAGS, requestLabels, sourceMeta } from './labels';
import { RequestTelemetry } from './request-metrics';

const endpoint = {
  uid: 'Kubernetes//Pod/shop/reviews-v2-1', ip: '198.18.1.2', targetPort: 9080, identity: 'spiffe://cluster.local/ns/shop/sa/reviews',
  tunnel: 'HBONE' as const, healthy: true, namespace: 'shop', workloadName: 'reviews-v2', canonicalName: 'reviews', canonicalRevision: 'v2',
};

describe('histogram', () => {
  it('renders cumulative buckets, +Inf, sum and count per label set', () => {
    const registry = new Registry();
    const h = registry.histogram('test_latency', 'help', ['code'], [10, 1, 5]);
    h.observe({ code: '200' }, 0.5);
    h.observe({ code: '200' }, 7);
    h.observe({ code: '200' }, 100);
    assert.deepEqual(h.get({ code: '200' }), { count: 3, sum: 107.5, buckets: [1, 1, 2] });
    assert.equal(registry.render(), [
      '# HELP test_latency help', '# TYPE test_latency histogram',
      'test_latency_bucket{code="200",le="1"} 1', 'test_latency_bucket{code="200",le="5"} 1', 'test_latency_bucket{code="200",le="10"} 2',
      'test_latency_bucket{code="200",le="+Inf"} 3', 'test_latency_sum{code="200"} 107.5', 'test_latency_count{code="200"} 3', '',
    ].join('\n'));
    assert.equal(registry.histogram('test_latency', 'help', ['code'], [1]), h);
    assert.throws(() => registry.counter('test_latency', 'help'), /already registered as a histogram/);
  });

  it('caps the number of label sets', () => {
    const h = new Registry(2).histogram('capped', 'help', ['k'], [1]);
    for (const k of ['a', 'b', 'c']) h.observe({ k }, 1);
    assert.equal(h.dropped, 1);
    assert.equal(h.get({ k: 'c' }), undefined);
  });
});

describe('request labels', () => {
  it('takes the source from the client identity and the destination from the endpoint', () => {
    const l = requestLabels({
      source: sourceMeta('spiffe://cluster.local/ns/web/sa/frontend'), service: { hostname: 'reviews.shop.svc.cluster.local', name: 'reviews', namespace: 'shop' },
      endpoint, grpc: true, status: 200, grpcStatus: '14', flags: [RESPONSE_FLAGS.faultAbort],
    });
    assert.equal(l.reporter, 'waypoint');
    assert.equal(l.source_workload, 'frontend');
    assert.equal(l.source_workload_namespace, 'web');
    assert.equal(l.destination_workload, 'reviews-v2');
    assert.equal(l.destination_version, 'v2');
    assert.equal(l.request_protocol, 'grpc');
    assert.equal(l.grpc_response_status, '14');
    assert.equal(l.response_flags, 'FI');
    assert.equal(l.connection_security_policy, 'mutual_tls');
    const anon = requestLabels({ source: sourceMeta(undefined), grpc: false, status: 503, grpcStatus: '', flags: [] });
    assert.equal(anon.source_principal, 'unknown');
    assert.equal(anon.destination_service, 'unknown');
    assert.equal(anon.response_flags, '-');
  });

  it('joins several flags once each', () => {
    assert.equal(formatFlags([RESPONSE_FLAGS.delayInjected, RESPONSE_FLAGS.timeout, RESPONSE_FLAGS.timeout]), 'DI,UT');
    assert.equal(formatFlags([RESPONSE_FLAGS.none]), '-');
  });
});

describe('access log', () => {
  it('quotes client-supplied values so a line cannot be forged', () => {
    const line = formatRequestLog({
      srcAddr: '198.18.1.1:5000', method: 'GET', authority: 'evil\nfake=1', path: '/a b"\r\ninfo forged', protocol: 'HTTP/1.1', status: 200,
      flags: '-', durationMs: 3.4, attempts: 1, bytesReceived: 10, bytesSent: 20, requestId: 'x y',
    });
    assert.equal(line.split('\n').length, 1);
    assert.match(line, /authority="evil\\nfake=1" path="\/a b\\"\\r\\ninfo forged"/);
    assert.match(line, /duration="3ms"/);
    assert.match(line, /request_id="x y"/);
  });

  it('writes one line per request through RequestTelemetry', () => {
    const logger = memoryLogger();
    const registry = new Registry();
    const t = new RequestTelemetry(registry, logger);
    const labels = requestLabels({ source: sourceMeta(undefined), endpoint, grpc: false, status: 200, grpcStatus: '', flags: [] });
    t.record({ labels, durationMs: 12, requestBytes: 100, responseBytes: 2000, log: { srcAddr: '1.2.3.4:5', method: 'GET', authority: 'a:80', path: '/', protocol: 'HTTP/1.1', status: 200, flags: '-', durationMs: 12, attempts: 1, bytesReceived: 100, bytesSent: 2000 } });
    assert.equal(logger.lines.length, 1);
    assert.match(registry.render(), /istio_response_bytes_bucket\{[^}]*le="1000"\} 0\nistio_response_bytes_bucket\{[^}]*le="10000"\} 1/);
    assert.match(formatConnectionLog({ srcAddr: '1.2.3.4:5', authority: 'a:80', flags: 'UF', durationMs: 1, bytesReceived: 0, bytesSent: 0, error: 'refused' }), /^connection complete .*flags=UF .*error="refused"$/);
  });
});
