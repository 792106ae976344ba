// Who an xDS stream belongs to: the bearer token in the `authorization` metadata, reviewed with a
// TokenReview for the CA's audience (`istio-ca`), as the CA does. Successful reviews are cached
// briefly by token hash (ztunnel reconnects often, with the same token); concurrent reviews of one
// token share a single API call; tokens not in the cache are rate-limited per peer address first,
// so a flood of junk tokens cannot become a flood of TokenReviews.

import { createHash } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { describeError } from '../../pkg/errors/mesh-error';
import { callerFromReview, type Caller } from '../ca/authorize';
import { bearerToken, peerAddress } from '../ca/ca-service';
import { KeyedRateLimiter, type RateLimitSettings } from '../ca/rate-limit';
import type { CaKube } from '../kube/types';

export type AuthOutcome =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly code: 'UNAUTHENTICATED' | 'UNAVAILABLE' | 'RESOURCE_EXHAUSTED'; readonly message: string };

export interface AuthenticatorOptions {
  readonly kube: Pick<CaKube, 'reviewToken'>;
  readonly audience: string;
  /** How long a successful review is reused. */
  readonly cacheTtlMs: number;
  /** Most cached tokens (default 10 000; the oldest go first). */
  readonly maxCached?: number;
  /** Reviews of uncached tokens per peer address (default burst 20, 5/s). */
  readonly peerLimit?: RateLimitSettings;
  readonly now?: () => number;
}

export interface Authenticator {
  authenticate(metadata: Metadata, peer: string): Promise<AuthOutcome>;
  /** Cached tokens (tests, metrics). */
  readonly cached: number;
}

interface Entry { readonly caller: Caller; readonly expiresMs: number }

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const now = opts.now ?? Date.now;
  const maxCached = opts.maxCached ?? 10_000;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<AuthOutcome>>();
  const limiter = new KeyedRateLimiter(opts.peerLimit ?? { burst: 20, perSecond: 5 }, now);

  const review = async (token: string, key: string): Promise<AuthOutcome> => {
    let outcome;
    try {
      outcome = await opts.kube.reviewToken(token, [opts.audience]);
    } catch (err) {
      return { ok: false, code: 'UNAVAILABLE', message: `cannot review the token: ${describeError(err)}` };
    }
    const read = callerFromReview(outcome, opts.audience);
    if (!read.ok) return { ok: false, code: 'UNAUTHENTICATED', message: read.refusal.reason };
    cache.delete(key);
    while (cache.size >= maxCached) {
      const oldest = cache.keys().next();
      if (oldest.done) break;
      cache.delete(oldest.value);
    }
    cache.set(key, { caller: read.caller, expiresMs: now() + opts.cacheTtlMs });
    return { ok: true, caller: read.caller };
  };

  return {
    authenticate: async (metadata, peer) => {
      const token = bearerToken(metadata);
      if (!token) return { ok: false, code: 'UNAUTHENTICATED', message: 'no bearer token (send "authorization: Bearer <service account token>")' };
      const key = createHash('sha256').update(token).digest('base64');
      const hit = cache.get(key);
      if (hit && hit.expiresMs > now()) return { ok: true, caller: hit.caller };
      if (hit) cache.delete(key);
      const pending = inFlight.get(key);
      if (pending) return pending;
      const address = peerAddress(peer);
      if (!limiter.take(address)) return { ok: false, code: 'RESOURCE_EXHAUSTED', message: `too many token reviews for address ${address}; retry later` };
      const p = review(token, key).finally(() => inFlight.delete(key));
      inFlight.set(key, p);
      return p;
    },
    get cached() { return cache.size; },
  };
}
