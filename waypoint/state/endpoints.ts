// Pure derivations from the Address state for the waypoint's data path: a workload as an upstream
// Endpoint (identity, tunnel, health, telemetry labels), the endpoints of a Backend (its Service
// port's workloads, restricted to a subset's uids), and the app protocol of a workload port.

import type { Backend } from '../../pkg/api/waypoint-types';
import type { AppProtocol, PortMapping, Service, Workload } from '../../pkg/api/workload-types';
import type { Endpoint } from './view';

/** A workload reached on `targetPort`; undefined when it has no address to reach it on. */
/** The SPIFFE identity a workload's ztunnel presents for it. */
export function workloadIdentity(w: Workload): string {
  return `spiffe://${w.trustDomain}/ns/${w.namespace}/sa/${w.serviceAccount}`;
}

export function endpointOf(w: Workload, targetPort: number): Endpoint | undefined {
  const ip = w.addresses[0];
  if (ip === undefined || targetPort <= 0) return undefined;
  return Object.freeze({
    uid: w.uid,
    ip,
    targetPort,
    identity: workloadIdentity(w),
    tunnel: w.tunnelProtocol,
    healthy: w.status === 'HEALTHY',
    namespace: w.namespace,
    workloadName: w.workloadName || w.name,
    canonicalName: w.canonicalName,
    canonicalRevision: w.canonicalRevision,
  });
}

/** The port a workload serves `servicePort` on: its own mapping, else the Service's; 0 = none. */
export function targetPortFor(mappings: readonly PortMapping[], service: Service | undefined, servicePort: number): number {
  const own = mappings.find((m) => m.servicePort === servicePort);
  if (own) return own.targetPort;
  return service?.ports.find((p) => p.servicePort === servicePort)?.targetPort ?? 0;
}

/**
 * The endpoints of `backend`, in uid order: every workload backing its Service with a target port
 * for its port (0 = skipped), only the subset's workloads when `workloadUids` is set.
 */
export function backendEndpoints(
  backend: Backend,
  members: ReadonlyMap<string, readonly PortMapping[]> | undefined,
  workloads: ReadonlyMap<string, Workload>,
  service: Service | undefined,
): Endpoint[] {
  if (!members) return [];
  const subset = backend.workloadUids ? new Set(backend.workloadUids) : undefined;
  const out: Endpoint[] = [];
  for (const uid of [...members.keys()].sort()) {
    if (subset && !subset.has(uid)) continue;
    const w = workloads.get(uid);
    if (!w) continue;
    const ep = endpointOf(w, targetPortFor(members.get(uid) ?? [], service, backend.port));
    if (ep) out.push(ep);
  }
  return out;
}

/** The app protocol a workload declares for a target port (across its Services), else UNKNOWN. */
export function workloadPortProtocol(w: Workload, port: number): AppProtocol {
  for (const mappings of Object.values(w.services)) {
    const m = mappings.find((p) => p.targetPort === port && p.appProtocol !== 'UNKNOWN');
    if (m) return m.appProtocol;
  }
  return 'UNKNOWN';
}
