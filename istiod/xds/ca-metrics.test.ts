// Unit test for exporting the CA's plain counters: each scrape adds what was counted since the last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../pkg/telemetry/metrics';
import type { CaCounters } from '../ca/ca-service';
import { caMetrics } from './ca-metrics';

test('CA counters appear on /metrics as counters that follow the CA', () => {
  const counters: CaCounters = {
    issued: 2, refused: { UNAUTHENTICATED: 1, PERMISSION_DENIED: 0, INVALID_ARGUMENT: 0, RESOURCE_EXHAUSTED: 0, UNAVAILABLE: 0, INTERNAL: 0 },
  };
  const registry = new Registry();
  const sync = caMetrics(registry, counters);
  sync();
  counters.issued += 3;
  counters.refused.PERMISSION_DENIED += 2;
  sync();
  sync();
  const text = registry.render();
  assert.match(text, /^citadel_server_success_cert_issuance_count 5$/m);
  assert.match(text, /^citadel_server_csr_count 8$/m);
  assert.match(text, /^ambit_ca_refusals_total\{status="UNAUTHENTICATED"\} 1$/m);
  assert.match(text, /^ambit_ca_refusals_total\{status="PERMISSION_DENIED"\} 2$/m);
});
