import { test } from 'node:test';
import assert from 'node:assert/strict';
import { L7_RPS_LEVELS } from './l7-figures';
import { l7RpsPanels, renderL7RpsMarkdown, rpsLevelTitle, type L7RpsFigures, type L7RpsSettings } from './l7-rps-report';
import { cost, PATHS, proc } from './l7-test-fixtures';

const SETTINGS: L7RpsSettings = { warmupSeconds: 3, seconds: 10, topology: { pinning: 'every proxy process pinned to core 0', rounds: 3 } };

const FIGURES: L7RpsFigures = {
  paths: PATHS,
  cores: { proxy: 0, load: 1 },
  levels: L7_RPS_LEVELS,
  cost: [
    cost('direct', '1000', 1000, []),
    cost('waypoint', '1000', 1000, [proc('ztunnel-node1', 0.05, 50), proc('waypoint', 0.3, 90), proc('ztunnel-node2', 0.05, 50)]),
    cost('haproxy', '1000', 1000, [proc('haproxy', 0.04, 15)]),
    cost('direct', 'saturation', 10_000, []),
    { ...cost('waypoint', 'saturation', 2000, [proc('ztunnel-node1', 0.04, 55, 0.1), proc('waypoint', 0.2, 120, 0.7), proc('ztunnel-node2', 0.04, 55, 0.1)]), coreBusy: [0.97, 0.5] },
    { ...cost('haproxy', 'saturation', 8000, [proc('haproxy', 0.02, 16, 0.3)]), coreBusy: [0.4, 0.95] },
    cost('haproxy-tls', 'saturation', 0, [], 'h2load: connection refused'),
  ],
};

test('the goal table gives the waypoint\'s CPU per 1000 req/s with its verdict beside HAProxy\'s, per rate', () => {
  const md = renderL7RpsMarkdown(FIGURES, SETTINGS);
  assert.match(md, /at most 0\.25 vCPU per 1000 req\/s \(Istio's Envoy waypoint/);
  assert.match(md, /\| 1000 \| 0\.300 \| \*\*not met\*\* \| 90 \| 0\.040 \/ – \| 15 \| 7\.50× \/ – \| 6\.00× \|/);
  assert.match(md, /\| saturation \| 0\.200 \| \*\*met\*\* \| 120 \| 0\.020 \/ – \| 16 \| 10\.00× \/ – \| 7\.50× \|/);
});

test('the saturation table names what set each path\'s rate and compares it with no mesh', () => {
  const md = renderL7RpsMarkdown(FIGURES, SETTINGS);
  assert.match(md, /\| waypoint \| 2000 \| 2000, 2100 \| 0\.20× \| 0\.90 \| 0\.97 \| 0\.50 \| proxy core \| 0\.280 \|/);
  assert.match(md, /\| HAProxy \| 8000 \| 8000, 8100 \| 0\.80× \| 0\.30 \| 0\.40 \| 0\.95 \| load core \| 0\.020 \|/);
  assert.match(md, /\| no mesh \| 10000 \| 10000, 10100 \| 1\.00× \| – \| – \| – \| load core \/ round trip \| – \|/);
  assert.match(md, /- HAProxy \+ mTLS at saturation: h2load: connection refused/);
  assert.match(md, /\| saturation \| HAProxy \+ mTLS \| failed: h2load: connection refused \|/);
});

test('without the waypoint path the goal is not measured', () => {
  const md = renderL7RpsMarkdown({ ...FIGURES, paths: PATHS.filter((p) => p.id !== 'waypoint'), cost: FIGURES.cost.filter((c) => c.path !== 'waypoint') }, SETTINGS);
  assert.match(md, /\*\*not measured\*\*: the waypoint path was left out of this run/);
});

test('level titles and chart panels: saturation rates, then CPU and RSS per proxy process and path', () => {
  assert.equal(rpsLevelTitle(L7_RPS_LEVELS[0]), '1000 req/s (4 connections × 250 req/s)');
  assert.equal(rpsLevelTitle(L7_RPS_LEVELS[1]), 'saturation (closed loop, 16 connections)');
  const [rates, total, cpu, rss] = l7RpsPanels(FIGURES);
  assert.deepEqual(rates.groups.map((g) => [g.label, g.values[0]]), [['no mesh', 10_000], ['ztunnel only', null], ['waypoint', 2000], ['HAProxy', 8000], ['HAProxy + mTLS', null]]);
  assert.deepEqual(total.groups.map((g) => [g.label, ...g.values]), [['ztunnel only', null, null], ['waypoint', 0.4, 0.28], ['HAProxy', 0.04, 0.02], ['HAProxy + mTLS', null, null]]);
  assert.deepEqual(cpu.series, ['1000 req/s', 'saturation']);
  assert.deepEqual(cpu.groups.map((g) => [g.label, ...g.values]), [['waypoint', 0.3, 0.2], ['HAProxy', 0.04, 0.02], ['HAProxy (mTLS path)', null, null]]);
  assert.deepEqual(rss.groups.find((g) => g.label === 'HAProxy')?.values, [15, 16]);
});
