// The waypoint side of istiod's model, shared by the Address model (which Services and Workloads
// carry a `waypoint`), the waypoint controller (Deployments and Gateway status) and the L7 config
// index (what each waypoint serves): the waypoint Gateways istiod knows, and the labels that bind
// Services, Pods and namespaces to them.

import type { WaypointFor } from '../../pkg/api/waypoint-types';

export const GATEWAY_CLASS_WAYPOINT = 'istio-waypoint';
export const CONTROLLER_NAME = 'istio.io/mesh-controller';
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
export const USE_WAYPOINT_NAMESPACE_LABEL = 'istio.io/use-waypoint-namespace';
export const WAYPOINT_FOR_LABEL = 'istio.io/waypoint-for';
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
export const MANAGED_LABEL = 'gateway.istio.io/managed';
export const MANAGED_VALUE = 'istio.io-mesh-controller';
export const WAYPOINT_HBONE_PORT = 15008;

/** A waypoint Gateway as istiod understands it. */
export interface WaypointGateway {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly waypointFor: WaypointFor;
  /** At least one waypoint pod is Ready (its Service has an endpoint). */
  readonly ready: boolean;
  /** Why the Gateway cannot be a waypoint (empty when it can). */
  readonly problems: readonly string[];
}

export interface WaypointRef {
  readonly namespace: string;
  readonly name: string;
}

/** The waypoint Gateways of the cluster, kept current by the waypoint controller. */
export interface WaypointDirectory {
  /** Resolves after the first full list of Gateways (and waypoint pods). */
  readonly synced: Promise<void>;
  /** By "<namespace>/<name>"; only Gateways of class istio-waypoint. */
  gateways(): ReadonlyMap<string, WaypointGateway>;
  /** Keys ("<namespace>/<name>") of Gateways that appeared, changed (incl. readiness) or went away. */
  onChange(listener: (keys: ReadonlySet<string>) => void): () => void;
  stop(): Promise<void>;
}
