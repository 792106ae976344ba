// Unit tests for the monitoring listener: /metrics in the Prometheus text format (after the
// pre-scrape hook), /ready 503 with a reason until ready then 200, 404 and 405 for the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { silentLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { startMonitoringServer } from './monitoring';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('/metrics renders the registry and /ready follows readiness', async () => {
  const registry = new Registry();
  const pushes = registry.counter('pilot_xds_pushes_total', 'xDS responses sent', ['type']);
  let ready: string | undefined = 'the address index has not synced';
  let scrapes = 0;
  const server = await startMonitoringServer({
    host: '127.0.0.1', port: 0, registry, notReady: () => ready, beforeScrape: () => { scrapes++; }, logger: silentLogger,
  });
  try {
    pushes.inc({ type: 'istio.workload.Address' }, 3);
    const metrics = await get(server.port, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /^pilot_xds_pushes_total\{type="istio\.workload\.Address"\} 3$/m);
    assert.equal(scrapes, 1);
    const notReady = await get(server.port, '/ready');
    assert.deepEqual([notReady.status, notReady.body], [503, 'not ready: the address index has not synced\n']);
    ready = undefined;
    assert.equal((await get(server.port, '/ready')).status, 200);
    assert.equal((await get(server.port, '/debug/configz')).status, 404);
    assert.equal((await get(server.port, '/metrics', 'POST')).status, 405);
  } finally {
    await server.close();
  }
});
