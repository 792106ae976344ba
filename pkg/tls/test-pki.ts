// Test-only: builds arbitrary CA hierarchies and deliberately odd certificates with @peculiar/x509
// (RSA or EC keys, any extensions), so tests can feed the CA loader and the SVID checks inputs
// that the CertificateAuthority would never produce. Not imported by production code.

import { generateKeyPair as generateKeyPairCb, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { importPrivateKey, type PrivateKeyMaterial } from './keys';
import { derToPem } from './pem';
import { x509 } from './x509';

const generateKeyPair = promisify(generateKeyPairCb);

export type TestKeyKind = 'ec-p256' | 'ec-p384' | 'rsa';

/** A new key; `pem` of the result is PKCS#8, `sec1Pem`/`pkcs1Pem` the legacy encodings. */
export async function newTestKey(kind: TestKeyKind): Promise<PrivateKeyMaterial & { legacyPem: string }> {
  if (kind === 'rsa') {
    const { privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
    const legacyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    return { ...(await importPrivateKey(legacyPem)), legacyPem };
  }
  const { privateKey } = await generateKeyPair('ec', { namedCurve: kind === 'ec-p256' ? 'prime256v1' : 'secp384r1' });
  const legacyPem = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  return { ...(await importPrivateKey(legacyPem)), legacyPem };
}

export interface TestIssuer {
  readonly certPem: string;
  readonly key: PrivateKeyMaterial;
}

export interface TestCertOptions {
  readonly key: PrivateKeyMaterial;
  /** Signed by this issuer; self-signed when absent. */
  readonly issuer?: TestIssuer;
  /** e.g. [{ O: ['root'] }]; empty when absent. */
  readonly subject?: x509.JsonName;
  readonly ca: boolean;
  /** KeyUsageFlags; a CA gets keyCertSign|cRLSign|digitalSignature and a leaf digitalSignature when absent. Pass 0 to omit the extension. */
  readonly keyUsage?: number;
  readonly sans?: x509.JsonGeneralNames;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly extraExtensions?: readonly x509.Extension[];
}

function hashFor(key: PrivateKeyMaterial): string {
  return key.algorithm === 'ECDSA-P384' ? 'SHA-384' : 'SHA-256';
}

/** One certificate (PEM) as described; validity defaults to one hour ago .. one day ahead. */
export async function makeTestCertificate(opts: TestCertOptions): Promise<string> {
  const signer = opts.issuer?.key ?? opts.key;
  const issuerName = opts.issuer ? new x509.X509Certificate(opts.issuer.certPem).subjectName : new x509.Name(opts.subject ?? []);
  const keyUsage = opts.keyUsage ?? (opts.ca
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
    : x509.KeyUsageFlags.digitalSignature);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(opts.ca, undefined, true)];
  if (keyUsage !== 0) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (opts.sans !== undefined) extensions.push(new x509.SubjectAlternativeNameExtension(opts.sans, (opts.subject ?? []).length === 0));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(opts.key.publicKey));
  if (opts.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(opts.issuer.key.publicKey));
  extensions.push(...(opts.extraExtensions ?? []));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01' + randomBytes(8).toString('hex'),
    subject: opts.subject ?? [],
    issuer: issuerName,
    notBefore: opts.notBefore ?? new Date(now - 3600_000),
    notAfter: opts.notAfter ?? new Date(now + 86400_000),
    signingAlgorithm: { name: signer.algorithm === 'RSA' ? 'RSASSA-PKCS1-v1_5' : 'ECDSA', hash: hashFor(signer) },
    publicKey: opts.key.publicKey,
    signingKey: signer.privateKey,
    extensions,
  });
  return derToPem(cert.rawData);
}

/** A CA certificate and its key in one step (self-signed unless `issuer` is given). */
export async function makeTestCa(name: string, kind: TestKeyKind, issuer?: TestIssuer,
  extra: Partial<TestCertOptions> = {}): Promise<TestIssuer & { keyLegacyPem: string }> {
  const key = await newTestKey(kind);
  const certPem = await makeTestCertificate({ key, ca: true, subject: [{ O: [name] }], ...(issuer ? { issuer } : {}), ...extra });
  return { certPem, key, keyLegacyPem: key.legacyPem };
}
