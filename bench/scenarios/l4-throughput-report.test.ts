import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BulkFigure } from './hbone-loopback-figures';
import { renderThroughputMarkdown, throughputGoals, throughputPanels, type L4ThroughputFigures, type L4ThroughputSettings } from './l4-throughput-report';

function bulk(path: string, parallel: number, gbps: number | null, cpu: number | null, error?: string): BulkFigure {
  return {
    path, parallel, gbps, bytes: 1e10, seconds: 10, retransmits: 0, cpuSecondsPerGB: cpu,
    processes: cpu === null ? [] : [{ name: `${path}-a`, cpuSeconds: 10, systemShare: 0.25, rssMaxMb: 50, cpuSecondsPerGB: cpu }],
    backend: [], gbpsPerRound: [gbps, gbps], ...(error ? { error } : {}),
  };
}

const FIGURES: L4ThroughputFigures = {
  paths: [
    { id: 'direct', label: 'no mesh', description: 'pod to pod', tunnels: [] },
    { id: 'ambit', label: 'ambit', description: 'two ztunnels', tunnels: ['ambit-a'] },
    { id: 'stunnel', label: 'stunnel', description: 'stunnel pair', tunnels: ['stunnel-a'] },
  ],
  bulk: [
    bulk('direct', 1, 8, null), bulk('ambit', 1, 3, 2), bulk('stunnel', 1, 2.5, 2.5),
    bulk('direct', 8, 10, null), bulk('ambit', 8, null, null, 'iperf3: timeout'), bulk('stunnel', 8, 2.8, 2.4),
  ],
};
const SETTINGS: L4ThroughputSettings = { seconds: 10, parallel: [1, 8], topology: { pinning: 'tunnels on core 0', rounds: 3 } };

test('the goal per stream count: ambit at least stunnel\'s Gbit/s; a failed ambit run is not measured', () => {
  const goals = throughputGoals(FIGURES, [1, 8]);
  assert.deepEqual(goals.map((g) => [g.parallel, g.ratio, g.cpuRatio, g.verdict]), [[1, 1.2, 0.8, 'met'], [8, null, null, 'not measured']]);
  const md = renderThroughputMarkdown(FIGURES, SETTINGS);
  assert.match(md, /- one stream: \*\*met\*\* — ambit 3\.00 Gbit\/s, stunnel 2\.50 Gbit\/s \(ambit ÷ stunnel 1\.20×\); CPU per GB ambit ÷ stunnel 0\.80×/);
  assert.match(md, /- 8 parallel streams: \*\*not measured\*\*/);
  assert.match(md, /ambit-a 2\.00 \(user 1\.50 \/ kernel 0\.50\)/);
  assert.match(md, /- ambit ×8: iperf3: timeout/);
});

test('the chart: Gbit/s for every path, CPU per GB for the tunnelled ones', () => {
  const [gbps, cpu] = throughputPanels(FIGURES, SETTINGS);
  assert.deepEqual(gbps.series, ['1 stream', '8 streams']);
  assert.deepEqual(gbps.groups.map((g) => [g.label, g.values]), [['no mesh', [8, 10]], ['ambit', [3, null]], ['stunnel', [2.5, 2.8]]]);
  assert.deepEqual(cpu.groups.map((g) => g.label), ['ambit', 'stunnel']);
});
