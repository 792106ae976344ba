// What the per-waypoint build and the status computation read (a read-only view kept by
// route-state.ts): namespaces, Services, pods, waypoint Gateways and bindings, the traffic
// resources in force, looked up by the Service they concern, and the security policies in force
// by what their targetRefs name. Tests build it by hand.

import type { PathNormalization } from '../../pkg/api/waypoint-security-types';
import type { MeshPod, MeshService } from '../kube/mesh-types';
import type { WaypointGateway } from '../waypoint/types';
import type { AttachedSecurity } from './security-state';
import type { DestinationRuleSpec, GatewayRouteSpec, RouteKind, VirtualServiceSpec } from './types';

/** Istio's root namespace when none is configured. */
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

export interface RouteSettings {
  /** Prefix of workload uids (`<clusterId>//Pod/<ns>/<name>`). */
  readonly clusterId: string;
  /** Service hostnames are `<name>.<ns>.svc.<clusterDomain>`. */
  readonly clusterDomain: string;
  /** Every config's `security.pathNormalization` (default DEFAULT_PATH_NORMALIZATION). */
  readonly pathNormalization?: PathNormalization;
  /** Istio's root namespace: a GatewayClass istio-waypoint ref counts only from here (default istio-system). */
  readonly rootNamespace?: string;
  /** The mesh's trust domain, for `cluster.local/...` principals in policies (default cluster.local). */
  readonly trustDomain?: string;
}

/** One object's version in force. */
export interface InForce<T> {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly createdAt?: number;
  readonly spec: T;
}

export interface RouteInputs {
  readonly settings: RouteSettings;
  service(namespace: string, name: string): MeshService | undefined;
  /** Pods of a namespace (any order). */
  pods(namespace: string): Iterable<MeshPod>;
  gateways(): ReadonlyMap<string, WaypointGateway>;
  /** The waypoint key ("<ns>/<name>") a Service is bound to, if any. */
  serviceWaypoint(namespace: string, name: string): string | undefined;
  /** Services bound to a waypoint, sorted by namespace/name. */
  boundServices(waypoint: string): readonly MeshService[];
  /** Uids of pods bound to a waypoint for workload traffic, sorted. */
  boundWorkloads(waypoint: string): readonly string[];
  /** HTTPRoutes and GRPCRoutes in force with a parentRef to this Service (from its own namespace). */
  gatewayRoutes(namespace: string, name: string): readonly InForce<GatewayRouteSpec>[];
  /** Mesh VirtualServices in force naming this Service, oldest first. */
  virtualServices(namespace: string, name: string): readonly InForce<VirtualServiceSpec>[];
  /** DestinationRules in force for this Service, oldest first. */
  destinationRules(namespace: string, name: string): readonly InForce<DestinationRuleSpec>[];
  /**
   * AuthorizationPolicies and RequestAuthentications in force whose targetRefs name this Gateway,
   * one of these Services ("ns/name") or the istio-waypoint GatewayClass (any order; not yet
   * checked against the waypoint).
   */
  attachedSecurity(gatewayNamespace: string, gatewayName: string, services: readonly string[]): AttachedSecurity;
}

/** Oldest first (creationTimestamp, absent last), then by "<namespace>/<name>". */
export function olderFirst(a: { readonly createdAt?: number; readonly namespace: string; readonly name: string },
  b: { readonly createdAt?: number; readonly namespace: string; readonly name: string }): number {
  const ta = a.createdAt ?? Number.MAX_SAFE_INTEGER;
  const tb = b.createdAt ?? Number.MAX_SAFE_INTEGER;
  if (ta !== tb) return ta - tb;
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Namespaces a waypoint's config was built from: changes there (or to their pods) rebuild it. */
export interface ConfigDeps {
  readonly namespaces: Set<string>;
  readonly podNamespaces: Set<string>;
}
