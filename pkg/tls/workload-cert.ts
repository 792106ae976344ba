// A workload's certificate as the data plane holds it, its verification, peer identity from a
// presented certificate (parsed from DER, never from Node's flattened SAN string), and the TLS
// options for mutual TLS 1.3 with it.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { PeerCertificate, SecureContextOptions } from 'node:tls';
import { ErrorCode, MeshError, describeError } from '../errors/mesh-error';
import { formatSpiffeId, sameIdentity, type SpiffeId } from '../identity/spiffe';
import { splitPemCertificates } from './pem';
import { identityFromCertificate } from './svid';
import { verifyChainDetailed } from './verify';

export { identityFromCertificate } from './svid';
export { verifyChain, type VerifiedChain } from './verify';

export interface WorkloadCertificate {
  readonly identity: SpiffeId;
  /** Leaf first, then intermediates; never the root. One PEM per entry. */
  readonly certChainPem: readonly string[];
  /** The trust bundle peers are verified against (one or more roots). */
  readonly rootsPem: string;
  /** PKCS#8 PEM of the private key. */
  readonly keyPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** TLS 1.3 suites the mesh offers (AES-GCM only, as ztunnel). */
export const MESH_CIPHERSUITES = 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256';
/** Key-exchange groups the mesh offers. */
export const MESH_ECDH_CURVES = 'X25519:P-256';

function bad(why: string, cause?: unknown): MeshError {
  return new MeshError(ErrorCode.BadCertificate, why, cause === undefined ? undefined : { cause });
}

/**
 * Builds a WorkloadCertificate from a CA response (`cert_chain`: leaf, intermediates, roots last)
 * and the key that made the CSR. Verifies the chain against the roots, the key matches the leaf,
 * the leaf is a valid SVID (one URI SAN, CA=false) and its identity equals `expected`.
 * Throws MeshError(BadCertificate) naming the problem.
 */
export function workloadCertificateFromChain(certChain: readonly string[], keyPem: string, expected: SpiffeId, now: Date = new Date()): WorkloadCertificate {
  if (certChain.length < 2) {
    throw bad(`the CA returned ${certChain.length} certificate element(s); expected the leaf, any intermediates and the root bundle last`);
  }
  const rootsPem = splitPemCertificates(certChain[certChain.length - 1] as string).join('');
  const verified = verifyChainDetailed(certChain.slice(0, -1), rootsPem, now);
  if (!sameIdentity(verified.identity, expected)) {
    throw bad(`the issued certificate is for ${formatSpiffeId(verified.identity)}, not the requested ${formatSpiffeId(expected)}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (err) {
    throw bad(`the private key for ${formatSpiffeId(expected)} cannot be read`, err);
  }
  if (!verified.leaf.cert.checkPrivateKey(key)) {
    throw bad(`the private key does not match the certificate issued for ${formatSpiffeId(expected)}`);
  }
  return Object.freeze({
    identity: verified.identity,
    certChainPem: Object.freeze([verified.leaf.pem, ...verified.intermediates.map((c) => c.pem)]),
    rootsPem,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    notBefore: verified.notBefore,
    notAfter: verified.notAfter,
  });
}

/** TLS 1.3-only options presenting `cert` and trusting its roots (AES-GCM suites, ALPN set by the caller). */
export function mtlsContextOptions(cert: WorkloadCertificate): SecureContextOptions {
  return {
    key: cert.keyPem,
    cert: cert.certChainPem.join(''),
    ca: cert.rootsPem,
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    // Node hands names starting with TLS_ to OpenSSL's TLS 1.3 suite list (there is no separate option).
    ciphers: MESH_CIPHERSUITES,
    ecdhCurve: MESH_ECDH_CURVES,
  };
}

/**
 * A `checkServerIdentity` for tls.connect that accepts the server only when its leaf is a valid
 * X509-SVID for exactly `expected` (Node's default would match the host name against DNS SANs,
 * which mesh certificates do not have). The chain itself is checked by OpenSSL against `ca`.
 */
export function spiffeServerIdentityCheck(expected: SpiffeId): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    try {
      const actual = identityFromCertificate(cert.raw);
      if (sameIdentity(actual, expected)) return undefined;
      return bad(`the server presented ${formatSpiffeId(actual)}, expected ${formatSpiffeId(expected)}`);
    } catch (err) {
      return bad(`the server certificate was rejected: ${describeError(err)}`, err);
    }
  };
}
