// TLS plumbing for the HBONE client: one SecureContext per workload certificate (building one per
// connection halves the handshake rate), and the server-identity check that replaces hostname
// verification — the server's leaf must carry one of the expected SPIFFE identities.

import { createSecureContext, type PeerCertificate, type SecureContext } from 'node:tls';
import { ErrorCode, MeshError, describeError } from '../errors/mesh-error';
import { formatSpiffeId, sameIdentity, type SpiffeId } from '../identity/spiffe';
import { identityFromCertificate, mtlsContextOptions, type WorkloadCertificate } from '../tls/workload-cert';

const contexts = new WeakMap<WorkloadCertificate, SecureContext>();

/** The cached client SecureContext presenting `cert` and trusting its roots. */
export function clientSecureContext(cert: WorkloadCertificate): SecureContext {
  let context = contexts.get(cert);
  if (!context) {
    context = createSecureContext(mtlsContextOptions(cert));
    contexts.set(cert, context);
  }
  return context;
}

/**
 * A `checkServerIdentity` for tls.connect: accepts the server only if its leaf's SPIFFE identity
 * is one of `expected` (the DNS name is ignored). Returns a MeshError(BadCertificate) otherwise.
 */
export function serverIdentityCheck(expected: readonly SpiffeId[]): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    let identity: SpiffeId;
    try {
      if (!cert || !Buffer.isBuffer(cert.raw)) throw new Error('the server presented no certificate');
      identity = identityFromCertificate(cert.raw);
    } catch (err) {
      return new MeshError(ErrorCode.BadCertificate, `the HBONE server's certificate carries no usable identity: ${describeError(err)}`, {
        cause: err,
      });
    }
    if (expected.some((want) => sameIdentity(want, identity))) return undefined;
    const wanted = expected.map(formatSpiffeId).join(', ') || '(none)';
    return new MeshError(
      ErrorCode.BadCertificate,
      `the HBONE server presented identity ${formatSpiffeId(identity)}, expected ${wanted}`,
    );
  };
}
