// The L7 security part of ambit's WaypointConfig (`WaypointConfig.security`): the mesh's path
// normalization mode, the AuthorizationPolicies attached to the waypoint (targetRefs to its
// Gateway, to a Service bound to it, or the istio-waypoint GatewayClass) and the
// RequestAuthentications (JWT rules) attached the same way. istiod converts and validates the
// Istio resources; the waypoint compiles and enforces these values per request.
//
// Authorization semantics (Istio's, as Envoy's RBAC filter applies them at a waypoint):
// - Policies that apply to a request: `targets.all` ones, plus those listing the request's Service.
// - Order: a matching DENY → 403; else, if ALLOW policies apply and none matches → 403; else allow.
//   AUDIT policies are evaluated, logged and counted, never enforced. Dry-run policies are
//   evaluated and reported, never enforced. (istiod sends CUSTOM as DENY: no ext-authz provider.)
// - A policy's rules are OR-ed; zero rules match nothing. A rule matches when some `from` entry
//   matches (none = any source), some `to` entry matches (none = any operation) and every `when`
//   predicate matches. An entry matches when all its predicates match.
// - A predicate matches when (values is empty, or some value matches some attribute value) and no
//   notValue matches any attribute value. An absent attribute fails values and passes notValues.
//
// Attributes and the matcher kinds each takes:
//   source.principal         identity without "spiffe://" (cluster.local/ns/a/sa/b)   string kinds
//   source.namespace         from the peer identity                                   string kinds
//   source.ip / remote.ip    the tunnel peer's address (XFF is not trusted)          cidr
//   destination.ip           the address the client dialled (VIP or pod IP)          cidr
//   destination.port         the port the client dialled                             port
//   request.host             :authority / Host, lower-case; a value without a port also matches
//                            the authority with its port stripped                     string kinds
//   request.method           upper-cased for matching                                exact
//   request.path             after normalization, without query or fragment           string kinds + template
//   request.header (key)     every value separately, trimmed; key lower-case          string kinds
//   request.auth.principal   "<iss>/<sub>" of the verified JWT                        string kinds
//   request.auth.audiences   each `aud` value                                         string kinds
//   request.auth.presenter   `azp`                                                    string kinds
//   request.auth.claim (claimPath) a claim, nested by path; each element of a list   string kinds
//   connection.sni           never present at a waypoint (the tunnel carries plaintext HTTP)
// String kinds: exact, prefix, suffix, presence (any non-empty value).
// `template`: an Istio path template, "/a/{*}/b/{**}" ({*} one non-empty segment, {**} the rest).

export const PATH_NORMALIZATIONS = ['NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'] as const;
export type PathNormalization = (typeof PATH_NORMALIZATIONS)[number];
/** ambit's default is the strictest mode (Istio's is BASE): encoded and doubled slashes cannot dodge a policy. */
export const DEFAULT_PATH_NORMALIZATION: PathNormalization = 'DECODE_AND_MERGE_SLASHES';

export const L7_ACTIONS = ['ALLOW', 'DENY', 'AUDIT'] as const;
export type L7Action = (typeof L7_ACTIONS)[number];

export const L7_ATTRIBUTES = [
  'source.principal', 'source.namespace', 'source.ip', 'remote.ip', 'destination.ip', 'destination.port',
  'request.host', 'request.method', 'request.path', 'request.header',
  'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'request.auth.claim',
  'connection.sni',
] as const;
export type L7AttributeName = (typeof L7_ATTRIBUTES)[number];

export const L7_MATCHER_KINDS = ['exact', 'prefix', 'suffix', 'presence', 'template', 'cidr', 'port'] as const;
export type L7MatcherKind = (typeof L7_MATCHER_KINDS)[number];

export interface L7Matcher {
  readonly kind: L7MatcherKind;
  /** exact/prefix/suffix: the text; template: the template; cidr: "198.18.0.0/15"; port: "8080"; presence: "". */
  readonly value: string;
}

export interface L7Predicate {
  readonly attribute: L7AttributeName;
  /** request.header: the header name, lower-case; '' otherwise. */
  readonly key: string;
  /** request.auth.claim: the claim path (["realm", "roles"] for claims[realm][roles]); [] otherwise. */
  readonly claimPath: readonly string[];
  /** OR-ed; empty: no positive condition. */
  readonly values: readonly L7Matcher[];
  /** None may match. */
  readonly notValues: readonly L7Matcher[];
}

/** One `from[].source` or `to[].operation`: all predicates AND-ed. */
export interface L7Entry {
  readonly predicates: readonly L7Predicate[];
}

export interface L7Rule {
  /** OR-ed; empty = any source. */
  readonly from: readonly L7Entry[];
  /** OR-ed; empty = any operation. */
  readonly to: readonly L7Entry[];
  /** AND-ed. */
  readonly when: readonly L7Predicate[];
}

/** What a policy applies to at this waypoint. */
export interface PolicyTargets {
  /** Every request the waypoint handles (targetRefs to its Gateway or the istio-waypoint GatewayClass). */
  readonly all: boolean;
  /** Address Service keys "<namespace>/<hostname>" (targetRefs to Services bound to this waypoint). */
  readonly services: readonly string[];
}

export interface L7Policy {
  readonly name: string;
  readonly namespace: string;
  readonly action: L7Action;
  readonly dryRun: boolean;
  readonly targets: PolicyTargets;
  /** OR-ed; empty matches nothing (an ALLOW policy with no rules denies every request it applies to). */
  readonly rules: readonly L7Rule[];
}

export interface JwtHeaderLocation {
  /** Lower-case header name. */
  readonly name: string;
  /** Text before the token, e.g. "Bearer " ('' = the whole value). */
  readonly prefix: string;
}

export interface ClaimToHeader {
  /** Lower-case header name. */
  readonly header: string;
  /** Claim name; "a.b" reads a nested claim. */
  readonly claim: string;
}

export interface JwtRule {
  readonly issuer: string;
  /** The token's `aud` must contain one of these; empty = not checked. */
  readonly audiences: readonly string[];
  /** Inline JWKS (JSON text); exactly one of jwks / jwksUri is set. */
  readonly jwks: string;
  /** http(s) URL the waypoint fetches the JWKS from (a mesh Service host goes through the mesh). */
  readonly jwksUri: string;
  /** Where tokens are read; all three empty = `Authorization: Bearer` and the `access_token` parameter. */
  readonly fromHeaders: readonly JwtHeaderLocation[];
  readonly fromParams: readonly string[];
  readonly fromCookies: readonly string[];
  /** Keep the token in the forwarded request (default: the header carrying it is removed). */
  readonly forwardOriginalToken: boolean;
  /** Header that gets the verified payload (base64url JSON); '' = none. */
  readonly outputPayloadToHeader: string;
  readonly outputClaimToHeaders: readonly ClaimToHeader[];
  /** JWKS fetch timeout. */
  readonly timeoutMs: number;
}

export interface RequestAuthn {
  readonly name: string;
  readonly namespace: string;
  readonly targets: PolicyTargets;
  readonly rules: readonly JwtRule[];
}

export interface WaypointSecurity {
  readonly pathNormalization: PathNormalization;
  readonly authorization: readonly L7Policy[];
  readonly authentication: readonly RequestAuthn[];
}

export const EMPTY_SECURITY: WaypointSecurity = Object.freeze({
  pathNormalization: DEFAULT_PATH_NORMALIZATION, authorization: [], authentication: [],
});

/** Istio's default JWKS fetch timeout. */
export const DEFAULT_JWKS_TIMEOUT_MS = 5000;

/** Limits the codec enforces (istiod converts within them). */
export const SECURITY_LIMITS = Object.freeze({
  policies: 1024,
  rulesPerPolicy: 512,
  entriesPerRule: 256,
  predicatesPerRule: 64,
  valuesPerPredicate: 1024,
  valueChars: 4096,
  claimPathDepth: 8,
  jwtRulesPerPolicy: 64,
  jwksChars: 256 * 1024,
  timeoutMsMax: 60_000,
});
