// Where istiod's signing CA comes from at start-up: a user-supplied CA in Secret `cacerts` (Istio's
// plug-in layout), else the self-signed root kept in Secret `istio-ca-secret`, else a new root
// stored there (another istiod winning the create race wins the root too). A broken secret is a
// fatal error naming the secret, the key and the reason; it is never replaced silently.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';
import { CertificateAuthority } from '../../pkg/tls/authority';
import { pemBlocks, splitPemCertificates } from '../../pkg/tls/pem';
import type { Logger } from '../../pkg/log/logger';
import type { CaKube, KubeSecret } from '../kube/types';

export const PLUGGED_CA_SECRET = 'cacerts';
export const SELF_SIGNED_CA_SECRET = 'istio-ca-secret';
export const SELF_SIGNED_CA_SECRET_TYPE = 'istio.io/ca-root';
export const CA_CERT_KEY = 'ca-cert.pem';
export const CA_KEY_KEY = 'ca-key.pem';
export const ROOT_CERT_KEY = 'root-cert.pem';
export const CERT_CHAIN_KEY = 'cert-chain.pem';

export interface RootOfTrust {
  readonly ca: CertificateAuthority;
  /** Where the CA came from, for the start-up log. */
  readonly source: 'cacerts' | 'istio-ca-secret' | 'created';
}

export interface RootOfTrustOptions {
  readonly namespace: string;
  readonly trustDomain: string;
  readonly rootTtlSeconds: number;
  readonly logger: Logger;
}

function broken(secret: KubeSecret, key: string | undefined, why: string, cause?: unknown): MeshError {
  const where = `Secret ${secret.namespace}/${secret.name}${key ? ` key ${key}` : ''}`;
  return new MeshError(ErrorCode.InvalidArgument, `${where}: ${why}`, cause === undefined ? undefined : { cause });
}

/** The certificates under `key`, each checked to parse; at least `min` of them. */
function certificatesAt(secret: KubeSecret, key: string, min: number, max = Infinity): string[] {
  const text = secret.data[key];
  if (text === undefined || text.trim() === '') throw broken(secret, key, 'is missing or empty');
  const certs = splitPemCertificates(text);
  if (certs.length < min) throw broken(secret, key, 'holds no PEM certificate');
  if (certs.length > max) throw broken(secret, key, `must hold exactly ${max} certificate, found ${certs.length}`);
  certs.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw broken(secret, key, `certificate #${i + 1} cannot be parsed (${describeError(err)})`, err);
    }
  });
  return certs;
}

function privateKeyAt(secret: KubeSecret, key: string): string {
  const text = secret.data[key];
  if (text === undefined || text.trim() === '') throw broken(secret, key, 'is missing or empty');
  if (!pemBlocks(text).some((b) => b.label.endsWith('PRIVATE KEY'))) throw broken(secret, key, 'holds no PEM private key');
  try {
    createPrivateKey(text);
  } catch (err) {
    throw broken(secret, key, `the private key cannot be read (${describeError(err)})`, err);
  }
  return text;
}

/** Loads Istio's plug-in CA layout; cert-chain.pem (optional) is ca-cert.pem then intermediates, maybe the root. */
export async function loadPluggedCa(secret: KubeSecret): Promise<CertificateAuthority> {
  const [caCert] = certificatesAt(secret, CA_CERT_KEY, 1, 1) as [string];
  const keyPem = privateKeyAt(secret, CA_KEY_KEY);
  const roots = certificatesAt(secret, ROOT_CERT_KEY, 1);
  let intermediates: string[] = [];
  if (secret.data[CERT_CHAIN_KEY] !== undefined && secret.data[CERT_CHAIN_KEY].trim() !== '') {
    const chain = certificatesAt(secret, CERT_CHAIN_KEY, 1);
    if (chain[0] !== caCert) throw broken(secret, CERT_CHAIN_KEY, `must start with the certificate in ${CA_CERT_KEY}`);
    intermediates = chain.slice(1).filter((c) => !roots.includes(c));
  }
  try {
    return await CertificateAuthority.load({
      signingCertPem: caCert, signingKeyPem: keyPem, intermediatesPem: intermediates.join(''), rootsPem: roots.join(''),
    });
  } catch (err) {
    throw broken(secret, undefined, `not a usable CA (${CA_CERT_KEY}, ${CA_KEY_KEY}, ${CERT_CHAIN_KEY}, ${ROOT_CERT_KEY}): ${describeError(err)}`, err);
  }
}

async function loadSelfSigned(secret: KubeSecret): Promise<CertificateAuthority> {
  const [caCert] = certificatesAt(secret, CA_CERT_KEY, 1, 1) as [string];
  const keyPem = privateKeyAt(secret, CA_KEY_KEY);
  try {
    return await CertificateAuthority.load({ signingCertPem: caCert, signingKeyPem: keyPem, rootsPem: caCert });
  } catch (err) {
    throw broken(secret, undefined, `not a usable self-signed root (${CA_CERT_KEY}, ${CA_KEY_KEY}): ${describeError(err)}`, err);
  }
}

export async function loadRootOfTrust(kube: CaKube, opts: RootOfTrustOptions): Promise<RootOfTrust> {
  const plugged = await kube.getSecret(opts.namespace, PLUGGED_CA_SECRET);
  if (plugged) return { ca: await loadPluggedCa(plugged), source: 'cacerts' };

  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await kube.getSecret(opts.namespace, SELF_SIGNED_CA_SECRET);
    if (stored) return { ca: await loadSelfSigned(stored), source: 'istio-ca-secret' };

    const ca = await CertificateAuthority.createRoot({ trustDomain: opts.trustDomain, ttlSeconds: opts.rootTtlSeconds });
    const created = await kube.createSecret({
      namespace: opts.namespace, name: SELF_SIGNED_CA_SECRET, type: SELF_SIGNED_CA_SECRET_TYPE,
      data: { [CA_CERT_KEY]: ca.signingCertPem, [CA_KEY_KEY]: ca.signingKey.pem },
    });
    if (created.ok) return { ca, source: 'created' };
    if (created.reason === 'NotFound') {
      throw new MeshError(ErrorCode.NotFound, `cannot store the CA root: namespace ${opts.namespace} does not exist (${created.message})`);
    }
    opts.logger.info(`another istiod stored Secret ${opts.namespace}/${SELF_SIGNED_CA_SECRET} first; using its root`);
  }
  throw new MeshError(ErrorCode.Unavailable, `Secret ${opts.namespace}/${SELF_SIGNED_CA_SECRET} keeps appearing and disappearing; giving up`);
}
