// Peer identity from a presented leaf certificate (X509-SVID rules), parsed from DER with
// @peculiar/x509 — never from Node's flattened `subjectAltName` string — and cached by SHA-256
// fingerprint in a bounded LRU, since it runs on every mTLS connection.

import { createHash } from 'node:crypto';
import { ErrorCode, MeshError, isMeshError } from '../errors/mesh-error';
import { parseSpiffeId, type SpiffeId } from '../identity/spiffe';
import { ExtensionOid, sanExtensions, x509 } from './x509';

/** How many certificates (good or bad) the identity cache remembers. */
export const IDENTITY_CACHE_LIMIT = 4096;

const cache = new Map<string, SpiffeId | MeshError>();

function reject(why: string, cause?: unknown): MeshError {
  return new MeshError(ErrorCode.BadCertificate, `not a valid workload certificate (X509-SVID): ${why}`,
    cause === undefined ? undefined : { cause });
}

function readIdentity(der: Uint8Array): SpiffeId {
  let cert: x509.X509Certificate;
  let extensions: x509.Extension[];
  try {
    cert = new x509.X509Certificate(der);
    extensions = cert.extensions;
  } catch (err) {
    throw reject('the DER is not an X.509 certificate', err);
  }

  const seen = new Set<string>();
  for (const ext of extensions) {
    if (seen.has(ext.type)) throw reject(`extension ${ext.type} appears more than once`);
    seen.add(ext.type);
  }

  let names: readonly x509.GeneralName[];
  try {
    const sans = sanExtensions(extensions);
    if (sans.length === 0) throw reject('it has no subjectAltName');
    names = (sans[0] as x509.SubjectAlternativeNameExtension).names.items;
  } catch (err) {
    throw isMeshError(err) ? err : reject('the subjectAltName extension cannot be read', err);
  }
  for (const name of names) {
    if (typeof name.value === 'string' && name.value.includes('\u0000')) throw reject('a subjectAltName contains a NUL byte');
  }
  const uris = names.filter((n) => n.type === 'url');
  if (uris.length !== 1) throw reject(`it carries ${uris.length} URI SANs; exactly one is required`);

  for (const ext of extensions) {
    if (ext.type === ExtensionOid.basicConstraints) {
      const bc = ext instanceof x509.BasicConstraintsExtension ? ext : new x509.BasicConstraintsExtension(ext.rawData);
      if (bc.ca) throw reject('it is a CA certificate (basicConstraints CA=true)');
    } else if (ext.type === ExtensionOid.keyUsage) {
      const ku = ext instanceof x509.KeyUsagesExtension ? ext : new x509.KeyUsagesExtension(ext.rawData);
      if (ku.usages & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)) {
        throw reject('its key usage allows signing certificates or CRLs (keyCertSign/cRLSign)');
      }
      if (!(ku.usages & x509.KeyUsageFlags.digitalSignature)) throw reject('its key usage lacks digitalSignature');
    }
  }

  const uri = (uris[0] as x509.GeneralName).value;
  try {
    return parseSpiffeId(uri);
  } catch (err) {
    throw reject('its URI SAN is not an Istio workload identity', err);
  }
}

/**
 * The SPIFFE identity of a peer's leaf certificate (DER). Strict X509-SVID checks: exactly one URI
 * SAN, parseable as an Istio identity, CA=false, no keyCertSign/cRLSign. Cached by fingerprint
 * (bounded), so it is cheap per connection. Throws MeshError(BadCertificate).
 * It does not check signatures or validity: call it on a certificate the TLS handshake has already
 * verified against the mesh roots (or use verifyChain).
 */
export function identityFromCertificate(der: Buffer): SpiffeId {
  if (!(der instanceof Uint8Array) || der.length === 0) throw reject('no certificate was presented');
  const key = createHash('sha256').update(der).digest('base64');
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key); // move to the most recently used end
    cache.set(key, hit);
    if (hit instanceof MeshError) throw hit;
    return hit;
  }
  let result: SpiffeId | MeshError;
  try {
    result = readIdentity(der);
  } catch (err) {
    result = isMeshError(err) ? err : reject('the certificate cannot be read', err);
  }
  cache.set(key, result);
  if (cache.size > IDENTITY_CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  if (result instanceof MeshError) throw result;
  return result;
}
