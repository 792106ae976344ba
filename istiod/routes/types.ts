// The traffic resources as istiod reads them before they meet the cluster (pure data): HTTPRoute
// and GRPCRoute rules with their parentRefs and backendRefs, VirtualService http routes with
// their destinations, DestinationRule policies and subsets. A conversion of one object yields its
// spec (when valid), its problems and warnings (each with a field path); resolving Services,
// ports, subsets and pods happens later, per waypoint (build-config.ts).

import type {
  ConnectionPool, Fault, HeaderMutation, LbKind, ConsistentHash, OutlierDetection, Redirect, RetryPolicy, Rewrite, RouteMatch,
} from '../../pkg/api/waypoint-types';
import type { FieldProblem } from '../policy/field-report';

export const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'VirtualService', 'DestinationRule'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];
export type GatewayRouteKind = 'HTTPRoute' | 'GRPCRoute';

export type Labels = Readonly<Record<string, string>>;

/** The outcome of reading one object. `spec` is set only when there are no problems. */
export interface Conversion<T> {
  readonly spec?: T;
  readonly problems: readonly FieldProblem[];
  readonly warnings: readonly FieldProblem[];
  /** metadata.creationTimestamp (ms), when present and valid. */
  readonly createdAt?: number;
}

// ---- Gateway API

/** A parentRef naming a Service (GAMMA). Other parent kinds are not ours and are skipped. */
export interface ParentRefSpec {
  /** Index in spec.parentRefs. */
  readonly index: number;
  /** Defaulted to the route's namespace. */
  readonly namespace: string;
  readonly name: string;
  readonly port?: number;
  readonly sectionName?: string;
  /** The reference as written, echoed in status.parents[].parentRef. */
  readonly written: Readonly<Record<string, string | number>>;
}

export interface BackendRefSpec {
  /** Field path, for status messages. */
  readonly field: string;
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  /** Defaulted to the route's namespace. */
  readonly namespace: string;
  readonly port?: number;
  readonly weight: number;
  readonly requestHeaders?: HeaderMutation;
  readonly responseHeaders?: HeaderMutation;
}

export interface MirrorSpec {
  readonly ref: BackendRefSpec;
  readonly percent: number;
}

export interface GatewayRule {
  readonly index: number;
  /** At least one (a rule without matches matches every request: prefix "/"). */
  readonly matches: readonly RouteMatch[];
  readonly requestHeaders?: HeaderMutation;
  readonly responseHeaders?: HeaderMutation;
  readonly redirect?: Redirect;
  readonly rewrite?: Rewrite;
  readonly mirrors: readonly MirrorSpec[];
  readonly backendRefs: readonly BackendRefSpec[];
  readonly timeoutMs?: number;
  readonly retry: RetryPolicy;
}

export interface GatewayRouteSpec {
  readonly kind: GatewayRouteKind;
  /** Service parentRefs only. */
  readonly parents: readonly ParentRefSpec[];
  readonly rules: readonly GatewayRule[];
}

// ---- VirtualService

export interface VsDestination {
  readonly field: string;
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
}

export interface VsMatch {
  readonly match: RouteMatch;
  /** Only requests to this Service port. */
  readonly port?: number;
}

export interface VsWeighted {
  readonly destination: VsDestination;
  readonly weight: number;
  readonly requestHeaders?: HeaderMutation;
  readonly responseHeaders?: HeaderMutation;
}

export interface VsHttpRoute {
  readonly index: number;
  /** `http[i].name` when set. */
  readonly name?: string;
  /** Empty: every request. */
  readonly matches: readonly VsMatch[];
  readonly destinations: readonly VsWeighted[];
  readonly requestHeaders?: HeaderMutation;
  readonly responseHeaders?: HeaderMutation;
  readonly redirect?: Redirect;
  readonly directResponse?: { readonly status: number; readonly body: string };
  /** `rewrite.uri` replaces the matched prefix (prefix matches) or the whole path. */
  readonly rewriteUri?: string;
  readonly rewriteAuthority?: string;
  readonly timeoutMs?: number;
  readonly retry: RetryPolicy;
  readonly fault?: Fault;
  readonly mirrors: readonly { readonly destination: VsDestination; readonly percent: number }[];
}

export interface VirtualServiceSpec {
  readonly hosts: readonly string[];
  /** `gateways` is empty or names "mesh": the VirtualService applies to mesh traffic (waypoints). */
  readonly mesh: boolean;
  readonly http: readonly VsHttpRoute[];
}

// ---- DestinationRule

/** Each part replaces the one below it whole (Istio's merge of subset and port-level settings). */
export interface PolicyParts {
  readonly lb?: { readonly kind: LbKind; readonly hash?: ConsistentHash };
  readonly pool?: ConnectionPool;
  readonly outlier?: OutlierDetection;
}

export interface TrafficPolicySpec extends PolicyParts {
  /** portLevelSettings by port number. */
  readonly ports: ReadonlyMap<number, PolicyParts>;
}

export interface SubsetSpec {
  readonly name: string;
  readonly labels: Labels;
  readonly policy?: TrafficPolicySpec;
}

export interface DestinationRuleSpec {
  readonly host: string;
  readonly policy?: TrafficPolicySpec;
  readonly subsets: readonly SubsetSpec[];
}

export type RouteSpec = GatewayRouteSpec | VirtualServiceSpec | DestinationRuleSpec;

/** Istio's default retry policy for routes that set none. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 2,
  retryOn: Object.freeze(['connect-failure', 'refused-stream', 'unavailable', 'cancelled', '503']),
  backoffBaseMs: 25,
});
