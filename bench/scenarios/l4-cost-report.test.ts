import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costPanels, renderCostMarkdown, tunnelCoreBusy, ztunnelGoals, type L4CostFigures, type L4CostSettings } from './l4-cost-report';
import type { CostFigure, CostLevel, CostProcess } from './l4-figures';

const LEVELS: CostLevel[] = [{ level: '1000', targetRps: 1000, connections: 4 }, { level: 'saturation', targetRps: null, connections: 16 }];

function p(name: string, vcpuPer1000Rps: number, rssMaxMb: number, vcpu = 0.1): CostProcess {
  return { name, vcpu, vcpuPer1000Rps, systemShare: 0.5, rssMaxMb, rssMeanMb: rssMaxMb - 2 };
}

function cell(path: string, level: string, achievedRps: number, processes: CostProcess[]): CostFigure {
  const l = LEVELS.find((x) => x.level === level)!;
  return { path, level, targetRps: l.targetRps, connections: l.connections, requests: achievedRps * 10, failed: 0, achievedRps, latencyMs: { p50: 0.5, p99: 1 }, processes, achievedRpsPerRound: [achievedRps] };
}

const FIGURES: L4CostFigures = {
  paths: [
    { id: 'direct', label: 'no mesh', description: 'pod to pod', tunnels: [] },
    { id: 'ambit', label: 'ambit', description: 'two ztunnels', tunnels: ['ztunnel-node1', 'ztunnel-node2'] },
    { id: 'stunnel', label: 'stunnel', description: 'stunnel pair', tunnels: ['stunnel-client', 'stunnel-server'] },
  ],
  levels: LEVELS,
  cost: [
    cell('direct', '1000', 1000, []),
    cell('ambit', '1000', 1000, [p('ztunnel-node1', 0.08, 90), p('ztunnel-node2', 0.05, 60)]),
    cell('stunnel', '1000', 1000, [p('stunnel-client', 0.04, 10), p('stunnel-server', 0.05, 12)]),
    cell('direct', 'saturation', 20000, []),
    cell('ambit', 'saturation', 15000, [p('ztunnel-node1', 0.03, 80, 0.5), p('ztunnel-node2', 0.03, 62, 0.45)]),
    cell('stunnel', 'saturation', 5000, [p('stunnel-client', 0.06, 13, 0.3), p('stunnel-server', 0.06, 14, 0.3)]),
  ],
};
const SETTINGS: L4CostSettings = { warmupSeconds: 3, seconds: 10, topology: { pinning: 'tunnels on core 0', rounds: 1 } };

test('per ztunnel and rate: CPU goal, memory budget and the ratio to the stunnel process on the same side', () => {
  const goals = ztunnelGoals(FIGURES);
  assert.deepEqual(goals.map((g) => [g.level, g.ztunnel, g.cpuVerdict, g.memoryVerdict, g.stunnel, g.cpuRatio, g.rssRatio]), [
    ['1000', 'ztunnel-node1', 'not met', 'not met', 'stunnel-client', 2, 9],
    ['1000', 'ztunnel-node2', 'met', 'met', 'stunnel-server', 1, 5],
    ['saturation', 'ztunnel-node1', 'met', 'not met', 'stunnel-client', 0.5, 6.15],
    ['saturation', 'ztunnel-node2', 'met', 'met', 'stunnel-server', 0.5, 4.43],
  ]);
});

test('the report says in words where the CPU goal is missed, and what limits the saturation rate', () => {
  const md = renderCostMarkdown(FIGURES, SETTINGS);
  assert.match(md, /the CPU goal is not met in 1 of 4 cases \(ztunnel-node1 at 1000\)/);
  assert.match(md, /\| 1000 \| ztunnel-node1 \| 0\.080 \| \*\*not met\*\* \| 90 \| \*\*not met\*\* \| stunnel-client \| 2\.00× \| 9\.00× \|/);
  assert.match(md, /\| ambit \| 15000 \| 0\.95 \| tunnel core \| 0\.75× \|/);
  assert.match(md, /\| stunnel \| 5000 \| 0\.60 \| load core \/ round trip \| 0\.25× \|/);
  assert.equal(tunnelCoreBusy(FIGURES.cost[0]), null);
});

test('all goals met reads as such', () => {
  const good: L4CostFigures = { ...FIGURES, cost: FIGURES.cost.map((c) => ({ ...c, processes: c.processes.map((x) => ({ ...x, vcpuPer1000Rps: 0.01 })) })) };
  assert.match(renderCostMarkdown(good, SETTINGS), /the CPU goal is met by both ztunnels at every rate measured/);
});

test('the chart: CPU per 1000 req/s and RSS per tunnel process per rate, and the saturation rates', () => {
  const [cpu, rss, sat] = costPanels(FIGURES);
  assert.deepEqual(cpu.series, ['1000 req/s', 'saturation']);
  assert.deepEqual(cpu.groups.map((g) => [g.label, g.values]), [
    ['ztunnel-node1', [0.08, 0.03]], ['ztunnel-node2', [0.05, 0.03]], ['stunnel-client', [0.04, 0.06]], ['stunnel-server', [0.05, 0.06]],
  ]);
  assert.deepEqual(rss.groups[0].values, [90, 80]);
  assert.deepEqual(sat.groups.map((g) => [g.label, g.values]), [['no mesh', [20000]], ['ambit', [15000]], ['stunnel', [5000]]]);
});
