import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareLatency, coreBusyShares, L7_RPS_LEVELS, latencyGoal, parseCoreTimes, pickL7Cost, proxyCosts, saturationRows } from './l7-figures';
import { cost, lat, PATHS, proc } from './l7-test-fixtures';

const LATENCY = [
  lat('direct', [0.3, 0.4, 0.6]),
  lat('ztunnel', [0.6, 0.8, 1.1], [0.3, 0.4, 0.5]),
  lat('waypoint', [1.3, 1.6, 2.2], [1.0, 1.2, 1.6]),
  lat('haproxy', [0.5, 0.6, 0.9], [0.2, 0.2, 0.3]),
  lat('haproxy-tls', [0.9, 1.2, 1.4], [0.5, 0.8, -0.1]),
];

test('added latency per path, the L7 hop (waypoint − ztunnel) and the waypoint against HAProxy', () => {
  const rows = compareLatency(LATENCY);
  assert.deepEqual(rows.map((r) => r.percentile), ['p50', 'p90', 'p99']);
  assert.deepEqual(rows[0], { percentile: 'p50', ztunnelMs: 0.3, waypointMs: 1, haproxyMs: 0.2, haproxyTlsMs: 0.5, l7HopMs: 0.7, waypointOverHaproxyTls: 2, waypointOverHaproxy: 5 });
  assert.equal(rows[1].waypointOverHaproxyTls, 1.5);
  // A negative addition (noise) gives no ratio, nor does one within the noise (< 0.05 ms).
  assert.equal(rows[2].waypointOverHaproxyTls, null);
  assert.equal(compareLatency([lat('waypoint', [1, 1, 1], [1, 1, 1]), lat('haproxy', [1, 1, 1], [0.005, 0.05, 0.1])]).map((r) => r.waypointOverHaproxy).join(), ',20,10');
  assert.equal(rows[2].l7HopMs, 1.1);
});

test('the latency goal: the waypoint path adds at most 1.5 ms p99; a missing or failed waypoint path is not measured', () => {
  assert.deepEqual(latencyGoal(LATENCY), { value: 1.6, verdict: 'not met' });
  assert.deepEqual(latencyGoal([lat('waypoint', [1, 1, 1], [0.5, 0.6, 1.4])]), { value: 1.4, verdict: 'met' });
  assert.equal(latencyGoal(LATENCY.filter((f) => f.path !== 'waypoint')).verdict, 'not measured');
  assert.equal(latencyGoal([lat('waypoint', [0, 0, 0], [0, 0, 0], 'refused')]).verdict, 'not measured');
  assert.equal(compareLatency([lat('waypoint', [0, 0, 0], [1, 1, 1], 'refused')])[0].waypointMs, null);
});

const COST = [
  cost('direct', '1000', 1000, []),
  cost('waypoint', '1000', 1000, [proc('ztunnel-node1', 0.05, 50), proc('waypoint', 0.2, 90), proc('ztunnel-node2', 0.05, 50)]),
  cost('haproxy', '1000', 1000, [proc('haproxy', 0.04, 15)]),
  cost('haproxy-tls', '1000', 1000, [proc('stunnel-client', 0.04, 6), proc('haproxy', 0.08, 18), proc('stunnel-server', 0.04, 6)]),
  cost('direct', 'saturation', 10_000, []),
  cost('ztunnel', 'saturation', 6000, [proc('ztunnel-node1', 0.04, 55, 0.5), proc('ztunnel-node2', 0.04, 55, 0.48)]),
  cost('waypoint', 'saturation', 2000, [proc('ztunnel-node1', 0.04, 55, 0.1), proc('waypoint', 0.4, 120, 0.7), proc('ztunnel-node2', 0.04, 55, 0.1)]),
  cost('haproxy', 'saturation', 8000, [proc('haproxy', 0.02, 16, 0.3)]),
  cost('haproxy-tls', 'saturation', 0, [], 'h2load: connection refused'),
];

test('the waypoint process against its CPU goal and against HAProxy\'s process, per level', () => {
  const [at1000, sat] = proxyCosts(COST, L7_RPS_LEVELS);
  assert.equal(at1000.level, '1000');
  assert.equal(at1000.waypoint?.vcpuPer1000Rps, 0.2);
  assert.equal(at1000.cpuVerdict, 'met');
  assert.equal(at1000.cpuRatio, 5);
  assert.equal(at1000.cpuRatioTls, 2.5);
  assert.equal(at1000.rssRatio, 6);
  assert.equal(sat.cpuVerdict, 'not met');
  assert.equal(sat.haproxyTls, undefined);
  assert.equal(sat.cpuRatioTls, null);
  assert.equal(proxyCosts(COST.filter((c) => c.path !== 'waypoint'), L7_RPS_LEVELS)[0].cpuVerdict, 'not measured');
});

test('saturation rows: rate against no mesh, the proxy core busy and what set the rate', () => {
  const rows = saturationRows(COST, PATHS);
  const by = new Map(rows.map((r) => [r.path, r]));
  assert.deepEqual([by.get('direct')?.achievedRps, by.get('direct')?.toDirect, by.get('direct')?.limit], [10_000, 1, 'load core / round trip']);
  assert.deepEqual([by.get('ztunnel')?.proxyCoreBusy, by.get('ztunnel')?.limit, by.get('ztunnel')?.toDirect], [0.98, 'proxy core', 0.6]);
  assert.deepEqual([by.get('waypoint')?.proxyCoreBusy, by.get('waypoint')?.limit, by.get('waypoint')?.vcpuPer1000Rps], [0.9, 'proxy core', 0.48]);
  assert.deepEqual([by.get('haproxy')?.proxyCoreBusy, by.get('haproxy')?.limit], [0.3, 'load core / round trip']);
  assert.deepEqual([by.get('haproxy-tls')?.achievedRps, by.get('haproxy-tls')?.limit, by.get('haproxy-tls')?.perRound], [null, '–', [0, 100]]);
});

test('core busy shares from two /proc/stat readings: everything but idle and iowait, per core', () => {
  const before = 'cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 100 0 50 800 10 0 5 0 0 0\ncpu1 100 0 50 800 10 0 5 0 0 0\nintr 1 2 3\n';
  const after = 'cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 180 0 60 810 10 0 5 0 0 0\ncpu1 120 0 55 860 20 0 10 0 0 0\n';
  assert.deepEqual(parseCoreTimes(before).get(0), { busy: 155, total: 965 });
  assert.deepEqual(coreBusyShares(before, after), [0.9, 0.3]);
  assert.deepEqual(coreBusyShares('', after), [0, 0]);
});

test('what set the saturation rate: a full core (all work counted), else the round trip; without core shares the proxies\' CPU decides', () => {
  const sat = (path: string, busy: readonly number[] | undefined, vcpu = 0.5): ReturnType<typeof cost> & { coreBusy?: readonly number[] } =>
    ({ ...cost(path, 'saturation', 1000, path === 'direct' ? [] : [proc(path, 0.1, 20, vcpu)]), ...(busy ? { coreBusy: busy } : {}) });
  const limit = (f: ReturnType<typeof sat>): string => saturationRows([f], PATHS.filter((p) => p.id === f.path), 'saturation', { proxy: 0, load: 1 })[0].limit;
  assert.equal(limit(sat('haproxy', [0.95, 0.5])), 'proxy core');
  assert.equal(limit(sat('haproxy', [0.5, 0.92])), 'load core');
  assert.equal(limit(sat('haproxy', [0.93, 0.92])), 'both cores');
  assert.equal(limit(sat('haproxy', [0.6, 0.7])), 'neither core full: round trip');
  assert.equal(limit(sat('direct', [0.95, 0.5])), 'neither core full: round trip');
  assert.equal(limit(sat('haproxy', undefined, 0.95)), 'proxy core');
  const row = saturationRows([sat('haproxy', [0.6, 0.7])], PATHS, 'saturation', { proxy: 0, load: 1 }).find((r) => r.path === 'haproxy');
  assert.deepEqual([row?.proxyCoreAll, row?.loadCoreAll], [0.6, 0.7]);
});

test('the median round keeps its own core shares', () => {
  const rounds = [3000, 1000, 2000].map((rps, i) => ({ ...cost('waypoint', 'saturation', rps, [proc('waypoint', 0.2, 100)]), coreBusy: [i / 10, 0.5] }));
  const picked = pickL7Cost(rounds);
  assert.equal(picked?.achievedRps, 2000);
  assert.deepEqual(picked?.coreBusy, [0.2, 0.5]);
  assert.deepEqual(picked?.achievedRpsPerRound, [3000, 1000, 2000]);
});
