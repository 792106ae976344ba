// What a tunnel stream's target means for the data path: the implicit backend of workload-addressed
// traffic (that one endpoint, default policy), the backend an L4 connection uses, the Service
// labels telemetry reports, and how a stream is served (HTTP, TCP, or sniffed). Pure.

import { DEFAULT_CONNECTION_POOL, type Backend } from '../../pkg/api/waypoint-types';
import type { Endpoint, StreamTarget, WaypointView } from '../state/view';
import type { ServiceMeta } from '../telemetry/labels';

const workloadBackends = new WeakMap<Endpoint, Backend>();

/** The implicit backend of workload-addressed traffic (cached per endpoint object). */
export function workloadBackend(ep: Endpoint, port: number): Backend {
  let b = workloadBackends.get(ep);
  if (!b) {
    b = Object.freeze({
      name: `workload:${ep.uid}:${port}`,
      serviceKey: '',
      port,
      lb: { kind: 'round_robin' as const },
      pool: DEFAULT_CONNECTION_POOL,
      policySource: '',
    });
    workloadBackends.set(ep, b);
  }
  return b;
}

/** Where an L4 connection goes: the backend and its endpoints (undefined: the backend is unknown). */
export function l4Destination(view: WaypointView, target: StreamTarget): { readonly backend: Backend; readonly endpoints: readonly Endpoint[] } | undefined {
  if (target.kind === 'workload') return { backend: workloadBackend(target.endpoint, target.port), endpoints: [target.endpoint] };
  const backend = view.backend(target.routes.defaultBackend);
  return backend ? { backend, endpoints: view.endpoints(backend) } : undefined;
}

export function serviceMeta(target: StreamTarget): ServiceMeta | undefined {
  return target.kind === 'service'
    ? { hostname: target.hostname, name: target.serviceName, namespace: target.serviceNamespace }
    : undefined;
}

/** 'http': sniff HTTP/1.1 vs HTTP/2 (never TCP); 'tcp': relay; 'sniff': HTTP if it looks like it, else TCP. */
export type ServeMode = 'http' | 'tcp' | 'sniff';

export function serveMode(target: StreamTarget): ServeMode {
  const p = target.kind === 'service' ? target.routes.protocol : target.protocol;
  switch (p) {
    case 'HTTP11': case 'HTTP2': case 'GRPC': return 'http';
    case 'TCP': case 'TLS': return 'tcp';
    default: return 'sniff';
  }
}
