// Certificate-chain checks shared by the CA (loading its own chain) and the data plane (checking
// an issued chain): parsing with node:crypto's X509Certificate (OpenSSL), issuer/signature links,
// validity windows. Pure functions; failures are MeshErrors naming the certificate and the reason.

import { X509Certificate } from 'node:crypto';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import { splitPemCertificates } from './pem';

/** A parsed certificate and the words used for it in error messages. */
export interface NamedCertificate {
  readonly cert: X509Certificate;
  readonly pem: string;
  readonly name: string;
}

/** Parses every certificate in `pem` (a bundle); `what` names them in errors ("root", "intermediate"). */
export function parseCertificates(pem: string, what: string, code: ErrorCode = ErrorCode.BadCertificate): NamedCertificate[] {
  return splitPemCertificates(pem).map((single, i, all) => {
    const name = all.length > 1 ? `${what} #${i + 1}` : what;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(single);
    } catch (err) {
      throw new MeshError(code, `${name}: not a readable X.509 certificate`, { cause: err });
    }
    return { cert, pem: single, name: describe(name, cert) };
  });
}

/** "leaf certificate (O=x)" or, for an empty subject, its SANs — for messages only, never for decisions. */
function describe(name: string, cert: X509Certificate): string {
  // Node reports an empty subject as undefined despite its type.
  const subject = ((cert.subject as string | undefined) ?? '').replace(/\n/g, ', ');
  if (subject.length > 0) return `${name} (${subject})`;
  const sans = (cert.subjectAltName as string | undefined) ?? '';
  return sans.length > 0 ? `${name} (${sans.length > 200 ? `${sans.slice(0, 200)}...` : sans})` : name;
}

/** True when `parent` issued `child`: names/key identifiers link and the signature verifies. */
export function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

export function validity(cert: X509Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

/** Throws when `now` is outside the certificate's validity window. */
export function checkValidity(c: NamedCertificate, now: Date, code: ErrorCode = ErrorCode.BadCertificate): void {
  const { notBefore, notAfter } = validity(c.cert);
  if (now.getTime() > notAfter.getTime()) throw new MeshError(code, `${c.name} expired at ${notAfter.toISOString()}`);
  if (now.getTime() < notBefore.getTime()) {
    throw new MeshError(code, `${c.name} is not valid until ${notBefore.toISOString()}`);
  }
}

/** Same certificate (byte-identical)? */
export function sameCertificate(a: X509Certificate, b: X509Certificate): boolean {
  return a.raw.equals(b.raw);
}

export interface CertificatePath {
  /** The certificates above `start` up to (not including) the root, issuer order. */
  readonly intermediates: readonly NamedCertificate[];
  readonly root: NamedCertificate;
}

/**
 * Walks from `start` through `pool` (any order; certificates equal to a root are skipped) to one of
 * `roots`, checking each link's signature, that every issuer is a CA, and validity at `now`.
 */
export function buildPath(start: NamedCertificate, pool: readonly NamedCertificate[], roots: readonly NamedCertificate[],
  now: Date, code: ErrorCode = ErrorCode.BadCertificate, bundleName = 'the trust bundle'): CertificatePath {
  if (roots.length === 0) throw new MeshError(code, `${bundleName} holds no certificate`);
  const unused = pool.filter((c) => !roots.some((r) => sameCertificate(r.cert, c.cert)) && !sameCertificate(c.cert, start.cert));
  const intermediates: NamedCertificate[] = [];
  let current = start;
  for (let step = 0; step <= pool.length; step++) {
    const root = roots.find((r) => issuedBy(current.cert, r.cert));
    if (root !== undefined) {
      checkValidity(root, now, code);
      return { intermediates, root };
    }
    const index = unused.findIndex((c) => issuedBy(current.cert, c.cert));
    if (index === -1) break;
    const issuer = unused.splice(index, 1)[0] as NamedCertificate;
    if (!issuer.cert.ca) throw new MeshError(code, `${issuer.name} signed ${current.name} but is not a CA certificate`);
    checkValidity(issuer, now, code);
    intermediates.push(issuer);
    current = issuer;
  }
  throw new MeshError(code, `${current.name} was not issued by any certificate in ${bundleName}: the chain does not lead to a trusted root`);
}
