// Which waypoint a Service or a workload (pod) uses — pure. `istio.io/use-waypoint` on the object
// wins over its namespace's; `none` on the object opts out of a namespace-wide binding;
// `istio.io/use-waypoint-namespace` (next to it) names another namespace. The waypoint's own
// Service and pods are never bound (they carry gateway.istio.io/managed). The Gateway's
// `istio.io/waypoint-for` then decides whether the binding applies: Services need service|all,
// workloads workload|all. A binding to a Gateway istiod does not know (missing, or not a waypoint)
// still applies to Services and to pods labelled themselves — traffic then fails closed at the
// client's ztunnel instead of silently skipping the waypoint — but a namespace label alone does
// not bind pods to an unknown Gateway (the default waypoint-for is `service`).

import type { GatewayAddress } from '../../pkg/api/workload-types';
import type { Labels } from '../kube/mesh-types';
import {
  MANAGED_LABEL, USE_WAYPOINT_LABEL, USE_WAYPOINT_NAMESPACE_LABEL, WAYPOINT_HBONE_PORT, type WaypointGateway, type WaypointRef,
} from './types';

export type BindingKind = 'service' | 'workload';

export interface Binding {
  readonly waypoint: WaypointRef;
  /** Where the label was found. */
  readonly via: 'object' | 'namespace';
}

function fromLabels(labels: Labels, ownNamespace: string): WaypointRef | 'none' | undefined {
  const name = labels[USE_WAYPOINT_LABEL]?.trim();
  if (name === undefined || name === '') return undefined;
  if (name === 'none') return 'none';
  const namespace = labels[USE_WAYPOINT_NAMESPACE_LABEL]?.trim() || ownNamespace;
  return { namespace, name };
}

/** The waypoint the labels ask for, before the Gateway's waypoint-for is considered. */
export function requestedWaypoint(objectNamespace: string, objectLabels: Labels, namespaceLabels: Labels): Binding | undefined {
  if (objectLabels[MANAGED_LABEL] !== undefined) return undefined;
  const own = fromLabels(objectLabels, objectNamespace);
  if (own === 'none') return undefined;
  if (own) return { waypoint: own, via: 'object' };
  const ns = fromLabels(namespaceLabels, objectNamespace);
  if (ns === undefined || ns === 'none') return undefined;
  return { waypoint: ns, via: 'namespace' };
}

/** Whether a Gateway (undefined: unknown to istiod) takes traffic of this kind. */
export function waypointAccepts(kind: BindingKind, gateway: WaypointGateway | undefined, via: Binding['via']): boolean {
  if (!gateway) return kind === 'service' || via === 'object';
  const f = gateway.waypointFor;
  return f === 'all' || f === kind;
}

/** The waypoint a Service or workload is bound to, or undefined. */
export function boundWaypoint(kind: BindingKind, objectNamespace: string, objectLabels: Labels, namespaceLabels: Labels,
  gateways: ReadonlyMap<string, WaypointGateway>): Binding | undefined {
  const binding = requestedWaypoint(objectNamespace, objectLabels, namespaceLabels);
  if (!binding) return undefined;
  const gateway = gateways.get(`${binding.waypoint.namespace}/${binding.waypoint.name}`);
  return waypointAccepts(kind, gateway, binding.via) ? binding : undefined;
}

/** The waypoint's Service hostname, which ztunnel resolves to the waypoint's pods. */
export function waypointHostname(ref: WaypointRef, clusterDomain = 'cluster.local'): string {
  return `${ref.name}.${ref.namespace}.svc.${clusterDomain}`;
}

/** The `waypoint` field of a bound Service or Workload: the waypoint Service's hostname and the HBONE port. */
export function waypointGatewayAddress(ref: WaypointRef, clusterDomain = 'cluster.local'): GatewayAddress {
  return { kind: 'hostname', hostname: { namespace: ref.namespace, hostname: waypointHostname(ref, clusterDomain) }, hboneMtlsPort: WAYPOINT_HBONE_PORT };
}
