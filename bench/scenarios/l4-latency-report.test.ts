import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withAddedLatency, type LatencyFigure } from './hbone-loopback-figures';
import { compareWithStunnel, latencyGoal, latencyPanels, renderLatencyMarkdown, type L4LatencyFigures, type L4LatencySettings } from './l4-latency-report';

function lat(path: string, p50: number, p90: number, p99: number, error?: string): LatencyFigure {
  return {
    path, requests: error ? 0 : 10_000, failed: 0, achievedRps: 1000,
    latencyMs: { p50, p90, p99, p999: p99, max: p99, mean: p50 },
    vcpuPer1000Rps: path === 'direct' ? null : 0.1,
    processes: path === 'ambit' ? [{ name: 'ztunnel-node1', cpuSeconds: 0.5, systemShare: 0.4, rssMaxMb: 80, vcpuPer1000Rps: 0.05 }] : [],
    backend: [], p99MsPerRound: [p99, p99 + 1], ...(error ? { error } : {}),
  };
}

const PATHS = [
  { id: 'direct', label: 'no mesh', description: 'pod to pod', tunnels: [] },
  { id: 'ambit', label: 'ambit', description: 'two ztunnels', tunnels: ['ztunnel-node1', 'ztunnel-node2'] },
  { id: 'stunnel', label: 'stunnel', description: 'stunnel pair', tunnels: ['stunnel-client', 'stunnel-server'] },
];

const SETTINGS: L4LatencySettings = { totalRps: 1000, connections: 4, seconds: 10, warmupSeconds: 3, topology: { pinning: 'tunnels on core 0', nice: -10, rounds: 3 } };

function figures(ambitP99: number): L4LatencyFigures {
  return { paths: PATHS, latency: withAddedLatency([lat('direct', 0.1, 0.2, 0.3), lat('ambit', 0.25, 0.4, ambitP99), lat('stunnel', 0.2, 0.35, 0.6)]) };
}

test('the goal is met when ambit adds at most 0.2 ms at p99, and the report says so in words', () => {
  assert.deepEqual(latencyGoal(figures(0.45)), { addedP99Ms: 0.15, verdict: 'met' });
  assert.deepEqual(latencyGoal(figures(0.9)), { addedP99Ms: 0.6, verdict: 'not met' });
  const md = renderLatencyMarkdown(figures(0.9), SETTINGS);
  assert.match(md, /\*\*not met\*\*: ambit adds 0\.600 ms p99; stunnel on the same path adds 0\.300 ms \(ambit ÷ stunnel 2\.00×\)/);
  assert.match(md, /Added by ambit at p50 \/ p90 \/ p99: 0\.150 \/ 0\.200 \/ 0\.600 ms/);
  assert.match(md, /every measured process at nice -10/);
  assert.match(md, /median of 3 rounds/);
});

test('ambit against stunnel per percentile: difference and ratio of the added latency', () => {
  const cmp = compareWithStunnel(figures(0.45));
  assert.deepEqual(cmp.map((c) => [c.percentile, c.ambitAddedMs, c.stunnelAddedMs, c.differenceMs, c.ratio]), [
    ['p50', 0.15, 0.1, 0.05, 1.5],
    ['p90', 0.2, 0.15, 0.05, 1.33],
    ['p99', 0.15, 0.3, -0.15, 0.5],
  ]);
});

test('a failed path is reported as a problem and its goal is not measured', () => {
  const f: L4LatencyFigures = { paths: PATHS, latency: withAddedLatency([lat('direct', 0.1, 0.2, 0.3), lat('ambit', 0, 0, 0, 'h2load: connection refused')]) };
  assert.equal(latencyGoal(f).verdict, 'not measured');
  const md = renderLatencyMarkdown(f, SETTINGS);
  assert.match(md, /## Problems during the run\n\n- ambit: h2load: connection refused/);
  assert.match(md, /\*\*not measured\*\*/);
});

test('p99 above the send interval is called out as a lower bound', () => {
  const md = renderLatencyMarkdown(figures(6), SETTINGS);
  assert.match(md, /Here p99 went above it on ambit: read those p99 values as lower bounds/);
  assert.match(renderLatencyMarkdown(figures(0.5), SETTINGS), /Here every path's p99 stays below it/);
});

test('the chart shows every path\'s percentiles and the latency the two tunnels add', () => {
  const [abs, added] = latencyPanels(figures(0.45), SETTINGS);
  assert.deepEqual(abs.groups.map((g) => [g.label, g.values]), [['no mesh', [0.1, 0.2, 0.3]], ['ambit', [0.25, 0.4, 0.45]], ['stunnel', [0.2, 0.35, 0.6]]]);
  assert.deepEqual(added.groups.map((g) => [g.label, g.values]), [['ambit', [0.15, 0.2, 0.15]], ['stunnel', [0.1, 0.15, 0.3]]]);
  assert.match(added.title, /≤ 0\.2 ms at p99/);
});

test('no ratio against stunnel when stunnel\'s added latency is not positive (a noisy round)', () => {
  const f = figures(0.45);
  const odd: L4LatencyFigures = { ...f, latency: f.latency.map((x) => (x.path === 'stunnel' ? { ...x, addedMs: { p50: 0.1, p90: 0.1, p99: -0.2 } } : x)) };
  const p99 = compareWithStunnel(odd).find((c) => c.percentile === 'p99');
  assert.equal(p99?.ratio, null);
  assert.equal(p99?.differenceMs, 0.35);
  assert.match(renderLatencyMarkdown(odd, SETTINGS), /stunnel on the same path adds -0\.200 ms \(ambit ÷ stunnel –\)/);
});
