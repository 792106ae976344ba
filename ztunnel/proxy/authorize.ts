// The authorization hook the inbound paths (HBONE, plaintext, same-node delivery) call before
// connecting to the app: `policyAuthorizer` evaluates the L4 AuthorizationPolicies in force
// (ztunnel/policy); `allowAll` is for tests and tools that run without policies.

import type { Workload } from '../../pkg/api/workload-types';
import type { SpiffeId } from '../../pkg/identity/spiffe';
import { authorizeConnection } from '../policy/evaluate';
import type { PolicyIndex } from '../policy/policy-index';

export interface AuthorizationRequest {
  /** The verified peer identity; undefined for plaintext (15006). */
  readonly sourceIdentity?: SpiffeId;
  /** The client address as attributed (the real client when known, else the tunnel's peer). */
  readonly sourceAddress: string;
  /** The client workload, when known. */
  readonly sourceWorkload?: Workload;
  /** The local workload the connection is for. */
  readonly destination: Workload;
  readonly destinationAddress: string;
  readonly destinationPort: number;
}

export type AuthorizationDecision = { readonly allow: true } | { readonly allow: false; readonly reason: string };

export type Authorizer = (request: AuthorizationRequest) => AuthorizationDecision;

const ALLOW: AuthorizationDecision = Object.freeze({ allow: true });

/** Allows every connection (no policies yet). */
export const allowAll: Authorizer = () => ALLOW;

/**
 * The L4 AuthorizationPolicy engine: the destination workload's policies (namespace, global and
 * the ones istiod attached to it) from the index in force right now, evaluated per connection.
 * `onDryRunDeny` hears about connections a dry-run policy would have denied.
 */
export function policyAuthorizer(
  index: () => PolicyIndex,
  onDryRunDeny?: (request: AuthorizationRequest, policy: string | undefined, reason: string) => void,
): Authorizer {
  return (request) => {
    const decision = authorizeConnection(index(), request.destination, {
      ...(request.sourceIdentity ? { sourceIdentity: request.sourceIdentity } : {}),
      sourceIp: request.sourceAddress,
      destinationIp: request.destinationAddress,
      destinationPort: request.destinationPort,
    });
    if (decision.dryRunWouldDeny && onDryRunDeny) onDryRunDeny(request, decision.dryRunWouldDeny.policy, decision.dryRunWouldDeny.reason);
    if (decision.allowed) return ALLOW;
    return { allow: false, reason: decision.policy ? `${decision.reason} (policy ${decision.policy})` : decision.reason };
  };
}
