import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessUsage } from '../harness/sampler';
import { summarize } from '../harness/stats';
import type { LatencyFigure } from './hbone-loopback-figures';
import { addedLatencyByRounds, bulkFigure, costFigure, latencyFigure, pickCost, ratio, totalVcpuPer1000, verdict, type CostFigure, type RequestRun } from './l4-figures';
import { requestLoadArgs } from './l4-measure';

function usage(name: string, user: number, system: number, rssKb = 80 * 1024): ProcessUsage {
  return { name, cpuSeconds: user + system, userSeconds: user, systemSeconds: system, rssMaxKb: rssKb, rssMeanKb: rssKb / 2, exited: false };
}

const RUN: RequestRun = {
  path: 'ambit', requests: 10_000, failed: 2, spanSeconds: 10, wallSeconds: 10,
  latencyUs: summarize([300, 400, 500, 600, 1000]),
  processes: [usage('ztunnel-node1', 0.3, 0.2), usage('ztunnel-node2', 0.2, 0.2)],
};

test('latency figure: ms percentiles, achieved rate and CPU per 1000 requests per tunnel process', () => {
  const f = latencyFigure(RUN);
  assert.equal(f.latencyMs.p50, 0.5);
  assert.equal(f.latencyMs.max, 1);
  assert.equal(f.achievedRps, 1000);
  assert.equal(f.vcpuPer1000Rps, 0.09);
  assert.deepEqual(f.processes.map((p) => [p.name, p.vcpuPer1000Rps, p.systemShare, p.rssMaxMb]), [['ztunnel-node1', 0.05, 0.4, 80], ['ztunnel-node2', 0.04, 0.5, 80]]);
  assert.equal(f.error, undefined);
  const direct = latencyFigure({ ...RUN, path: 'direct', processes: [] });
  assert.equal(direct.vcpuPer1000Rps, null);
});

test('bulk figure: Gbit/s from iperf3 and CPU seconds per GB per process; a failed run has no rate', () => {
  const f = bulkFigure({ path: 'stunnel', parallel: 8, result: { bytes: 2e9, seconds: 10, bitsPerSecond: 1.6e9, retransmits: 3 }, processes: [usage('stunnel-client', 1, 1), usage('stunnel-server', 0.5, 1.5)] });
  assert.equal(f.gbps, 1.6);
  assert.equal(f.cpuSecondsPerGB, 2);
  assert.deepEqual(f.processes.map((p) => p.cpuSecondsPerGB), [1, 1]);
  const failed = bulkFigure({ path: 'ambit', parallel: 1, result: null, processes: [], error: 'iperf3: connection refused' });
  assert.equal(failed.gbps, null);
  assert.equal(failed.error, 'iperf3: connection refused');
});

test('cost figure: vCPU over the window, vCPU per 1000 req/s, RSS max and mean', () => {
  const f = costFigure(RUN, { level: '1000', targetRps: 1000, connections: 4 });
  assert.equal(f.level, '1000');
  assert.equal(f.achievedRps, 1000);
  assert.deepEqual(f.processes[0], { name: 'ztunnel-node1', vcpu: 0.05, vcpuPer1000Rps: 0.05, systemShare: 0.4, rssMaxMb: 80, rssMeanMb: 40 });
  assert.equal(totalVcpuPer1000(f), 0.09);
  assert.equal(totalVcpuPer1000({ ...f, processes: [] }), null);
});

function cost(level: string, targetRps: number | null, achievedRps: number, vcpu: number, error?: string): CostFigure {
  return {
    path: 'ambit', level, targetRps, connections: 4, requests: achievedRps * 10, failed: 0, achievedRps, latencyMs: { p50: 1, p99: 2 },
    processes: [{ name: 'ztunnel-node1', vcpu, vcpuPer1000Rps: vcpu, systemShare: 0.5, rssMaxMb: 80, rssMeanMb: 70 }], ...(error ? { error } : {}),
  };
}

test('median cost round: by CPU at a fixed rate, by achieved rate at saturation; every round\'s rate kept', () => {
  const fixed = pickCost([cost('1000', 1000, 1000, 0.07), cost('1000', 1000, 999, 0.05), cost('1000', 1000, 1001, 0.06)]);
  assert.equal(fixed?.processes[0].vcpuPer1000Rps, 0.06);
  assert.deepEqual(fixed?.achievedRpsPerRound, [1000, 999, 1001]);
  const sat = pickCost([cost('saturation', null, 9000, 0.03), cost('saturation', null, 12000, 0.02), cost('saturation', null, 10000, 0.01)]);
  assert.equal(sat?.achievedRps, 10000);
  const failedOnes = pickCost([cost('1000', 1000, 0, 0.1, 'h2load: refused'), cost('1000', 1000, 1000, 0.2)]);
  assert.equal(failedOnes?.processes[0].vcpu, 0.2);
  assert.equal(pickCost([]), undefined);
});

test('ratios and verdicts', () => {
  assert.equal(ratio(1, 4), 0.25);
  assert.equal(ratio(1, 0), null);
  assert.equal(ratio(null, 2), null);
  assert.equal(verdict(0.05, { atMost: 0.06 }), 'met');
  assert.equal(verdict(0.07, { atMost: 0.06 }), 'not met');
  assert.equal(verdict(1.2, { atLeast: 1 }), 'met');
  assert.equal(verdict(0.8, { atLeast: 1 }), 'not met');
  assert.equal(verdict(null, { atMost: 1 }), 'not measured');
});

test('h2load load: --rps per connection at a fixed rate, none in a closed loop', () => {
  const fixed = requestLoadArgs('http://198.18.130.3:8080/', { warmupSeconds: 3, seconds: 10, connections: 20, totalRps: 5000 }, 10, '/tmp/x.log');
  assert.deepEqual(fixed, ['--h1', '-c', '20', '-t', '1', '--rps', '250', '-D', '10', '--log-file', '/tmp/x.log', 'http://198.18.130.3:8080/']);
  const closed = requestLoadArgs('http://198.18.130.3:8080/', { warmupSeconds: 3, seconds: 10, connections: 16, totalRps: null }, 3);
  assert.deepEqual(closed, ['--h1', '-c', '16', '-t', '1', '-D', '3', 'http://198.18.130.3:8080/']);
});

function latRound(path: string, p50: number, p99: number, error?: string): LatencyFigure {
  return {
    path, requests: 100, failed: 0, achievedRps: 1000, latencyMs: { p50, p90: p50, p99, p999: p99, max: p99, mean: p50 },
    vcpuPer1000Rps: null, processes: [], backend: [], ...(error ? { error } : {}),
  };
}

test('added latency is taken per round against no mesh of the same round, then the median over rounds', () => {
  const rounds = new Map([
    ['direct', [latRound('direct', 0.3, 4), latRound('direct', 0.3, 1), latRound('direct', 0.4, 1)]],
    // round 1 was noisy for no mesh: its p99 difference is negative, the median ignores it
    ['ambit', [latRound('ambit', 0.7, 2), latRound('ambit', 0.8, 1.5), latRound('ambit', 0.9, 1.6)]],
    ['stunnel', [latRound('stunnel', 0.5, 1.3), latRound('stunnel', 0, 0, 'refused'), latRound('stunnel', 0.6, 1.2)]],
  ]);
  const added = addedLatencyByRounds(rounds);
  assert.deepEqual(added.get('ambit'), { p50: 0.5, p90: 0.5, p99: 0.5 });
  assert.deepEqual(added.get('stunnel'), { p50: 0.2, p90: 0.2, p99: -2.7 });
  assert.equal(added.has('direct'), false);
});
