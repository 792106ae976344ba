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

/** A dry-run policy would have denied an allowed connection. */
export interface DryRunDenial {
  /** `ns/name` of the dry-run policy that decided, when one did (not for "no dry-run ALLOW matched"). */
  readonly policy?: string;
  readonly reason: string;
}

/**
 * The verdict on one connection. `policy` is the `ns/name` of the deciding policy when one
 * decided: the ALLOW policy that matched, the DENY policy that matched, or the referenced policy
 * whose absence denied (none when no policy applies or no ALLOW matched).
 */
export type AuthorizationDecision =
  | { readonly allow: true; readonly policy?: string; readonly dryRunDeny?: DryRunDenial }
  | { readonly allow: false; readonly reason: string; readonly policy?: string };

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
    const { policy, dryRunWouldDeny } = decision;
    if (dryRunWouldDeny && onDryRunDeny) onDryRunDeny(request, dryRunWouldDeny.policy, dryRunWouldDeny.reason);
    if (!decision.allowed) {
      return policy === undefined ? { allow: false, reason: decision.reason } : { allow: false, reason: `${decision.reason} (policy ${policy})`, policy };
    }
    if (policy === undefined && !dryRunWouldDeny) return ALLOW;
    return { allow: true, ...(policy !== undefined ? { policy } : {}), ...(dryRunWouldDeny ? { dryRunDeny: dryRunWouldDeny } : {}) };
  };
}
