// Verification of an issued workload chain (leaf first, then intermediates) against a trust
// bundle: signatures, CA flags, validity at a given time, and the leaf's X509-SVID identity.

import { ErrorCode, MeshError } from '../errors/mesh-error';
import type { SpiffeId } from '../identity/spiffe';
import { buildPath, checkValidity, parseCertificates, validity, type NamedCertificate } from './chain';
import { identityFromCertificate } from './svid';

export interface VerifiedChain {
  readonly identity: SpiffeId;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** What verifyChainDetailed found: the verified leaf and the path to the root. */
export interface VerifiedPath extends VerifiedChain {
  readonly leaf: NamedCertificate;
  /** Intermediates from the leaf's issuer up, root excluded. */
  readonly intermediates: readonly NamedCertificate[];
  readonly root: NamedCertificate;
}

export function verifyChainDetailed(chainPem: readonly string[], rootsPem: string, now: Date = new Date()): VerifiedPath {
  const certs = chainPem.flatMap((pem, i) => parseCertificates(pem, i === 0 ? 'leaf certificate' : `chain element #${i + 1}`));
  const leaf = certs[0];
  if (leaf === undefined) throw new MeshError(ErrorCode.BadCertificate, 'the certificate chain is empty');
  const roots = parseCertificates(rootsPem, 'root certificate');
  const identity = identityFromCertificate(leaf.cert.raw);
  checkValidity(leaf, now);
  const path = buildPath(leaf, certs.slice(1), roots, now);
  return { identity, ...validity(leaf.cert), leaf, intermediates: path.intermediates, root: path.root };
}

/**
 * Verifies `chainPem` (leaf first; later elements may be intermediates in any order, a copy of a
 * root is ignored) against `rootsPem` at `now`: every signature, CA flags on issuers, validity
 * windows, and the leaf as an X509-SVID. Returns the leaf's identity and validity.
 * Throws MeshError(BadCertificate) naming the certificate and the problem.
 */
export function verifyChain(chainPem: readonly string[], rootsPem: string, now: Date = new Date()): VerifiedChain {
  const { identity, notBefore, notAfter } = verifyChainDetailed(chainPem, rootsPem, now);
  return { identity, notBefore, notAfter };
}
