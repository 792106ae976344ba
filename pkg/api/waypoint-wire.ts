// The shape of a decoded `ambit.waypoint.v1.WaypointConfig` protobufjs message, as
// waypoint-codec.ts reads it: unset scalars read as their defaults, unset messages as null, unset
// repeated fields as empty arrays, names camelCased (except `consecutive_5xx`). Types only.

export interface WireValueMatch { name: string; kind: string; value: string; invert: boolean }
export interface WireRouteMatch {
  path: { kind: string; value: string } | null;
  headers: WireValueMatch[];
  queryParams: WireValueMatch[];
  method: string;
}
export interface WireMutation {
  set: { name: string; value: string }[];
  add: { name: string; value: string }[];
  remove: string[];
}
export interface WirePathModifier { kind: string; value: string }
export interface WireRoute {
  name: string;
  matches: WireRouteMatch[];
  requestHeaders: WireMutation | null;
  responseHeaders: WireMutation | null;
  redirect: { scheme: string; hostname: string; path: WirePathModifier | null; port: number; statusCode: number } | null;
  directResponse: { status: number; body: string } | null;
  rewrite: { hostname: string; path: WirePathModifier | null } | null;
  mirrors: { backend: string; percent: number }[];
  backends: { backend: string; weight: number; requestHeaders: WireMutation | null; responseHeaders: WireMutation | null }[];
  timeoutMs: number;
  retry: { attempts: number; perTryTimeoutMs: number; retryOn: string[]; backoffBaseMs: number } | null;
  fault: {
    delay: { delayMs: number; percent: number } | null;
    abort: { httpStatus: number; grpcStatus: number; hasGrpcStatus: boolean; percent: number } | null;
  } | null;
}
export interface WirePortRoutes { port: number; protocol: number; routes: WireRoute[]; defaultBackend: string }
export interface WireBackend {
  name: string;
  serviceKey: string;
  port: number;
  subset: string;
  workloadUids: string[];
  hasWorkloadUids: boolean;
  lb: { kind: string; hash: { source: string; name: string } | null } | null;
  pool: {
    maxConnections: number; maxPendingRequests: number; maxRequests: number; maxRequestsPerConnection: number; maxRetries: number;
  } | null;
  outlier: {
    consecutive_5xx: number; consecutiveGatewayErrors: number; intervalMs: number; baseEjectionMs: number; maxEjectionPercent: number;
  } | null;
  policySource: string;
}
export interface WireConfig {
  namespace: string;
  name: string;
  waypointFor: string;
  services: { key: string; ports: WirePortRoutes[] }[];
  workloads: string[];
  backends: WireBackend[];
  security: WireSecurity | null;
}

// ---- security (waypoint-security-codec.ts) ----

export interface WireTargets { all: boolean; services: string[] }
export interface WireMatcher { kind: string; value: string }
export interface WirePredicate { attribute: string; key: string; claimPath: string[]; values: WireMatcher[]; notValues: WireMatcher[] }
export interface WireRule { from: { predicates: WirePredicate[] }[]; to: { predicates: WirePredicate[] }[]; when: WirePredicate[] }
export interface WirePolicy { name: string; namespace: string; action: string; dryRun: boolean; targets: WireTargets | null; rules: WireRule[] }
export interface WireJwtRule {
  issuer: string;
  audiences: string[];
  jwks: string;
  jwksUri: string;
  fromHeaders: { name: string; prefix: string }[];
  fromParams: string[];
  fromCookies: string[];
  forwardOriginalToken: boolean;
  outputPayloadToHeader: string;
  outputClaimToHeaders: { header: string; claim: string }[];
  timeoutMs: number;
}
export interface WireAuthn { name: string; namespace: string; targets: WireTargets | null; rules: WireJwtRule[] }
export interface WireSecurity { pathNormalization: string; authorization: WirePolicy[]; authentication: WireAuthn[] }
