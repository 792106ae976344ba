// The read side of ztunnel's state store, as the proxies, capture, admin and metrics see it:
// workloads and services from xDS, indexed by uid, address, VIP and hostname. Writes happen only
// through the store's xDS handler (one validated push applied in one synchronous step).

import type { PortMapping, Service, Workload } from '../../pkg/api/workload-types';

/** A Service endpoint: a workload backing it and the port mappings for that Service. */
export interface Endpoint {
  readonly workload: Workload;
  readonly ports: readonly PortMapping[];
}

export interface StateView {
  /** Increases by one with every applied push. */
  readonly version: number;
  workloadByUid(uid: string): Workload | undefined;
  /** The workload owning an IP (default network). */
  workloadByAddress(ip: string): Workload | undefined;
  /** The Service with this VIP (default network). */
  serviceByVip(ip: string): Service | undefined;
  /** By `"<namespace>/<hostname>"`. */
  serviceByKey(key: string): Service | undefined;
  /** Workloads that list the Service in their `services` map, in a stable order. */
  endpointsOf(serviceKey: string): readonly Endpoint[];
  /** Workloads scheduled on the node with this name. */
  workloadsOnNode(node: string): readonly Workload[];
  allWorkloads(): readonly Workload[];
  allServices(): readonly Service[];
  /** Called after every applied push (synchronously, once per push); returns an unsubscribe. */
  onChange(listener: (version: number) => void): () => void;
}
