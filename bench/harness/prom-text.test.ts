import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePromText, sumSamples } from './prom-text';

const TEXT = [
  '# HELP pilot_xds_sent_bytes_total encoded bytes',
  '# TYPE pilot_xds_sent_bytes_total counter',
  'pilot_xds_sent_bytes_total{type="istio.workload.Address"} 1500',
  'pilot_xds_sent_bytes_total{type="istio.security.Authorization"} 40',
  'pilot_xds_pushes_total{type="a\\"b",x="1"} 3',
  'pilot_xds_connected_clients 20',
  'broken{type="x" 5',
  'nan_metric NaN',
].join('\n');

test('samples are read with their labels; malformed lines are skipped', () => {
  const samples = parsePromText(TEXT);
  assert.equal(samples.length, 5);
  assert.deepEqual(samples[2], { name: 'pilot_xds_pushes_total', labels: { type: 'a"b', x: '1' }, value: 3 });
  assert.equal(sumSamples(samples, 'pilot_xds_sent_bytes_total'), 1540);
  assert.equal(sumSamples(samples, 'pilot_xds_sent_bytes_total', { type: 'istio.workload.Address' }), 1500);
  assert.equal(sumSamples(samples, 'pilot_xds_connected_clients'), 20);
  assert.equal(sumSamples(samples, 'absent'), 0);
});
