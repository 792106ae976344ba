// SPIFFE identities: strict parsing and formatting of `spiffe://<trust-domain>/<path>` URIs and of
// the Istio workload form `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`.
// Stricter than the SPIFFE spec where it costs nothing: lowercase scheme and trust domain only,
// namespace and service-account segments must be valid Kubernetes names.

import { ErrorCode, MeshError } from '../errors/mesh-error';

/** The longest SPIFFE ID accepted (SPIFFE-ID §2.3). */
export const MAX_SPIFFE_ID_BYTES = 2048;
/** The longest trust domain accepted (SPIFFE-ID §2.1). */
export const MAX_TRUST_DOMAIN_BYTES = 255;
export const SPIFFE_PREFIX = 'spiffe://';

/** An Istio workload identity. Compare with `sameIdentity`, key maps with `formatSpiffeId`. */
export interface SpiffeId {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** Any SPIFFE ID: a trust domain and its path segments (empty for a trust-domain ID). */
export interface SpiffeUri {
  readonly trustDomain: string;
  readonly segments: readonly string[];
}

const TRUST_DOMAIN_RE = /^[a-z0-9._-]+$/;
const SEGMENT_RE = /^[a-zA-Z0-9._-]+$/;
const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SERVICE_ACCOUNT_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function invalid(uri: string, why: string): MeshError {
  const shown = uri.length > 120 ? `${uri.slice(0, 120)}...` : uri;
  return new MeshError(ErrorCode.InvalidArgument, `invalid SPIFFE ID ${JSON.stringify(shown)}: ${why}`);
}

/** Checks a trust domain name; returns why it is invalid, or undefined. */
export function trustDomainProblem(trustDomain: string): string | undefined {
  if (trustDomain.length === 0) return 'the trust domain is empty';
  if (Buffer.byteLength(trustDomain) > MAX_TRUST_DOMAIN_BYTES) return `the trust domain is longer than ${MAX_TRUST_DOMAIN_BYTES} bytes`;
  if (!TRUST_DOMAIN_RE.test(trustDomain)) {
    return 'the trust domain may contain only lowercase letters, digits, ".", "-" and "_" (no port, user info or percent-encoding)';
  }
  return undefined;
}

/** Parses any SPIFFE ID strictly; throws a MeshError (InvalidArgument) saying what is wrong. */
export function parseSpiffeUri(uri: string): SpiffeUri {
  if (typeof uri !== 'string') throw invalid(String(uri), 'not a string');
  if (Buffer.byteLength(uri) > MAX_SPIFFE_ID_BYTES) throw invalid(uri, `longer than ${MAX_SPIFFE_ID_BYTES} bytes`);
  if (!uri.startsWith(SPIFFE_PREFIX)) throw invalid(uri, 'the scheme must be "spiffe://" (lowercase)');
  const rest = uri.slice(SPIFFE_PREFIX.length);
  if (/[?#]/.test(rest)) throw invalid(uri, 'a query or fragment is not allowed');
  if (rest.includes('%')) throw invalid(uri, 'percent-encoding is not allowed');
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const tdProblem = trustDomainProblem(trustDomain);
  if (tdProblem) throw invalid(uri, tdProblem);
  if (slash === -1) return { trustDomain, segments: [] };
  const segments = rest.slice(slash + 1).split('/');
  for (const segment of segments) {
    if (segment.length === 0) throw invalid(uri, 'empty path segments and a trailing "/" are not allowed');
    if (segment === '.' || segment === '..') throw invalid(uri, '"." and ".." path segments are not allowed');
    if (!SEGMENT_RE.test(segment)) throw invalid(uri, `path segment ${JSON.stringify(segment)} has characters outside [a-zA-Z0-9._-]`);
  }
  return { trustDomain, segments };
}

/** Parses an Istio workload identity `spiffe://<td>/ns/<ns>/sa/<sa>` strictly. */
export function parseSpiffeId(uri: string): SpiffeId {
  const { trustDomain, segments } = parseSpiffeUri(uri);
  if (segments.length !== 4 || segments[0] !== 'ns' || segments[2] !== 'sa') {
    throw invalid(uri, 'the path must be exactly /ns/<namespace>/sa/<service-account>');
  }
  const [, namespace, , serviceAccount] = segments as [string, string, string, string];
  if (namespace.length > 63 || !NAMESPACE_RE.test(namespace)) throw invalid(uri, `${JSON.stringify(namespace)} is not a valid namespace name`);
  if (serviceAccount.length > 253 || !SERVICE_ACCOUNT_RE.test(serviceAccount)) {
    throw invalid(uri, `${JSON.stringify(serviceAccount)} is not a valid service account name`);
  }
  return Object.freeze({ trustDomain, namespace, serviceAccount });
}

/** Like parseSpiffeId, but undefined instead of an error. */
export function tryParseSpiffeId(uri: string): SpiffeId | undefined {
  try {
    return parseSpiffeId(uri);
  } catch {
    return undefined;
  }
}

/** Builds an identity from its parts, validating them as parseSpiffeId would. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): SpiffeId {
  return parseSpiffeId(`${SPIFFE_PREFIX}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`);
}

export function formatSpiffeId(id: SpiffeId): string {
  return `${SPIFFE_PREFIX}${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** The principal form used in authorization policies: the SPIFFE ID without `spiffe://`. */
export function principalOf(id: SpiffeId): string {
  return `${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

export function sameIdentity(a: SpiffeId, b: SpiffeId): boolean {
  return a.trustDomain === b.trustDomain && a.namespace === b.namespace && a.serviceAccount === b.serviceAccount;
}
