// The data model of the `istio.security.Authorization` xDS type (L4 policy ztunnel enforces), as
// plain TypeScript values: what istiod converts AuthorizationPolicy / PeerAuthentication into and
// what ztunnel evaluates. Wire encoding (field numbers as Istio's authorization.proto) lives in
// authorization-codec.ts; CIDRs are text here ("198.18.0.0/16") and raw bytes + length on the wire.
//
// Semantics (Istio's): a policy's rules are OR-ed; a rule's clauses are AND-ed; a clause's matches
// are OR-ed; inside one match, values of one field are OR-ed, different fields AND-ed, and a not_*
// list must match none. A policy with zero rules matches nothing; a rule with zero clauses matches
// everything; a match with no fields set never matches.

export const AUTHORIZATION_SCOPES = ['GLOBAL', 'NAMESPACE', 'WORKLOAD_SELECTOR'] as const;
export type AuthorizationScope = (typeof AUTHORIZATION_SCOPES)[number];

export const AUTHORIZATION_ACTIONS = ['ALLOW', 'DENY'] as const;
export type AuthorizationAction = (typeof AUTHORIZATION_ACTIONS)[number];

/** One string matcher; `presence` matches any non-empty value. */
export type StringMatch =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'suffix'; readonly value: string }
  | { readonly kind: 'presence' };

export interface ServiceAccountMatch {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** A CIDR as text: `198.18.0.0/16`, `fd00::/8`; a bare address is stored with its full length. */
export type Cidr = string;

/** Every list is optional-empty; empty means "this field is not part of the match". */
export interface AuthorizationMatch {
  readonly namespaces: readonly StringMatch[];
  readonly notNamespaces: readonly StringMatch[];
  readonly serviceAccounts: readonly ServiceAccountMatch[];
  readonly notServiceAccounts: readonly ServiceAccountMatch[];
  /** Identities without `spiffe://`, e.g. `cluster.local/ns/a/sa/b`. */
  readonly principals: readonly StringMatch[];
  readonly notPrincipals: readonly StringMatch[];
  readonly sourceIps: readonly Cidr[];
  readonly notSourceIps: readonly Cidr[];
  readonly destinationIps: readonly Cidr[];
  readonly notDestinationIps: readonly Cidr[];
  readonly destinationPorts: readonly number[];
  readonly notDestinationPorts: readonly number[];
}

export interface AuthorizationClause {
  /** OR-ed. */
  readonly matches: readonly AuthorizationMatch[];
}

export interface AuthorizationRule {
  /** AND-ed. */
  readonly clauses: readonly AuthorizationClause[];
}

export interface Authorization {
  /** Policy name; the xDS resource name is `<namespace>/<name>`. */
  readonly name: string;
  readonly namespace: string;
  readonly scope: AuthorizationScope;
  readonly action: AuthorizationAction;
  /** OR-ed. */
  readonly rules: readonly AuthorizationRule[];
  readonly dryRun: boolean;
}

/** The xDS resource name of a policy. */
export function authorizationResourceName(policy: Pick<Authorization, 'namespace' | 'name'>): string {
  return `${policy.namespace}/${policy.name}`;
}

/** A match with every list empty; spread it and set the fields a rule needs. */
export const EMPTY_MATCH: AuthorizationMatch = Object.freeze({
  namespaces: [], notNamespaces: [], serviceAccounts: [], notServiceAccounts: [], principals: [], notPrincipals: [],
  sourceIps: [], notSourceIps: [], destinationIps: [], notDestinationIps: [], destinationPorts: [], notDestinationPorts: [],
});
