// The API server's persistent secrets in its state directory: the cluster CA, the serving
// certificate (reissued when its names change or it nears expiry), the service account token
// signing key and the admin bearer token. Created on first start, reused afterwards.

import { randomBytes, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { writeFileAtomic } from './persistence';
import { createCa, issueServerCert, PemPair } from './pki';
import { TokenSigner } from './tokens';

export interface Credentials {
  ca: PemPair;
  serving: PemPair;
  signer: TokenSigner;
  adminToken: string;
}

export const CREDENTIAL_FILES = {
  caCert: 'ca.crt', caKey: 'ca.key', servingCert: 'apiserver.crt', servingKey: 'apiserver.key',
  signingKey: 'sa-signing.key', adminToken: 'admin.token',
} as const;

export const DEFAULT_SAN_DNS = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
export const DEFAULT_SAN_IPS = ['127.0.0.1'];
const CA_DAYS = 3650;
const SERVING_DAYS = 365;
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** `DNS:a, IP Address:1.2.3.4` → sorted `dns:a`, `ip:1.2.3.4` entries. */
function sanSet(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(',').map((s) => s.trim()).filter(Boolean)
    .map((s) => (s.startsWith('DNS:') ? `dns:${s.slice(4)}` : s.startsWith('IP Address:') ? `ip:${s.slice(11)}` : s)).sort();
}

/** Whether a stored serving certificate still fits: signed by the CA, same names, not near expiry. */
function servingCertFits(certPem: string, caPem: string, wanted: string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE_MS) return false;
    const have = sanSet(cert);
    return have.length === wanted.length && have.every((s, i) => s === wanted[i]);
  } catch {
    return false;
  }
}

export async function loadOrCreateCredentials(stateDir: string, extraSans: { dns?: string[]; ips?: string[] } = {}): Promise<Credentials> {
  const path = (f: string): string => join(stateDir, f);
  const dnsNames = [...new Set([...DEFAULT_SAN_DNS, ...(extraSans.dns ?? [])])];
  const ipAddresses = [...new Set([...DEFAULT_SAN_IPS, ...(extraSans.ips ?? [])])];
  for (const ip of ipAddresses) if (!isIP(ip)) throw new Error(`extraSans.ips: ${JSON.stringify(ip)} is not an IP address`);

  const caCert = await readOptional(path(CREDENTIAL_FILES.caCert));
  const caKey = await readOptional(path(CREDENTIAL_FILES.caKey));
  let ca: PemPair;
  let caIsNew = false;
  if (caCert && caKey) {
    ca = { certPem: caCert, keyPem: caKey };
  } else {
    ca = await createCa('ambit-local-cluster-ca', CA_DAYS);
    await writeFileAtomic(path(CREDENTIAL_FILES.caKey), ca.keyPem);
    await writeFileAtomic(path(CREDENTIAL_FILES.caCert), ca.certPem, 0o644);
    caIsNew = true;
  }

  const wanted = [...dnsNames.map((d) => `dns:${d}`), ...ipAddresses.map((i) => `ip:${i}`)].sort();
  const servingCert = await readOptional(path(CREDENTIAL_FILES.servingCert));
  const servingKey = await readOptional(path(CREDENTIAL_FILES.servingKey));
  let serving: PemPair;
  if (!caIsNew && servingCert && servingKey && servingCertFits(servingCert, ca.certPem, wanted)) {
    serving = { certPem: servingCert, keyPem: servingKey };
  } else {
    serving = await issueServerCert(ca, { commonName: 'kube-apiserver', dnsNames, ipAddresses, days: SERVING_DAYS });
    await writeFileAtomic(path(CREDENTIAL_FILES.servingKey), serving.keyPem);
    await writeFileAtomic(path(CREDENTIAL_FILES.servingCert), serving.certPem, 0o644);
  }

  const signingPem = await readOptional(path(CREDENTIAL_FILES.signingKey));
  let signer: TokenSigner;
  if (signingPem) {
    signer = TokenSigner.fromPem(signingPem);
  } else {
    signer = await TokenSigner.generate();
    await writeFileAtomic(path(CREDENTIAL_FILES.signingKey), signer.toPem());
  }

  let adminToken = (await readOptional(path(CREDENTIAL_FILES.adminToken)))?.trim();
  if (!adminToken) {
    adminToken = randomBytes(32).toString('base64url');
    await writeFileAtomic(path(CREDENTIAL_FILES.adminToken), `${adminToken}\n`);
  }
  return { ca, serving, signer, adminToken };
}
