// Test-only builders for authorization tests: policies from partial matches, connections with a
// default mTLS peer, and a one-call decision over a fresh index.

import {
  EMPTY_MATCH,
  type Authorization,
  type AuthorizationAction,
  type AuthorizationMatch,
  type AuthorizationRule,
  type AuthorizationScope,
} from '../../pkg/api/authorization-types';
import { spiffeId } from '../../pkg/identity/spiffe';
import { authorizeConnection, type ConnectionAttributes, type DestinationWorkload, type PolicyDecision } from './evaluate';
import { buildPolicyIndex } from './policy-index';

export const FRONTEND = spiffeId('cluster.local', 'shop', 'frontend');

/** An mTLS connection from shop/frontend (198.18.1.5) to 198.18.2.7:9080, with overrides. */
export function conn(over: Partial<ConnectionAttributes> = {}): ConnectionAttributes {
  return { sourceIdentity: FRONTEND, sourceIp: '198.18.1.5', destinationIp: '198.18.2.7', destinationPort: 9080, ...over };
}

/** The same connection without a peer identity (arrived on 15006). */
export function plaintext(over: Partial<ConnectionAttributes> = {}): ConnectionAttributes {
  const { sourceIdentity: _dropped, ...rest } = conn(over);
  return rest;
}

export function match(m: Partial<AuthorizationMatch>): AuthorizationMatch {
  return { ...EMPTY_MATCH, ...m };
}

/** A rule of one clause per argument; each clause is an OR of the given matches. */
export function rule(...clauses: Partial<AuthorizationMatch>[][]): AuthorizationRule {
  return { clauses: clauses.map((ms) => ({ matches: ms.map(match) })) };
}

export interface PolicyOptions {
  name?: string;
  namespace?: string;
  scope?: AuthorizationScope;
  dryRun?: boolean;
}

export function policy(action: AuthorizationAction, rules: AuthorizationRule[], opts: PolicyOptions = {}): Authorization {
  return {
    name: opts.name ?? `${action.toLowerCase()}-policy`,
    namespace: opts.namespace ?? 'shop',
    scope: opts.scope ?? 'NAMESPACE',
    action,
    rules,
    dryRun: opts.dryRun ?? false,
  };
}

export const SHOP_WORKLOAD: DestinationWorkload = { namespace: 'shop', authorizationPolicies: [] };

export function decide(policies: Authorization[], c: ConnectionAttributes, dest: DestinationWorkload = SHOP_WORKLOAD): PolicyDecision {
  return authorizeConnection(buildPolicyIndex(policies), dest, c);
}
