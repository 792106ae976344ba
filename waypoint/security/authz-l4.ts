// AuthorizationPolicies as they apply to a stream the waypoint relays as TCP (a TCP port, or one
// sniffed as not HTTP), where no request attribute exists. As Istio builds its network RBAC
// filter, so that a policy never becomes more permissive: an ALLOW rule that reads an HTTP
// attribute is dropped (it allows nothing over TCP); a DENY or AUDIT rule loses its HTTP predicates
// (so it denies every connection its L4 part matches). Pure.

import type { L7AttributeName, L7Entry, L7Policy, L7Predicate, L7Rule } from '../../pkg/api/waypoint-security-types';

const HTTP_ATTRIBUTES: ReadonlySet<L7AttributeName> = new Set<L7AttributeName>([
  'request.host', 'request.method', 'request.path', 'request.header',
  'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'request.auth.claim',
]);

export function isHttpPredicate(p: L7Predicate): boolean {
  return HTTP_ATTRIBUTES.has(p.attribute);
}

function ruleReadsHttp(rule: L7Rule): boolean {
  const entry = (e: L7Entry): boolean => e.predicates.some(isHttpPredicate);
  return rule.from.some(entry) || rule.to.some(entry) || rule.when.some(isHttpPredicate);
}

function withoutHttp(rule: L7Rule): L7Rule {
  const entry = (e: L7Entry): L7Entry => ({ predicates: e.predicates.filter((p) => !isHttpPredicate(p)) });
  return { from: rule.from.map(entry), to: rule.to.map(entry), when: rule.when.filter((p) => !isHttpPredicate(p)) };
}

/** The policies to evaluate for a TCP stream. */
export function policiesForTcp(policies: readonly L7Policy[]): L7Policy[] {
  return policies.map((p) => ({
    ...p,
    rules: p.action === 'ALLOW' ? p.rules.filter((r) => !ruleReadsHttp(r)) : p.rules.map(withoutHttp),
  }));
}
