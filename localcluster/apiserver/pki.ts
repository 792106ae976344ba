// The local API server's own PKI: a self-signed ECDSA P-256 CA and the serving / client
// certificates it issues, as PEM (keys in PKCS#8, which node:tls accepts). Built on
// @peculiar/x509 over node's WebCrypto.

import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { x509 } from '../../pkg/tls/x509';

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface ServerCertOptions {
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  days: number;
}

export interface ClientCertOptions {
  commonName: string;
  /** Become the user's groups when the API server authenticates by client certificate. */
  organizations: string[];
  days: number;
}

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** Certificates start a little in the past so small clock differences do not reject them. */
const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const subtle = webcrypto.subtle;

async function newKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A positive 128-bit serial number in hex. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  return bytes.toString('hex');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(days) || days <= 0) throw new Error(`certificate validity must be a positive number of days, got ${days}`);
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

export async function createCa(commonName: string, days: number): Promise<PemPair> {
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [commonName] }],
    ...validity(days),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

async function loadCa(ca: PemPair): Promise<{ cert: x509.X509Certificate; key: webcrypto.CryptoKey }> {
  const cert = new x509.X509Certificate(ca.certPem);
  const der = x509.PemConverter.decodeFirst(ca.keyPem);
  const key = await subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
  return { cert, key };
}

async function issueLeaf(ca: PemPair, subject: x509.JsonName, days: number,
  extensions: x509.Extension[]): Promise<PemPair> {
  const issuer = await loadCa(ca);
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: issuer.cert.subjectName,
    ...validity(days),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ...extensions,
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** A serving certificate for the API server: serverAuth, with DNS and IP subject alternative names. */
export async function issueServerCert(ca: PemPair, opts: ServerCertOptions): Promise<PemPair> {
  const bad = opts.ipAddresses.find((ip) => isIP(ip) === 0);
  if (bad !== undefined) throw new Error(`not an IP address: ${JSON.stringify(bad)}`);
  const names: x509.JsonGeneralNames = [
    ...opts.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...opts.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth])];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  return issueLeaf(ca, [{ CN: [opts.commonName] }], opts.days, extensions);
}

/** A client certificate: CN is the user name, O entries its groups (as kube-apiserver reads them). */
export async function issueClientCert(ca: PemPair, opts: ClientCertOptions): Promise<PemPair> {
  const subject: x509.JsonName = [
    ...opts.organizations.map((o) => ({ O: [o] })),
    { CN: [opts.commonName] },
  ];
  return issueLeaf(ca, subject, opts.days,
    [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]);
}
