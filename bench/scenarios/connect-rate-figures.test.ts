import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientResult as result, tunnelUsage } from './connect-rate-test-fixtures';
import { cpuMsPer1000, failedFigure, pickRate, rateFigure, ratios, withAddedLatency, type RateFigure } from './connect-rate-figures';

test('CPU per 1000 connections counts every connection of the run the CPU window covered', () => {
  const f = rateFigure('ambit', result(), [tunnelUsage('ztunnel-node1', 2), tunnelUsage('ztunnel-node2', 1.5)], [
    { processes: ['ztunnel-node1'], activeOpens: 2, passiveOpens: 10_000 },
    { processes: ['ztunnel-node2'], activeOpens: 10_000, passiveOpens: 2 },
  ]);
  assert.equal(f.cpuMsPer1000, 350); // 3.5 CPU-s over 10 000 connections
  assert.deepEqual(f.processes.map((p) => [p.name, p.cpuMsPer1000, p.systemShare]), [['ztunnel-node1', 200, 0.4], ['ztunnel-node2', 150, 0.4]]);
  assert.equal(f.tunnelOpensPer1000, 0.2);
  assert.equal(f.handshakes, 'pooled');
  assert.equal(f.error, undefined);
  assert.equal(cpuMsPer1000(1, 0), null);
});

test('the direct path has no tunnel figures; errors, a hard stop and a lost process are reported', () => {
  const direct = rateFigure('direct', result(), [], []);
  assert.equal(direct.cpuMsPer1000, null);
  assert.equal(direct.handshakes, 'no-evidence');
  const bad = rateFigure('stunnel', result({ errors: { ECONNRESET: 3 }, errorTotal: 3, hardStopped: true }), [tunnelUsage('stunnel-client', 1, { exited: true })], []);
  assert.match(bad.error ?? '', /3 × ECONNRESET/);
  assert.match(bad.error ?? '', /hard stop/);
  assert.match(bad.error ?? '', /exited during the measurement: stunnel-client/);
});

test('traffic the tunnels never saw is flagged', () => {
  const f = rateFigure('ambit', result(), [tunnelUsage('ztunnel-node1', 0.01)], [{ processes: ['ztunnel-node1'], activeOpens: 3, passiveOpens: 4 }]);
  assert.match(f.error ?? '', /saw 4 TCP opens for 10000 connections/);
});

const fig = (path: string, concurrency: number, rate: number | null, p50: number | null, cpu: number | null): RateFigure => ({
  ...failedFigure(path, concurrency, 'x'),
  error: undefined,
  completed: rate === null ? 0 : rate * 8,
  connectionsPerSecond: rate,
  latencyMs: { p50, p90: p50, p99: p50 === null ? null : p50 * 2, max: null, mean: null },
  cpuMsPer1000: cpu,
});

test('the median round by rate is reported with every round\'s rate', () => {
  const picked = pickRate([fig('ambit', 8, 900, 1, 1), fig('ambit', 8, 1100, 1, 1), fig('ambit', 8, 1000, 1, 1)]);
  assert.equal(picked?.connectionsPerSecond, 1000);
  assert.deepEqual(picked?.ratePerRound, [900, 1100, 1000]);
});

test('added latency over direct and ratios ambit/stunnel per concurrency', () => {
  const rates = withAddedLatency([fig('direct', 1, 4000, 0.2, null), fig('ambit', 1, 1000, 0.8, 500), fig('stunnel', 1, 500, 1.6, 2000), fig('ambit', 32, 3000, 5, 400), fig('stunnel', 32, null, null, null)]);
  assert.deepEqual(rates[1].addedMs, { p50: 0.6, p90: 0.6, p99: 1.2 });
  assert.equal(rates[3].addedMs, undefined);
  const r = ratios({ paths: [], rates }, 'ambit', 'stunnel');
  assert.deepEqual(r, [
    { concurrency: 1, what: 'connections/s', value: 2 },
    { concurrency: 1, what: 'p50 latency', value: 0.5 },
    { concurrency: 1, what: 'CPU per 1000 connections', value: 0.25 },
    { concurrency: 32, what: 'connections/s', value: null },
    { concurrency: 32, what: 'p50 latency', value: null },
    { concurrency: 32, what: 'CPU per 1000 connections', value: null },
  ]);
});
