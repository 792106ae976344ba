import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReportMarkdown, reportPanels, type ReportSettings } from './hbone-loopback-report';
import type { HboneLoopbackFigures } from './hbone-loopback-figures';

const SETTINGS: ReportSettings = {
  bulkSeconds: 10, parallel: [1, 4], rounds: 3, cores: { tunnel: 0, load: 1 },
  latency: { totalRps: 1000, connections: 4, seconds: 10, warmupSeconds: 3 },
};

const FIGURES: HboneLoopbackFigures = {
  paths: [
    { id: 'direct', label: 'direct', description: 'no tunnel', processes: [] },
    { id: 'hbone', label: 'ambit HBONE', description: 'agent pair', processes: ['hbone-client-agent', 'hbone-server-agent'] },
    { id: 'stunnel', label: 'stunnel pair', description: 'stunnel pair', processes: ['stunnel-client', 'stunnel-server'] },
  ],
  bulk: [
    { path: 'direct', parallel: 1, gbps: 20, bytes: 2.5e10, seconds: 10, retransmits: 0, cpuSecondsPerGB: null, processes: [], backend: [], gbpsPerRound: [20, 19, 21] },
    {
      path: 'hbone', parallel: 1, gbps: 2.5, bytes: 3.1e9, seconds: 10, retransmits: 0, cpuSecondsPerGB: 3,
      processes: [{ name: 'hbone-client-agent', cpuSeconds: 4.6, systemShare: 0.3, rssMaxMb: 90, cpuSecondsPerGB: 1.5 }], backend: [],
    },
    { path: 'stunnel', parallel: 1, gbps: null, bytes: 0, seconds: 0, retransmits: 0, cpuSecondsPerGB: null, processes: [], backend: [], error: 'iperf3: connection refused' },
  ],
  latency: [],
};

test('the report names every path, shows figures, rounds and failures', () => {
  const md = renderReportMarkdown(FIGURES, SETTINGS);
  assert.match(md, /tunnel processes pinned to core 0; load generator and backends to core 1/);
  assert.match(md, /median of 3 rounds/);
  assert.match(md, /\| ambit HBONE \| 1 \| 2\.50 \| {2}\| 3\.00 \| hbone-client-agent 1\.50 \(30 %\) \| hbone-client-agent 90 \|/);
  assert.match(md, /\| direct \| 1 \| 20\.00 \| 20\.00, 19\.00, 21\.00 \|/);
  assert.match(md, /failed: iperf3: connection refused/);
  assert.match(md, /## Problems during the run\n\n- bulk stunnel pair ×1: iperf3: connection refused/);
  assert.match(md, /## HBONE against stunnel/);
});

test('chart panels: one group per path, CPU panel only for tunnelled paths', () => {
  const panels = reportPanels(FIGURES, SETTINGS);
  assert.equal(panels.length, 3);
  assert.deepEqual(panels[0].series, ['1 stream', '4 streams']);
  assert.deepEqual(panels[0].groups.map((g) => g.label), ['direct', 'ambit HBONE', 'stunnel pair']);
  assert.deepEqual(panels[0].groups[1].values, [2.5, null]);
  assert.deepEqual(panels[1].groups.map((g) => g.label), ['ambit HBONE', 'stunnel pair']);
  assert.deepEqual(panels[2].series, ['p50', 'p90', 'p99']);
});
