import { test } from 'node:test';
import assert from 'node:assert/strict';
import { l7LatencyPanels, renderL7LatencyMarkdown, type L7LatencyFigures, type L7LatencySettings } from './l7-latency-report';
import { lat, PATHS } from './l7-test-fixtures';

const SETTINGS: L7LatencySettings = { totalRps: 1000, connections: 4, seconds: 10, warmupSeconds: 3, topology: { pinning: 'every proxy process pinned to core 0', nice: -10, rounds: 3 } };

const FIGURES: L7LatencyFigures = {
  paths: PATHS,
  latency: [
    lat('direct', [0.3, 0.4, 0.6]),
    lat('ztunnel', [0.6, 0.8, 1.1], [0.3, 0.4, 0.5]),
    lat('waypoint', [1.3, 1.6, 2.2], [1.0, 1.2, 1.6]),
    lat('haproxy', [0.5, 0.6, 0.9], [0.2, 0.2, 0.3]),
    lat('haproxy-tls', [0.9, 1.2, 1.4], [0.5, 0.8, 0.8]),
  ],
};

test('the goal line says met or not with the waypoint path\'s addition and HAProxy\'s beside it', () => {
  const md = renderL7LatencyMarkdown(FIGURES, SETTINGS);
  assert.match(md, /\*\*not met\*\*: the waypoint path adds 1\.600 ms p99; HAProxy with mTLS on the same hops adds 0\.800 ms \(waypoint ÷ HAProxy \+ mTLS 2\.00×\); plain HAProxy \(no mTLS\) adds 0\.300 ms\./);
  assert.match(md, /Added by the waypoint path at p50 \/ p90 \/ p99: 1\.000 \/ 1\.200 \/ 1\.600 ms/);
  assert.match(md, /\| p50 \| 0\.300 \| 1\.000 \| 0\.700 \| 0\.200 \| 0\.500 \| 2\.00× \| 5\.00× \|/);
  assert.match(md, /Plain HAProxy is an L7 hop \*\*without mTLS\*\*/);
  assert.match(md, /one access-log line per request to its pod log/);
  assert.match(md, /every measured process at nice -10/);
  assert.match(md, /median of 3 rounds/);
  assert.doesNotMatch(md, /Problems during the run/);
  assert.doesNotMatch(md, /faster than no mesh/);
});

test('a path faster than no mesh at p50 gets a note to read it as about zero', () => {
  const md = renderL7LatencyMarkdown({ ...FIGURES, latency: [...FIGURES.latency.slice(0, 3), lat('haproxy', [0.25, 0.3, 0.5], [-0.05, -0.1, -0.1])] }, SETTINGS);
  assert.match(md, /- HAProxy came out faster than no mesh at p50\. Most likely the cores/);
});

test('a run without the waypoint path says the goal was not measured; a failed path is listed as a problem', () => {
  const md = renderL7LatencyMarkdown({
    paths: PATHS.filter((p) => p.id !== 'waypoint'),
    latency: [...FIGURES.latency.filter((f) => f.path !== 'waypoint' && f.path !== 'haproxy'), lat('haproxy', [0, 0, 0], undefined, 'h2load: connection refused')],
  }, SETTINGS);
  assert.match(md, /\*\*not measured\*\*: the waypoint path was left out of this run/);
  assert.match(md, /## Problems during the run\n\n- HAProxy: h2load: connection refused/);
});

test('p99 above the send interval is flagged as a lower bound', () => {
  const md = renderL7LatencyMarkdown({ ...FIGURES, latency: [...FIGURES.latency.slice(0, 2), { ...FIGURES.latency[2], latencyMs: { ...FIGURES.latency[2].latencyMs, p99: 7 } }] }, SETTINGS);
  assert.match(md, /Here p99 went above it on waypoint: read those p99 values as lower bounds/);
});

test('the chart shows every path\'s percentiles and the additions of every path but no mesh', () => {
  const [abs, added] = l7LatencyPanels(FIGURES, SETTINGS);
  assert.deepEqual(abs.groups.map((g) => g.label), ['no mesh', 'ztunnel only', 'waypoint', 'HAProxy', 'HAProxy + mTLS']);
  assert.deepEqual(abs.groups[2].values, [1.3, 1.6, 2.2]);
  assert.deepEqual(added.groups.map((g) => g.label), ['ztunnel only', 'waypoint', 'HAProxy', 'HAProxy + mTLS']);
  assert.deepEqual(added.groups[1].values, [1, 1.2, 1.6]);
});
