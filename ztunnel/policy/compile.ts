// Compiles an Authorization (pkg/api/authorization-types.ts) once per policy update into the form
// the connection path evaluates cheaply: exact strings and ports in Sets, CIDRs as masked words,
// each match a short list of checks over a per-connection `PeerFacts`. Empty matches, clauses that
// can never match and rules containing them are dropped at compile time, so a policy is "any rule
// whose every clause has some match whose every check passes" (zero rules: nothing matches).
//
// A peer without an identity (plaintext) has no namespace, service account or principal:
// - a positive identity list (namespaces, serviceAccounts, principals) never matches it;
// - a negated identity list (notNamespaces, notServiceAccounts, notPrincipals) is satisfied by it
//   in a DENY policy (Istio's semantics; deny-if-not-principals-[presence] is how STRICT mTLS is
//   expressed) and when the list itself tests `presence`; in an ALLOW policy it is otherwise NOT
//   satisfied — stricter than Istio on purpose: `ALLOW notNamespaces: [foo]` must not admit a
//   plaintext peer that may well come from foo (hardening.md 1A #16).
// Pure.

import {
  authorizationResourceName,
  type Authorization,
  type AuthorizationAction,
  type AuthorizationMatch,
  type AuthorizationScope,
  type ServiceAccountMatch,
  type StringMatch,
} from '../../pkg/api/authorization-types';
import { cidrContains, compileCidr, type CompiledCidr, type IpValue } from '../../pkg/api/ip-match';

/** What the checks read about one connection, computed once per connection. */
export interface PeerFacts {
  /** `<td>/ns/<ns>/sa/<sa>`, or undefined for plaintext. */
  readonly principal: string | undefined;
  readonly namespace: string | undefined;
  /** `<ns>/<sa>`, or undefined for plaintext. */
  readonly serviceAccount: string | undefined;
  readonly sourceIp: IpValue;
  readonly destinationIp: IpValue;
  readonly destinationPort: number;
}

type Check = (facts: PeerFacts) => boolean;

/** AND of checks (never empty). */
export type CompiledMatch = readonly Check[];
/** OR of matches (never empty). */
export type CompiledClause = readonly CompiledMatch[];
/** AND of clauses; empty matches everything. */
export type CompiledRule = readonly CompiledClause[];

export interface CompiledPolicy {
  /** `<namespace>/<name>`, the xDS resource name. */
  readonly key: string;
  readonly namespace: string;
  readonly scope: AuthorizationScope;
  readonly action: AuthorizationAction;
  readonly dryRun: boolean;
  /** OR of rules; empty matches nothing. */
  readonly rules: readonly CompiledRule[];
  /** The policy this was compiled from (compared by identity to reuse compiled forms). */
  readonly source: Authorization;
}

interface StringMatcher {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
  readonly suffixes: readonly string[];
  readonly presence: boolean;
}

function stringMatcher(list: readonly StringMatch[]): StringMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  let presence = false;
  for (const m of list) {
    if (m.kind === 'exact') exact.add(m.value);
    else if (m.kind === 'prefix') prefixes.push(m.value);
    else if (m.kind === 'suffix') suffixes.push(m.value);
    else presence = true;
  }
  return { exact, prefixes, suffixes, presence };
}

/** Does any entry match a present value? (`presence` matches any non-empty value.) */
function anyString(m: StringMatcher, value: string): boolean {
  if (m.presence && value.length > 0) return true;
  if (m.exact.has(value)) return true;
  for (const p of m.prefixes) if (value.startsWith(p)) return true;
  for (const s of m.suffixes) if (value.endsWith(s)) return true;
  return false;
}

function anyCidr(list: readonly CompiledCidr[], ip: IpValue): boolean {
  for (const c of list) if (cidrContains(c, ip)) return true;
  return false;
}

type IdentityField = 'principal' | 'namespace';

function identityStrings(
  checks: Check[],
  list: readonly StringMatch[],
  negated: boolean,
  field: IdentityField,
  plaintextPassesNegation: boolean,
): void {
  if (list.length === 0) return;
  const m = stringMatcher(list);
  if (!negated) {
    checks.push((f) => {
      const v = f[field];
      return v !== undefined && anyString(m, v);
    });
    return;
  }
  const plaintext = plaintextPassesNegation || m.presence;
  checks.push((f) => {
    const v = f[field];
    return v === undefined ? plaintext : !anyString(m, v);
  });
}

function serviceAccounts(checks: Check[], list: readonly ServiceAccountMatch[], negated: boolean, plaintextPassesNegation: boolean): void {
  if (list.length === 0) return;
  const keys = new Set(list.map((sa) => `${sa.namespace}/${sa.serviceAccount}`));
  checks.push(
    negated
      ? (f) => (f.serviceAccount === undefined ? plaintextPassesNegation : !keys.has(f.serviceAccount))
      : (f) => f.serviceAccount !== undefined && keys.has(f.serviceAccount),
  );
}

function ips(checks: Check[], list: readonly string[], negated: boolean, pick: (f: PeerFacts) => IpValue): void {
  if (list.length === 0) return;
  const cidrs = list.map(compileCidr);
  checks.push(negated ? (f) => !anyCidr(cidrs, pick(f)) : (f) => anyCidr(cidrs, pick(f)));
}

function ports(checks: Check[], list: readonly number[], negated: boolean): void {
  if (list.length === 0) return;
  const set = new Set(list);
  checks.push(negated ? (f) => !set.has(f.destinationPort) : (f) => set.has(f.destinationPort));
}

/** The checks of one match; empty when the match sets no field (such a match never matches). */
function compileMatch(m: AuthorizationMatch, action: AuthorizationAction): Check[] {
  const deny = action === 'DENY';
  const checks: Check[] = [];
  identityStrings(checks, m.namespaces, false, 'namespace', deny);
  identityStrings(checks, m.notNamespaces, true, 'namespace', deny);
  serviceAccounts(checks, m.serviceAccounts, false, deny);
  serviceAccounts(checks, m.notServiceAccounts, true, deny);
  identityStrings(checks, m.principals, false, 'principal', deny);
  identityStrings(checks, m.notPrincipals, true, 'principal', deny);
  ips(checks, m.sourceIps, false, (f) => f.sourceIp);
  ips(checks, m.notSourceIps, true, (f) => f.sourceIp);
  ips(checks, m.destinationIps, false, (f) => f.destinationIp);
  ips(checks, m.notDestinationIps, true, (f) => f.destinationIp);
  ports(checks, m.destinationPorts, false);
  ports(checks, m.notDestinationPorts, true);
  return checks;
}

/**
 * Compiles a policy. The input must be valid (decodeAuthorization output, or authorizationProblem
 * returned nothing); an unparsable CIDR throws MeshError (InvalidArgument).
 */
export function compilePolicy(a: Authorization): CompiledPolicy {
  const rules: CompiledRule[] = [];
  for (const rule of a.rules) {
    const clauses: CompiledClause[] = [];
    let possible = true;
    for (const clause of rule.clauses) {
      if (clause.matches.length === 0) continue; // a clause without matches matches everything (ztunnel)
      const matches = clause.matches.map((m) => compileMatch(m, a.action)).filter((checks) => checks.length > 0);
      if (matches.length === 0) {
        possible = false; // only empty matches: the clause, hence the rule, can never match
        break;
      }
      clauses.push(matches);
    }
    if (possible) rules.push(clauses);
  }
  return {
    key: authorizationResourceName(a),
    namespace: a.namespace,
    scope: a.scope,
    action: a.action,
    dryRun: a.dryRun,
    rules,
    source: a,
  };
}

/** Does the policy match the connection? */
export function policyMatches(p: CompiledPolicy, facts: PeerFacts): boolean {
  rules: for (const rule of p.rules) {
    for (const clause of rule) {
      let clauseMatched = false;
      for (const match of clause) {
        let all = true;
        for (const check of match) {
          if (!check(facts)) {
            all = false;
            break;
          }
        }
        if (all) {
          clauseMatched = true;
          break;
        }
      }
      if (!clauseMatched) continue rules;
    }
    return true;
  }
  return false;
}
