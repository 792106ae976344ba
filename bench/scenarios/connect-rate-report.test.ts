import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rateFigure, withAddedLatency, type ConnectRateFigures } from './connect-rate-figures';
import { connectRatePanels, renderConnectRateMarkdown, type ConnectRateSettings } from './connect-rate-report';
import { clientArgs, runTimeoutMs } from './connect-rate-measure';
import { clientResult as result, tunnelUsage } from './connect-rate-test-fixtures';

const settings: ConnectRateSettings = { concurrencies: [1, 8], warmupSeconds: 2, seconds: 8, payloadBytes: 64, timeoutMs: 5000, topology: { pinning: 'tunnels on core 0', rounds: 3 }, twReuse: { direct: '=1', ambit: '=1' } };
const u = (name: string, cpuSeconds: number) => tunnelUsage(name, cpuSeconds, { kernelShare: 0 });

function figures(): ConnectRateFigures {
  const rates = [1, 8].flatMap((c) => [
    rateFigure('direct', result({ concurrency: c, connectionsPerSecond: 4000, latencyMs: { p50: 0.2, p90: 0.3, p99: 0.5, max: 2, mean: 0.25 } }), [], []),
    rateFigure('ambit', result({ concurrency: c, connectionsPerSecond: 2500 }), [u('ztunnel-node1', 2), u('ztunnel-node2', 2)], [
      { processes: ['ztunnel-node1'], activeOpens: 1, passiveOpens: 10_000 }, { processes: ['ztunnel-node2'], activeOpens: 10_000, passiveOpens: 1 }]),
    rateFigure('stunnel', result({ concurrency: c, connectionsPerSecond: 700, errors: { ECONNRESET: 2 }, errorTotal: 2 }), [u('stunnel-client', 5)], [
      { processes: ['stunnel-client'], activeOpens: 10_000, passiveOpens: 10_000 }]),
  ]);
  return {
    paths: [
      { id: 'direct', label: 'direct', description: 'no mesh', tunnels: [] },
      { id: 'ambit', label: 'ambit', description: 'HBONE', tunnels: ['ztunnel-node1', 'ztunnel-node2'] },
      { id: 'stunnel', label: 'stunnel', description: 'mTLS', tunnels: ['stunnel-client'] },
    ],
    rates: withAddedLatency(rates),
  };
}

test('the Markdown has rates, ratios, CPU per connection and the handshake reading', () => {
  const md = renderConnectRateMarkdown(figures(), settings);
  assert.match(md, /## New connections per second/);
  assert.match(md, /\| ambit \| 1 \| 2500 \|/);
  assert.match(md, /## ambit against stunnel \(ratios\)/);
  assert.match(md, /\| 8 \| connections\/s \| 3\.57 \|/);
  assert.match(md, /## ambit against direct \(ratios\)/);
  assert.match(md, /\| 1 \| connections\/s \| 0\.63 \|/);
  assert.match(md, /\| ambit \| 1 \| 400\.0 \| ztunnel-node1 200\.0 \(0 %\), ztunnel-node2 200\.0 \(0 %\)/);
  assert.match(md, /ztunnel-node1: 1 \/ 10000; ztunnel-node2: 10000 \/ 1 \| 0\.1 \| no handshake per connection \(pooled\)/);
  assert.match(md, /stunnel-client: 10000 \/ 10000 \| 1000\.0 \| a new tunnel connection per connection/);
  assert.match(md, /median of 3 rounds/);
  assert.match(md, /tunnels on core 0/);
  assert.match(md, /tcp_tw_reuse=1/);
  assert.match(md, /## Problems during the run\n\n- stunnel at concurrency 1: errors in the measured window: 2 × ECONNRESET/);
});

test('chart panels: rates per path and concurrency, fresh-connection latency, CPU for tunnelled paths only', () => {
  const panels = connectRatePanels(figures(), settings);
  assert.deepEqual(panels[0].groups.map((g) => [g.label, ...g.values]), [['direct', 4000, 4000], ['ambit', 2500, 2500], ['stunnel', 700, 700]]);
  assert.deepEqual(panels[0].series, ['concurrency 1', 'concurrency 8']);
  assert.deepEqual(panels[1].groups.find((g) => g.label === 'direct')?.values, [0.2, 0.3, 0.5]);
  assert.deepEqual(panels[2].groups.map((g) => g.label), ['ambit', 'stunnel']);
});

test('the client command line and its kill deadline', () => {
  const s = { warmupSeconds: 2, seconds: 8, payloadBytes: 64, timeoutMs: 5000 };
  assert.deepEqual(clientArgs('/r/dist/bench/agents/connect-load.js', { host: '198.18.2.7', port: 9100 }, 32, s), [
    '/r/dist/bench/agents/connect-load.js', '--mode', 'client', '--target', '198.18.2.7:9100', '--concurrency', '32',
    '--duration', '8', '--warmup', '2', '--payload', '64', '--timeout-ms', '5000',
  ]);
  assert.equal(clientArgs('a.js', { host: 'fd00::1', port: 1 }, 1, s)[4], '[fd00::1]:1');
  assert.equal(runTimeoutMs(s), 45_000);
});
