// Authentication of API requests: the admin bearer token (user `admin`, group `system:masters`)
// or a ServiceAccount token reviewed by the signer for the API server's audience, whose bound
// service account / pod / node must still exist. There is NO authorization (no RBAC): every
// authenticated user may do everything — acceptable for a single-user local cluster.

import { timingSafeEqual } from 'node:crypto';
import { unauthorized } from './errors';
import type { Registry } from './registry';
import type { Store } from './store';
import { BoundObjectRef, SERVICE_ACCOUNT_ISSUER, TokenReviewStatus, TokenSigner } from './tokens';

/** The audience the API server accepts service account tokens for (Kubernetes: the issuer). */
export const API_AUDIENCE = SERVICE_ACCOUNT_ISSUER;

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

const ADMIN: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };

const PLURAL_OF: Readonly<Record<BoundObjectRef['kind'], string>> = { ServiceAccount: 'serviceaccounts', Pod: 'pods', Node: 'nodes' };

/** Whether the object a token is bound to still exists with the same uid. */
export function boundObjectExists(store: Store, registry: Registry): (ref: BoundObjectRef) => boolean {
  return (ref) => {
    const type = registry.find('', PLURAL_OF[ref.kind]);
    if (!type) return false;
    const obj = store.tryGet(type, ref.namespace || undefined, ref.name);
    return obj !== undefined && obj.metadata.uid === ref.uid && !obj.metadata.deletionTimestamp;
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Authenticator {
  constructor(private readonly adminToken: string, private readonly signer: TokenSigner,
    private readonly exists: (ref: BoundObjectRef) => boolean) {}

  /** A TokenReview of any token the server accepts (admin or service account). */
  review(token: string, audiences: string[] | undefined): TokenReviewStatus {
    if (sameSecret(token, this.adminToken)) {
      return { authenticated: true, user: { username: ADMIN.username, uid: '', groups: ADMIN.groups, extra: {} }, audiences: audiences?.length ? audiences : [API_AUDIENCE] };
    }
    return this.signer.review(token, audiences?.length ? audiences : [API_AUDIENCE], new Date(), this.exists);
  }

  /** The user behind an Authorization header, or a 401. */
  authenticate(header: string | undefined): UserInfo {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) throw unauthorized();
    const result = this.review(m[1], [API_AUDIENCE]);
    if (!result.authenticated) throw unauthorized();
    return { username: result.user.username, uid: result.user.uid, groups: result.user.groups };
  }
}
