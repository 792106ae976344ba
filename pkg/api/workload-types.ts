// The data model of the `istio.workload.Address` xDS type (Workload and Service), as plain
// TypeScript values: what istiod derives from Kubernetes and what ztunnel's state store holds.
// Wire encoding (field numbers as Istio's workload.proto) lives in workload-codec.ts; IPs are
// strings here ("198.18.1.5", "fd00::5") and raw 4/16-byte values on the wire.

export const TUNNEL_PROTOCOLS = ['NONE', 'HBONE'] as const;
export type TunnelProtocol = (typeof TUNNEL_PROTOCOLS)[number];

export const WORKLOAD_TYPES = ['DEPLOYMENT', 'CRONJOB', 'POD', 'JOB'] as const;
export type WorkloadType = (typeof WORKLOAD_TYPES)[number];

export const WORKLOAD_STATUSES = ['HEALTHY', 'UNHEALTHY'] as const;
export type WorkloadStatus = (typeof WORKLOAD_STATUSES)[number];

export const APP_PROTOCOLS = ['UNKNOWN', 'HTTP11', 'HTTP2', 'GRPC', 'TCP', 'TLS'] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];

/** The trust domain and service account the wire omits when they have these values. */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
export const DEFAULT_SERVICE_ACCOUNT = 'default';

export interface NetworkAddress {
  readonly network: string;
  /** IP literal, IPv6 without brackets. */
  readonly address: string;
}

export interface NamespacedHostname {
  readonly namespace: string;
  readonly hostname: string;
}

/** Where a waypoint (or gateway) is reached: a Service hostname or an IP, and its HBONE port. */
export type GatewayAddress =
  | { readonly kind: 'hostname'; readonly hostname: NamespacedHostname; readonly hboneMtlsPort: number }
  | { readonly kind: 'address'; readonly address: NetworkAddress; readonly hboneMtlsPort: number };

export interface PortMapping {
  readonly servicePort: number;
  /** 0 when a named target port could not be resolved for this workload. */
  readonly targetPort: number;
  readonly appProtocol: AppProtocol;
}

export interface Workload {
  /** Primary key, `<cluster>//Pod/<ns>/<name>` for pods. */
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly addresses: readonly string[];
  readonly network: string;
  readonly tunnelProtocol: TunnelProtocol;
  readonly trustDomain: string;
  readonly serviceAccount: string;
  readonly waypoint?: GatewayAddress;
  /** Kubernetes node name. */
  readonly node: string;
  readonly canonicalName: string;
  readonly canonicalRevision: string;
  readonly workloadType: WorkloadType;
  readonly workloadName: string;
  /** `"<ns>/<hostname>"` of every Service this workload backs → its port mappings. */
  readonly services: Readonly<Record<string, readonly PortMapping[]>>;
  /** `"ns/name"` of selector-based authorization policies that select this workload. */
  readonly authorizationPolicies: readonly string[];
  readonly status: WorkloadStatus;
  readonly clusterId: string;
}

export interface ServicePort {
  readonly servicePort: number;
  readonly targetPort: number;
  readonly appProtocol: AppProtocol;
}

export interface Service {
  readonly name: string;
  readonly namespace: string;
  /** `<name>.<ns>.svc.<domain>`. */
  readonly hostname: string;
  /** VIPs; empty for headless Services. */
  readonly addresses: readonly NetworkAddress[];
  readonly ports: readonly ServicePort[];
  readonly subjectAltNames: readonly string[];
  readonly waypoint?: GatewayAddress;
}

export type Address =
  | { readonly kind: 'workload'; readonly workload: Workload }
  | { readonly kind: 'service'; readonly service: Service };

/** xDS resource names: a Workload is keyed by uid, a Service by `"<namespace>/<hostname>"`. */
export function addressResourceName(address: Address): string {
  return address.kind === 'workload' ? address.workload.uid : `${address.service.namespace}/${address.service.hostname}`;
}
