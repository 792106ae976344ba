// istiod's xDS metrics on the shared Prometheus registry (names after Istio's pilot_xds_*), and
// the short type label: the part of a type URL after the last '/', or "unknown" for a type the
// server does not serve (so a client cannot create series at will).

import type { Counter, Gauge, Registry } from '../../pkg/telemetry/metrics';

export interface XdsMetrics {
  /** Responses sent, by type. */
  readonly pushes: Counter;
  /** Resources carried in responses, by type. */
  readonly pushedResources: Counter;
  /** Removals carried in responses, by type. */
  readonly pushedRemovals: Counter;
  /** Encoded response bytes, by type. */
  readonly sentBytes: Counter;
  readonly nacks: Counter;
  /** Authenticated streams open now. */
  readonly connected: Gauge;
  /** Streams refused before serving, by gRPC status name. */
  readonly refusedStreams: Counter;
  /** Debounced batches that were pushed. */
  readonly flushes: Counter;
}

export function xdsMetrics(registry: Registry): XdsMetrics {
  const connected = registry.gauge('pilot_xds_connected_clients', 'xDS streams open now (authenticated clients)');
  connected.set({}, 0);
  return {
    pushes: registry.counter('pilot_xds_pushes_total', 'xDS responses sent', ['type']),
    pushedResources: registry.counter('pilot_xds_pushed_resources_total', 'resources sent in xDS responses', ['type']),
    pushedRemovals: registry.counter('pilot_xds_pushed_removals_total', 'resource removals sent in xDS responses', ['type']),
    sentBytes: registry.counter('pilot_xds_sent_bytes_total', 'encoded bytes of xDS responses', ['type']),
    nacks: registry.counter('pilot_xds_nacks_total', 'xDS responses rejected (NACKed) by clients', ['type']),
    connected,
    refusedStreams: registry.counter('pilot_xds_refused_streams_total', 'xDS streams refused before serving', ['code']),
    flushes: registry.counter('pilot_xds_debounced_pushes_total', 'debounced change batches pushed to clients'),
  };
}

/** `type.googleapis.com/istio.workload.Address` → `istio.workload.Address`. */
export function shortType(typeUrl: string): string {
  const i = typeUrl.lastIndexOf('/');
  return i >= 0 ? typeUrl.slice(i + 1) : typeUrl;
}
