// Resilience through the stream proxy on loopback: fault abort (seeded 50 %) and delay, retries
// turning a flaky backend's failures into successes, route timeout → 504, connect failure,
// circuit breaking (maxRequests) → 503 overflow, and outlier detection ejecting a failing endpoint.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Route } from '../../pkg/api/waypoint-types';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { createStreamProxy, type StreamProxy } from './stream-proxy';
import {
  FakeView, loopbackDialer, makeBackend, makeEndpoint, makeRoute, request, seededRandom, serviceTarget, startBackend, startFront,
  type Front, type TestBackend,
} from './test-support';

const prefix = (value: string): Route['matches'] => [{ path: { kind: 'prefix', value }, headers: [], queryParams: [] }];
const B = (n: string): string => `shop/${n}.shop.svc.cluster.local:9080`;

describe('stream proxy resilience', () => {
  const held: http.ServerResponse[] = [];
  const backends: TestBackend[] = [];
  let proxy: StreamProxy;
  let front: Front;
  let bad: TestBackend;
  let good: TestBackend;
  let closedPort: number;
  const logger = memoryLogger();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  before(async () => {
    const ok = await startBackend('ok');
    const flaky = await startBackend('flaky', { handler: (_r, res, n) => { res.statusCode = n % 2 === 1 ? 503 : 200; (res as http.ServerResponse).end(`try ${n}`); } });
    const slow = await startBackend('slow', { handler: (_r, res) => { held.push(res as http.ServerResponse); } });
    bad = await startBackend('bad', { handler: (_r, res) => { res.statusCode = 503; (res as http.ServerResponse).end('bad'); } });
    good = await startBackend('good');
    backends.push(ok, flaky, slow, bad, good);
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const view = new FakeView()
      .set(makeBackend(B('ok')), [makeEndpoint('ok', ok.port)])
      .set(makeBackend(B('flaky')), [makeEndpoint('flaky', flaky.port)])
      .set(makeBackend(B('slow')), [makeEndpoint('slow', slow.port)])
      .set(makeBackend(B('limited'), { pool: { maxConnections: 0, maxPendingRequests: 0, maxRequests: 1, maxRequestsPerConnection: 0, maxRetries: 0 } }), [makeEndpoint('slow', slow.port)])
      .set(makeBackend(B('dead')), [makeEndpoint('dead', closedPort)])
      .set(makeBackend(B('half-dead')), [makeEndpoint('dead', closedPort), makeEndpoint('ok', ok.port)])
      .set(makeBackend(B('slow-then-ok')), [makeEndpoint('slow', slow.port), makeEndpoint('ok', ok.port)])
      .set(makeBackend(B('bad-only')), [makeEndpoint('bad', bad.port)])
      .set(makeBackend(B('pair'), { outlier: { consecutive5xx: 2, consecutiveGatewayErrors: 2, intervalMs: 10_000, baseEjectionMs: 60_000, maxEjectionPercent: 100 } }),
        [makeEndpoint('bad', bad.port), makeEndpoint('good', good.port)]);
    const routes = [
      makeRoute({ name: 'abort', matches: prefix('/abort'), fault: { abort: { httpStatus: 503, percent: 50 } }, backends: [{ backend: B('ok'), weight: 1 }] }),
      makeRoute({ name: 'delay', matches: prefix('/delay'), fault: { delay: { delayMs: 300, percent: 100 } }, backends: [{ backend: B('ok'), weight: 1 }] }),
      makeRoute({ name: 'retry', matches: prefix('/retry'), retry: { attempts: 2, retryOn: ['5xx'], backoffBaseMs: 1 }, backends: [{ backend: B('flaky'), weight: 1 }] }),
      makeRoute({ name: 'noretry', matches: prefix('/noretry'), backends: [{ backend: B('flaky'), weight: 1 }] }),
      makeRoute({ name: 'timeout', matches: prefix('/timeout'), timeoutMs: 100, backends: [{ backend: B('slow'), weight: 1 }] }),
      makeRoute({ name: 'limited', matches: prefix('/limited'), backends: [{ backend: B('limited'), weight: 1 }] }),
      makeRoute({ name: 'dead', matches: prefix('/dead'), backends: [{ backend: B('dead'), weight: 1 }] }),
      makeRoute({ name: 'failover', matches: prefix('/failover'), retry: { attempts: 1, retryOn: ['connect-failure'], backoffBaseMs: 1 }, backends: [{ backend: B('half-dead'), weight: 1 }] }),
      makeRoute({ name: 'pertry', matches: prefix('/pertry'), retry: { attempts: 1, perTryTimeoutMs: 50, retryOn: ['5xx'], backoffBaseMs: 1 }, backends: [{ backend: B('slow-then-ok'), weight: 1 }] }),
      makeRoute({ name: 'exhaust', matches: prefix('/exhaust'), retry: { attempts: 2, retryOn: ['gateway-error'], backoffBaseMs: 1 }, backends: [{ backend: B('bad-only'), weight: 1 }] }),
      makeRoute({ name: 'pair', matches: prefix('/pair'), backends: [{ backend: B('pair'), weight: 1 }] }),
    ];
    proxy = createStreamProxy({ view, dial: loopbackDialer(), registry: new Registry(), logger, self: { namespace: 'shop', name: 'waypoint', identity: 'spiffe://cluster.local/ns/shop/sa/waypoint' }, random: seededRandom(42) });
    front = await startFront(proxy, serviceTarget(routes, B('ok')));
  });

  after(async () => {
    for (const res of held) res.destroy();
    agent.destroy();
    await proxy.drain(0);
    await front.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  it('aborts about half of the requests with the configured status when the fault says 50 %', async () => {
    let aborted = 0;
    for (let i = 0; i < 200; i++) {
      const r = await request(front.port, '/abort', { agent });
      if (r.status === 503) {
        assert.equal(r.headers['x-ambit-reason'], 'fault_abort');
        assert.equal(r.body, 'fault filter abort');
        aborted++;
      } else assert.equal(r.status, 200);
    }
    assert.ok(aborted > 70 && aborted < 130, `aborted ${aborted} of 200`);
  });

  it('delays a request: a later undelayed request reaches the backend first', async () => {
    const ok = backends[0];
    const start = ok.seen.length;
    const delayed = request(front.port, '/delay/a', { agent });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await request(front.port, '/plain/b', { agent })).status, 200);
    assert.equal((await delayed).status, 200);
    assert.deepEqual(ok.seen.slice(start).map((s) => s.url), ['/plain/b', '/delay/a']);
    assert.ok(logger.lines.some((l) => l.includes('path="/delay/a"') && l.includes('flags=DI')));
  });

  it('retries a flaky backend into success and counts the attempts', async () => {
    const r = await request(front.port, '/retry/x', { agent, method: 'POST', body: 'the body' });
    assert.equal(r.status, 200);
    const flaky = backends[1];
    assert.deepEqual(flaky.seen.slice(-2).map((s) => s.body), ['the body', 'the body']);
    assert.match(logger.lines.find((l) => l.includes('path="/retry/x"')) ?? '', /status=200 .*attempts=2/);
    const plain = await request(front.port, '/noretry', { agent });
    assert.equal(plain.status, 503); // the flaky backend's own 503 passes through without a retry policy
    assert.equal(plain.headers['x-ambit-reason'], undefined);
  });

  it('answers 504 upstream request timeout when the route timeout passes', async () => {
    const r = await request(front.port, '/timeout', { agent });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-ambit-reason'], 'upstream_timeout');
    assert.equal(r.body, 'upstream request timeout');
    assert.match(logger.lines.find((l) => l.includes('path="/timeout"')) ?? '', /status=504 flags=UT/);
  });

  it('answers 503 upstream overflow when the backend is at maxRequests', async () => {
    const n = held.length;
    const first = request(front.port, '/limited/1', { agent });
    while (held.length === n) await new Promise((r) => setTimeout(r, 5));
    const r = await request(front.port, '/limited/2', { agent });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-ambit-reason'], 'upstream_overflow');
    held[n].end('released');
    assert.equal((await first).body, 'released');
  });

  it('answers 503 upstream connect error when the endpoint cannot be reached', async () => {
    const r = await request(front.port, '/dead', { agent });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-ambit-reason'], 'connect_failure');
    assert.match(r.body, /^upstream connect error/);
  });

  it('retries a connect failure on the other endpoint', async () => {
    for (const path of ['/failover/1', '/failover/2']) {
      const r = await request(front.port, path, { agent });
      assert.equal(r.status, 200);
      assert.equal(r.body, `ok GET ${path}`);
    }
    const lines = logger.lines.filter((l) => l.includes('path="/failover/'));
    assert.equal(lines.filter((l) => l.includes('attempts=2')).length, 1, lines.join('\n'));
  });

  it('retries after a per-try timeout', async () => {
    const r = await request(front.port, '/pertry', { agent });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok GET /pertry');
  });

  it('passes the last response through with URX when retries are exhausted', async () => {
    const before = bad.seen.length;
    const r = await request(front.port, '/exhaust', { agent });
    assert.equal(r.status, 503);
    assert.equal(r.body, 'bad');
    assert.equal(bad.seen.length - before, 3);
    assert.match(logger.lines.find((l) => l.includes('path="/exhaust"')) ?? '', /status=503 flags=URX .*attempts=3/);
  });

  it('ejects an endpoint that keeps failing: it stops receiving requests', async () => {
    const start = bad.seen.length;
    for (let i = 0; i < 6; i++) await request(front.port, '/pair', { agent });
    const badSeen = bad.seen.length - start;
    assert.ok(badSeen >= 2 && badSeen <= 3, `bad saw ${badSeen}`);
    for (let i = 0; i < 20; i++) assert.equal((await request(front.port, '/pair', { agent })).status, 200);
    assert.equal(bad.seen.length - start, badSeen);
    assert.ok(good.seen.length >= 20);
    assert.ok(logger.lines.some((l) => l.startsWith('warn waypoint: outlier detection ejected Kubernetes//Pod/shop/bad')));
  });
});
