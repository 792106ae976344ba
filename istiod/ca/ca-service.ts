// istiod's IstioCertificateService/CreateCertificate: authenticate the bearer token with a
// TokenReview, rate-limit per caller, fetch the pods an impersonation decision needs, authorize,
// check the CSR names exactly the granted identity, and sign. Every refusal is a gRPC status with
// a reason and one log line; issued and refused requests are counted.

import { Metadata, status, type handleUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { createCertificateMethod, IMPERSONATED_IDENTITY, type CertificateRequest, type CertificateResponse } from '../../pkg/api/ca-messages';
import { describeError, isMeshError } from '../../pkg/errors/mesh-error';
import { formatSpiffeId, type SpiffeId } from '../../pkg/identity/spiffe';
import type { CertificateAuthority } from '../../pkg/tls/authority';
import { MAX_CSR_BYTES, parseCsr, type ParsedCsr } from '../../pkg/tls/csr';
import type { IstiodConfig } from '../config';
import type { CaKube, KubePod, TokenReviewOutcome } from '../kube/types';
import type { Logger } from '../../pkg/log/logger';
import { authorize, callerFromReview, describeCaller, impersonationOf, type Caller } from './authorize';
import { KeyedRateLimiter } from './rate-limit';

/** Outcomes counted by the CA (gRPC status names for refusals). */
export interface CaCounters {
  issued: number;
  readonly refused: Record<RefusalStatus, number>;
}

const REFUSAL_STATUSES = ['UNAUTHENTICATED', 'PERMISSION_DENIED', 'INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INTERNAL'] as const;
export type RefusalStatus = (typeof REFUSAL_STATUSES)[number];

export type IssueOutcome =
  | { readonly ok: true; readonly certChain: string[]; readonly identity: SpiffeId; readonly ttlSeconds: number }
  | { readonly ok: false; readonly status: RefusalStatus; readonly message: string };

export type CaSettings = Pick<IstiodConfig, 'trustDomain' | 'trustedNodeAccounts' | 'tokenAudience' | 'defaultWorkloadCertTtlSeconds'
  | 'maxWorkloadCertTtlSeconds' | 'caRateLimitBurst' | 'caRateLimitPerSecond'>;

export interface CaServiceDeps {
  readonly kube: Pick<CaKube, 'reviewToken' | 'getPod' | 'listPods'>;
  readonly ca: CertificateAuthority;
  readonly settings: CaSettings;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface CaService {
  /** Decides one request (transport-free; the handler wraps it). */
  issue(request: CertificateRequest, metadata: Metadata, peer: string): Promise<IssueOutcome>;
  readonly handler: handleUnaryCall<CertificateRequest, CertificateResponse>;
  /** For grpc.Server#addService. */
  readonly definition: ServiceDefinition;
  readonly counters: CaCounters;
}

/** Requested TTL if positive (else the default), never above the maximum. */
export function grantedTtlSeconds(requested: number, defaultSeconds: number, maxSeconds: number): number {
  const wanted = Number.isFinite(requested) && requested > 0 ? Math.floor(requested) : defaultSeconds;
  return Math.max(1, Math.min(wanted, maxSeconds));
}

/** The address part of a peer string: grpc-js gives `<address>:<port>` (IPv6 unbracketed). */
export function peerAddress(peer: string): string {
  const m = /^(?:ipv[46]:)?(.+):[0-9]+$/.exec(peer);
  if (!m) return peer;
  const host = m[1] as string;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Per-address limits are this many times the per-caller ones (many callers may share an address). */
export const PEER_LIMIT_FACTOR = 4;

/** The bearer token of a call: exactly one `authorization: Bearer <token>` entry. */
export function bearerToken(metadata: Metadata): string | undefined {
  const values = metadata.get('authorization');
  if (values.length !== 1 || typeof values[0] !== 'string') return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(values[0]);
  return m ? m[1] : undefined;
}

const GRPC_STATUS: Readonly<Record<RefusalStatus, status>> = {
  UNAUTHENTICATED: status.UNAUTHENTICATED, PERMISSION_DENIED: status.PERMISSION_DENIED, INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED, UNAVAILABLE: status.UNAVAILABLE, INTERNAL: status.INTERNAL,
};

export function createCaService(deps: CaServiceDeps): CaService {
  const { kube, ca, settings, logger } = deps;
  const limiter = new KeyedRateLimiter({ burst: settings.caRateLimitBurst, perSecond: settings.caRateLimitPerSecond }, deps.now ?? Date.now);
  // Checked before the TokenReview, so a flood of junk tokens cannot become a flood of API calls.
  const peerLimiter = new KeyedRateLimiter({
    burst: settings.caRateLimitBurst * PEER_LIMIT_FACTOR, perSecond: settings.caRateLimitPerSecond * PEER_LIMIT_FACTOR,
  }, deps.now ?? Date.now);
  const counters: CaCounters = { issued: 0, refused: Object.fromEntries(REFUSAL_STATUSES.map((s) => [s, 0])) as Record<RefusalStatus, number> };

  const issue = async (request: CertificateRequest, metadata: Metadata, peer: string): Promise<IssueOutcome> => {
    const requested = request.metadata[IMPERSONATED_IDENTITY];
    let who = 'unknown caller';
    const refuse = (code: RefusalStatus, message: string): IssueOutcome => {
      counters.refused[code]++;
      const wanted = requested ? JSON.stringify(requested.length > 200 ? `${requested.slice(0, 200)}...` : requested) : 'its own identity';
      const line = `CA refused ${code}: ${who} from ${peer} asked for ${wanted}: ${message}`;
      if (code === 'INTERNAL' || code === 'UNAVAILABLE') logger.error(line); else logger.warn(line);
      return { ok: false, status: code, message };
    };

    const token = bearerToken(metadata);
    if (!token) return refuse('UNAUTHENTICATED', 'no bearer token');
    const address = peerAddress(peer);
    if (!peerLimiter.take(address)) return refuse('RESOURCE_EXHAUSTED', `too many certificate requests from address ${address}; retry later`);
    let podsOnNode: KubePod[] = [];
    let callerPod: KubePod | undefined;
    let review: TokenReviewOutcome;
    try {
      review = await kube.reviewToken(token, [settings.tokenAudience]);
    } catch (err) {
      return refuse('UNAVAILABLE', `cannot review the token: ${describeError(err)}`);
    }
    const read = callerFromReview(review, settings.tokenAudience);
    if (!read.ok) return refuse('UNAUTHENTICATED', read.refusal.reason);
    const caller: Caller = read.caller;
    who = describeCaller(caller);
    if (!limiter.take(`${caller.namespace}/${caller.serviceAccount}/${caller.pod?.name ?? ''}`)) {
      return refuse('RESOURCE_EXHAUSTED', `too many certificate requests from ${who}; retry later`);
    }

    const wanted = impersonationOf(requested, caller, settings.trustDomain);
    if (wanted.kind === 'other' && caller.pod
      && settings.trustedNodeAccounts.some((a) => a.namespace === caller.namespace && a.serviceAccount === caller.serviceAccount)) {
      try {
        callerPod = await kube.getPod(caller.namespace, caller.pod.name);
        if (callerPod?.nodeName) {
          podsOnNode = await kube.listPods(wanted.target.namespace, `spec.nodeName=${callerPod.nodeName}`);
        }
      } catch (err) {
        return refuse('UNAVAILABLE', `cannot look up pods: ${describeError(err)}`);
      }
    }
    const decision = authorize({
      review, requestedIdentity: requested, callerPod, podsOnNode,
      trustedNodeAccounts: settings.trustedNodeAccounts, trustDomain: settings.trustDomain, audience: settings.tokenAudience,
    });
    if (!decision.allowed) return refuse(decision.code === 'Unauthenticated' ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', decision.reason);
    const granted = formatSpiffeId(decision.identity);

    if (!request.csr) return refuse('INVALID_ARGUMENT', 'the request has no CSR');
    if (Buffer.byteLength(request.csr) > MAX_CSR_BYTES) return refuse('INVALID_ARGUMENT', `the CSR is larger than ${MAX_CSR_BYTES} bytes`);
    let parsedCsr: ParsedCsr;
    try {
      parsedCsr = await parseCsr(request.csr);
    } catch (err) {
      return refuse('INVALID_ARGUMENT', `invalid CSR: ${describeError(err)}`);
    }
    const sans = parsedCsr.uriSans;
    if (sans.length !== 1 || sans[0] !== granted) {
      const shown = sans.length === 0 ? '(none)' : sans.map((s) => JSON.stringify(s.slice(0, 200))).join(', ');
      return refuse('INVALID_ARGUMENT', `CSR SAN ${shown} does not match the identity ${granted} being granted (exactly one URI SAN is required)`);
    }

    const ttlSeconds = grantedTtlSeconds(request.validityDurationSeconds, settings.defaultWorkloadCertTtlSeconds, settings.maxWorkloadCertTtlSeconds);
    let certChain: string[];
    try {
      certChain = await ca.signWorkload({ csrPem: request.csr, parsedCsr, identity: decision.identity, ttlSeconds });
    } catch (err) {
      if (isMeshError(err, 'InvalidArgument')) return refuse('INVALID_ARGUMENT', describeError(err));
      return refuse('INTERNAL', `signing failed: ${describeError(err)}`);
    }
    counters.issued++;
    logger.info(`CA issued ${granted} to ${who} from ${peer} for ${ttlSeconds}s${decision.impersonated ? ' (node agent)' : ''}`);
    return { ok: true, certChain, identity: decision.identity, ttlSeconds };
  };

  const handler: handleUnaryCall<CertificateRequest, CertificateResponse> = (call, callback) => {
    issue(call.request, call.metadata, call.getPeer()).then(
      (outcome) => {
        if (outcome.ok) callback(null, { certChain: outcome.certChain });
        else callback({ code: GRPC_STATUS[outcome.status], details: outcome.message });
      },
      (err: unknown) => {
        counters.refused.INTERNAL++;
        logger.error(`CA request from ${call.getPeer()} failed: ${describeError(err)}`);
        callback({ code: status.INTERNAL, details: 'internal error' });
      },
    );
  };

  return { issue, handler, definition: { CreateCertificate: createCertificateMethod }, counters };
}
