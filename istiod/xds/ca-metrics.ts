// The CA's counters (kept as plain numbers by ca/ca-service.ts) exported on istiod's monitoring
// listener next to the xDS metrics: `caMetrics` registers them and returns the pre-scrape hook
// that adds what was counted since the last scrape. Names follow Istio's citadel_server_*.

import type { Registry } from '../../pkg/telemetry/metrics';
import type { CaCounters, RefusalStatus } from '../ca/ca-service';

export function caMetrics(registry: Registry, counters: CaCounters): () => void {
  const requests = registry.counter('citadel_server_csr_count', 'certificate signing requests received');
  const issued = registry.counter('citadel_server_success_cert_issuance_count', 'certificates issued');
  const refused = registry.counter('ambit_ca_refusals_total', 'certificate requests refused, by gRPC status', ['status']);
  let seenIssued = 0;
  const seenRefused: Partial<Record<RefusalStatus, number>> = {};
  return () => {
    const newIssued = counters.issued - seenIssued;
    seenIssued = counters.issued;
    issued.inc({}, newIssued);
    let total = newIssued;
    for (const [code, count] of Object.entries(counters.refused) as [RefusalStatus, number][]) {
      const delta = count - (seenRefused[code] ?? 0);
      seenRefused[code] = count;
      if (delta > 0) refused.inc({ status: code }, delta);
      total += delta;
    }
    requests.inc({}, total);
  };
}
