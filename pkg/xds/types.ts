// The delta xDS contract shared by istiod (server), ztunnel and the waypoint (clients): type URLs,
// the DeltaDiscoveryRequest/Response messages as plain values (envoy.service.discovery.v3 field
// numbers on the wire, see delta-messages.ts), and the client's handler surface.

export const ADDRESS_TYPE_URL = 'type.googleapis.com/istio.workload.Address';
export const AUTHORIZATION_TYPE_URL = 'type.googleapis.com/istio.security.Authorization';
/** ambit's L7 type for waypoints (pkg/api/waypoint-types.ts), one resource per waypoint. */
export const WAYPOINT_CONFIG_TYPE_URL = 'type.googleapis.com/ambit.waypoint.v1.WaypointConfig';

export const DELTA_ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

/** Struct values in Node.metadata, restricted to what ambit sends and reads. */
export type MetadataValue = string | number | boolean | readonly string[];

export interface XdsNode {
  /** `ztunnel~<ip>~<pod>.<ns>~<ns>.svc.cluster.local` */
  readonly id: string;
  readonly cluster: string;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
}

export interface DeltaDiscoveryRequest {
  readonly node?: XdsNode;
  readonly typeUrl: string;
  readonly resourceNamesSubscribe: readonly string[];
  readonly resourceNamesUnsubscribe: readonly string[];
  /** name → version the client already holds (first request of a stream only). */
  readonly initialResourceVersions: Readonly<Record<string, string>>;
  /** Empty on a subscription request; the nonce being ACKed/NACKed otherwise. */
  readonly responseNonce: string;
  /** Set on a NACK. */
  readonly errorDetail?: { readonly code: number; readonly message: string };
}

export interface XdsResource {
  readonly name: string;
  readonly version: string;
  readonly aliases: readonly string[];
  /** The encoded message (an Any's value) and its type URL. */
  readonly resource: { readonly typeUrl: string; readonly value: Buffer };
}

export interface DeltaDiscoveryResponse {
  readonly systemVersionInfo: string;
  readonly typeUrl: string;
  readonly resources: readonly XdsResource[];
  readonly removedResources: readonly string[];
  readonly nonce: string;
}

/**
 * What a client does with one response of a type: validate all of it, then apply it in one step —
 * or reject it whole. `ok: false` becomes a NACK with `error` as its message (nothing applied).
 */
export type ApplyResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export interface TypeHandler {
  readonly typeUrl: string;
  /** Subscribe to these names only; absent or empty = wildcard (every resource of the type). */
  readonly resourceNames?: readonly string[];
  /**
   * `resources`: added or changed; `removed`: names to delete. After a reconnect the server
   * resends only what changed since the versions the client reported, so anything neither
   * resent nor removed is still current.
   */
  apply(update: { readonly resources: readonly XdsResource[]; readonly removed: readonly string[] }): ApplyResult;
  /** name → version currently held (sent as initial_resource_versions on reconnect). */
  versions(): ReadonlyMap<string, string>;
}
