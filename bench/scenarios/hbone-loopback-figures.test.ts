import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuPerGB, medianRound, pickBulk, pickLatency, ratios, vcpuPer1000, withAddedLatency, type BulkFigure, type HboneLoopbackFigures, type LatencyFigure } from './hbone-loopback-figures';

function bulk(path: string, parallel: number, gbps: number | null, cpuSecondsPerGB: number | null, error?: string): BulkFigure {
  return { path, parallel, gbps, bytes: 1e9, seconds: 10, retransmits: 0, cpuSecondsPerGB, processes: [], backend: [], ...(error ? { error } : {}) };
}

function lat(path: string, p50: number, p90: number, p99: number, vcpu: number | null = null): LatencyFigure {
  return {
    path, requests: 10_000, failed: 0, achievedRps: 1000,
    latencyMs: { p50, p90, p99, p999: p99, max: p99, mean: p50 },
    vcpuPer1000Rps: vcpu, processes: [], backend: [],
  };
}

test('CPU per GB and per 1000 requests', () => {
  assert.equal(cpuPerGB(3, 1.5e9), 2);
  assert.equal(cpuPerGB(3, 0), null);
  assert.equal(vcpuPer1000(0.5, 10_000), 0.05);
  assert.equal(vcpuPer1000(0.5, 0), null);
});

test('the median round is an observed round; failed rounds only when nothing else', () => {
  assert.equal(medianRound([3, 1, 2], (v) => v), 2);
  assert.equal(medianRound([4, 1, 3, 2], (v) => v), 2);
  assert.equal(medianRound([5, null, 1], (v) => v), 1);
  assert.equal(medianRound<number | null>([null, null], (v) => v), null);
  assert.equal(medianRound<number>([], (v) => v), undefined);
});

test('picking a bulk round keeps that round whole and lists every round', () => {
  const chosen = pickBulk([bulk('hbone', 1, 2.5, 3.0), bulk('hbone', 1, 2.1, 3.4), bulk('hbone', 1, null, null, 'iperf3: refused'), bulk('hbone', 1, 2.7, 2.9)]);
  assert.equal(chosen?.gbps, 2.5);
  assert.equal(chosen?.cpuSecondsPerGB, 3.0);
  assert.deepEqual(chosen?.gbpsPerRound, [2.5, 2.1, null, 2.7]);
  const l = pickLatency([lat('x', 0.3, 0.5, 0.9), lat('x', 0.3, 0.5, 0.7), lat('x', 0.3, 0.5, 2.0)]);
  assert.equal(l?.latencyMs.p99, 0.9);
  assert.deepEqual(l?.p99MsPerRound, [0.9, 0.7, 2.0]);
});

test('added latency is measured against the direct path', () => {
  const out = withAddedLatency([lat('direct', 0.1, 0.2, 0.3), lat('hbone', 0.35, 0.5, 0.8), { ...lat('broken', 1, 1, 1), error: 'x' }]);
  assert.equal(out[0].addedMs, undefined);
  assert.deepEqual(out[1].addedMs, { p50: 0.25, p90: 0.3, p99: 0.5 });
  assert.equal(out[2].addedMs, undefined);
});

test('ratios compare two paths and say nothing where a figure is missing', () => {
  const figures: HboneLoopbackFigures = {
    paths: [],
    bulk: [bulk('hbone', 1, 2, 3), bulk('stunnel', 1, 4, 2), bulk('hbone', 4, 2, 3), bulk('stunnel', 4, null, null, 'failed')],
    latency: withAddedLatency([lat('direct', 0.1, 0.2, 0.3), lat('hbone', 0.4, 0.5, 0.9, 0.1), lat('stunnel', 0.3, 0.4, 0.6, 0.08)]),
  };
  const r = new Map(ratios(figures, 'hbone', 'stunnel').map((x) => [x.what, x.value]));
  assert.equal(r.get('throughput, 1 stream(s)'), 0.5);
  assert.equal(r.get('CPU per GB, 1 stream(s)'), 1.5);
  assert.equal(r.get('throughput, 4 stream(s)'), null);
  assert.equal(r.get('added p50 latency'), 1.5);
  assert.equal(r.get('added p99 latency'), 2);
  assert.equal(r.get('CPU per 1000 req/s'), 1.25);
});
