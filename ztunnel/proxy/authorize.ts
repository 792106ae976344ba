// The authorization hook the inbound paths (HBONE, plaintext, same-node delivery) call before
// connecting to the app. Allows everything for now; the L4 AuthorizationPolicy engine plugs in
// here (ProxyOptions.authorize) with the same signature.

import type { Workload } from '../../pkg/api/workload-types';
import type { SpiffeId } from '../../pkg/identity/spiffe';

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
