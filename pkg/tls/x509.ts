// The one place @peculiar/x509 is loaded for pkg/tls: it needs reflect-metadata first and a
// WebCrypto provider (node's, backed by OpenSSL). Everything in pkg/tls imports x509 from here.

import { webcrypto } from 'node:crypto';
import 'reflect-metadata'; // must precede @peculiar/x509 (tsyringe reads Reflect.getMetadata)
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };

/** Extension OIDs pkg/tls reads (RFC 5280 §4.2.1). */
export const ExtensionOid = {
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
} as const;

/** Every subjectAltName extension among `extensions`, as typed objects (a valid certificate has at most one). */
export function sanExtensions(extensions: readonly x509.Extension[]): x509.SubjectAlternativeNameExtension[] {
  return extensions
    .filter((e) => e.type === ExtensionOid.subjectAltName)
    .map((e) => (e instanceof x509.SubjectAlternativeNameExtension ? e : new x509.SubjectAlternativeNameExtension(e.rawData)));
}
