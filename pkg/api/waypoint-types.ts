// The data model of ambit's own L7 xDS type, `ambit.waypoint.v1.WaypointConfig`: everything one
// waypoint needs beyond the Address and Authorization types — which Services (and workloads) are
// bound to it, the routes of each bound Service port (from HTTPRoute, GRPCRoute or VirtualService),
// and the concrete backends those routes send to (a Service port, optionally a DestinationRule
// subset, with its load-balancing, connection-pool and outlier-detection settings). istiod derives
// one resource per waypoint Gateway (xDS name "<namespace>/<name>"); the waypoint subscribes to its
// own name only. Wire encoding: proto/ambit/waypoint/v1/waypoint.proto via waypoint-codec.ts.

import type { WaypointSecurity } from './waypoint-security-types';
import type { AppProtocol } from './workload-types';

export const WAYPOINT_FOR = ['service', 'workload', 'all', 'none'] as const;
export type WaypointFor = (typeof WAYPOINT_FOR)[number];

export const PATH_MATCH_KINDS = ['exact', 'prefix', 'regex'] as const;
export type PathMatchKind = (typeof PATH_MATCH_KINDS)[number];

/** `prefix` comes from VirtualService; `present` matches any value (Istio's empty `regex`/presence). */
export const VALUE_MATCH_KINDS = ['exact', 'prefix', 'regex', 'present'] as const;
export type ValueMatchKind = (typeof VALUE_MATCH_KINDS)[number];

export const LB_KINDS = ['round_robin', 'least_request', 'random', 'consistent_hash'] as const;
export type LbKind = (typeof LB_KINDS)[number];

export const HASH_SOURCES = ['header', 'cookie', 'source_ip', 'query'] as const;
export type HashSource = (typeof HASH_SOURCES)[number];

/**
 * Retry conditions as Envoy/Istio name them. A plain status code (e.g. "503") is also allowed in
 * `RetryPolicy.retryOn`.
 */
export const RETRY_CONDITIONS = ['5xx', 'gateway-error', 'connect-failure', 'reset', 'retriable-4xx', 'refused-stream',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'] as const;
export type RetryCondition = (typeof RETRY_CONDITIONS)[number];

export interface PathMatch {
  readonly kind: PathMatchKind;
  readonly value: string;
}

export interface ValueMatch {
  readonly name: string;
  readonly kind: ValueMatchKind;
  /** Unused for `present`. */
  readonly value: string;
  /** True: the request matches when this does not (VirtualService `withoutHeaders`). */
  readonly invert: boolean;
}

/** All set parts must match (AND). */
export interface RouteMatch {
  readonly path?: PathMatch;
  /** Header names lower-case. */
  readonly headers: readonly ValueMatch[];
  readonly queryParams: readonly ValueMatch[];
  /** Upper-case HTTP method. */
  readonly method?: string;
}

export interface HeaderMutation {
  /** Replace (or add) these; names lower-case. */
  readonly set: readonly { readonly name: string; readonly value: string }[];
  /** Append these. */
  readonly add: readonly { readonly name: string; readonly value: string }[];
  readonly remove: readonly string[];
}

/** `full` replaces the whole path, `prefix` replaces the matched path prefix. */
export interface PathModifier {
  readonly kind: 'full' | 'prefix';
  readonly value: string;
}

export interface Redirect {
  readonly scheme?: string;
  readonly hostname?: string;
  readonly path?: PathModifier;
  readonly port?: number;
  /** 301, 302, 303, 307 or 308. */
  readonly statusCode: number;
}

export interface Rewrite {
  /** New :authority / Host. */
  readonly hostname?: string;
  readonly path?: PathModifier;
}

export interface Mirror {
  /** A `Backend.name` of the same WaypointConfig. */
  readonly backend: string;
  /** 0–100, fractional allowed. */
  readonly percent: number;
}

export interface WeightedBackend {
  /** A `Backend.name` of the same WaypointConfig. */
  readonly backend: string;
  readonly weight: number;
  readonly requestHeaders?: HeaderMutation;
  readonly responseHeaders?: HeaderMutation;
}

export interface RetryPolicy {
  /** Retries after the first attempt (0 = no retry). */
  readonly attempts: number;
  /** Per attempt; absent = only the route timeout applies. */
  readonly perTryTimeoutMs?: number;
  /** RetryCondition names or status codes as text ("503"). */
  readonly retryOn: readonly string[];
  /** Base of the exponential backoff with jitter between attempts (Envoy's default 25 ms). */
  readonly backoffBaseMs: number;
}

export interface Fault {
  readonly delay?: { readonly delayMs: number; readonly percent: number };
  /** `httpStatus` for HTTP, `grpcStatus` (code number) for gRPC; one of them is set. */
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: number; readonly percent: number };
}

export interface Route {
  /** Where it came from, for logs, metrics and status: "HTTPRoute shop/reviews rule 0". */
  readonly name: string;
  /** Any one matches (OR); empty = every request. */
  readonly matches: readonly RouteMatch[];
  readonly requestHeaders?: HeaderMutation;
  readonly responseHeaders?: HeaderMutation;
  /** When set, the waypoint answers with the redirect and sends nothing upstream. */
  readonly redirect?: Redirect;
  /** When set (invalid backendRefs per Gateway API), the waypoint answers with this status. */
  readonly directResponse?: { readonly status: number; readonly body: string };
  readonly rewrite?: Rewrite;
  readonly mirrors: readonly Mirror[];
  /** Picked per request by weight; weights of 0 never picked. */
  readonly backends: readonly WeightedBackend[];
  /** Whole request, retries included; absent = no timeout. */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly fault?: Fault;
}

export interface PortRoutes {
  /** The Service port (what the client dialled on the VIP). */
  readonly port: number;
  /** UNKNOWN → sniff HTTP/1.1 or HTTP/2 prior knowledge, else TCP. */
  readonly protocol: AppProtocol;
  /** First match wins. When none matches, `defaultBackend` with no filters. */
  readonly routes: readonly Route[];
  /** The Service port itself (with its DestinationRule policy): no-route and TCP traffic. */
  readonly defaultBackend: string;
}

export interface BoundService {
  /** The Address Service key, "<namespace>/<hostname>". */
  readonly key: string;
  readonly ports: readonly PortRoutes[];
}

export interface ConsistentHash {
  readonly source: HashSource;
  /** Header, cookie or query parameter name; empty for source_ip. */
  readonly name: string;
}

export interface ConnectionPool {
  /** Upstream connections (HTTP/1.1) per endpoint set; 0 = unlimited. */
  readonly maxConnections: number;
  /** Requests waiting for a connection; 0 = unlimited. */
  readonly maxPendingRequests: number;
  /** Concurrent requests to the backend; 0 = unlimited. */
  readonly maxRequests: number;
  /** 0 = unlimited. */
  readonly maxRequestsPerConnection: number;
  /** Concurrent retries to the backend; 0 = unlimited. */
  readonly maxRetries: number;
}

export interface OutlierDetection {
  /** 0 = not used. */
  readonly consecutive5xx: number;
  /** 502/503/504 and connect failures; 0 = not used. */
  readonly consecutiveGatewayErrors: number;
  readonly intervalMs: number;
  readonly baseEjectionMs: number;
  /** 0–100. */
  readonly maxEjectionPercent: number;
}

export interface Backend {
  /** Unique within the config: "<ns>/<hostname>:<port>" plus "|<subset>" when a subset. */
  readonly name: string;
  /** The Address Service key of the target Service. */
  readonly serviceKey: string;
  readonly port: number;
  readonly subset?: string;
  /** Set for subsets: only these workloads (uids) are endpoints. Absent = every endpoint. */
  readonly workloadUids?: readonly string[];
  readonly lb: { readonly kind: LbKind; readonly hash?: ConsistentHash };
  readonly pool: ConnectionPool;
  readonly outlier?: OutlierDetection;
  /** Where the traffic policy came from ("DestinationRule shop/reviews"), empty if defaults. */
  readonly policySource: string;
}

export interface WaypointConfig {
  readonly namespace: string;
  readonly name: string;
  readonly waypointFor: WaypointFor;
  readonly services: readonly BoundService[];
  /** Workloads bound by pod label for workload traffic (uids). */
  readonly workloads: readonly string[];
  readonly backends: readonly Backend[];
  /** L7 authorization, JWT rules and path normalization (waypoint-security-types.ts); absent = none, default normalization. */
  readonly security?: WaypointSecurity;
}

export const DEFAULT_CONNECTION_POOL: ConnectionPool = Object.freeze({
  maxConnections: 0, maxPendingRequests: 0, maxRequests: 0, maxRequestsPerConnection: 0, maxRetries: 0,
});

/** The xDS name of a waypoint's config. */
export function waypointConfigName(c: { readonly namespace: string; readonly name: string }): string {
  return `${c.namespace}/${c.name}`;
}

/** The name of the backend for a Service port (and subset). */
export function backendName(serviceKey: string, port: number, subset?: string): string {
  return `${serviceKey}:${port}${subset ? `|${subset}` : ''}`;
}
