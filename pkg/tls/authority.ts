// A certificate authority that signs workload certificates: either a self-signed root it made
// itself, or a user-supplied intermediate (Istio's `cacerts` layout) chained to the user's root.

import { createHash, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { ErrorCode, MeshError, isMeshError } from '../errors/mesh-error';
import { formatSpiffeId, parseSpiffeId, trustDomainProblem, type SpiffeId } from '../identity/spiffe';
import { buildPath, checkValidity, parseCertificates, sameCertificate, validity } from './chain';
import { parseCsr, type ParsedCsr } from './csr';
import { generateP256Key, importPrivateKey, signingAlgorithmFor, type PrivateKeyMaterial } from './keys';
import { derToPem } from './pem';
import { ExtensionOid, x509 } from './x509';

export interface CreateRootOptions {
  readonly trustDomain: string;
  readonly ttlSeconds: number;
  readonly now?: Date;
}

export interface LoadAuthorityOptions {
  /** The certificate this CA signs with (a CA certificate; may itself be the root). */
  readonly signingCertPem: string;
  /** Its private key (PKCS#8, SEC1 or PKCS#1 PEM; EC or RSA). */
  readonly signingKeyPem: string;
  /** Certificates between the signing certificate and the root (may be empty). */
  readonly intermediatesPem?: string;
  /** The root certificate(s) the chain ends in; several during a root rotation. */
  readonly rootsPem: string;
  /** The time validity is checked at (default: now). */
  readonly now?: Date;
}

export interface SignWorkloadOptions {
  readonly csrPem: string;
  /** parseCsr(csrPem), when the caller already has it (saves verifying the CSR twice). */
  readonly parsedCsr?: ParsedCsr;
  /** The identity granted; the CSR's single URI SAN must equal it. */
  readonly identity: SpiffeId;
  readonly ttlSeconds: number;
  readonly now?: Date;
}

export interface ServingCertificate {
  /** Leaf then the CA's chain (no root). */
  readonly certChainPem: string;
  readonly keyPem: string;
}

export interface IssueServingOptions {
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Optional SPIFFE identity for the URI SAN (istiod's own identity). */
  readonly identity?: SpiffeId;
  readonly ttlSeconds: number;
  readonly now?: Date;
}

/** Clock-skew allowance: issued certificates start this much (at most 10 % of their TTL) in the past. */
export const MAX_BACKDATE_MS = 60_000;

const DNS_NAME_RE = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;

// Extensions every leaf carries; built once (the generator copies their DER).
const LEAF_BASIC_CONSTRAINTS = new x509.BasicConstraintsExtension(false, undefined, true);
const LEAF_KEY_USAGE = new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true);
const LEAF_EXT_KEY_USAGE = new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
const CA_KEY_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;

/** A random positive serial number of 16 bytes (hex), never starting with a zero byte. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) || 0x01;
  return bytes.toString('hex');
}

function ttlMs(ttlSeconds: number): number {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new MeshError(ErrorCode.InvalidArgument, `certificate TTL must be a positive number of seconds, got ${String(ttlSeconds)}`);
  }
  return ttlSeconds * 1000;
}

function backdate(now: Date, ttl: number): Date {
  return new Date(now.getTime() - Math.min(MAX_BACKDATE_MS, Math.floor(ttl / 10)));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits, for CAs without an SKI. */
function keyIdentifier(publicKey: KeyObject): string {
  let bits: Buffer;
  if (publicKey.asymmetricKeyType === 'ec') {
    const jwk = publicKey.export({ format: 'jwk' });
    bits = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
  } else {
    bits = publicKey.export({ type: 'pkcs1', format: 'der' });
  }
  return createHash('sha1').update(bits).digest('hex');
}

function loadError(message: string, cause?: unknown): MeshError {
  return new MeshError(ErrorCode.BadCertificate, `cannot load the CA: ${message}`, cause === undefined ? undefined : { cause });
}

export class CertificateAuthority {
  /** PEM of the signing certificate. */
  readonly signingCertPem: string;
  readonly signingKey: PrivateKeyMaterial;
  /** Signing certificate and intermediates, leaf-most first, root excluded (one PEM per entry). */
  readonly chainPem: readonly string[];
  /** The trust bundle: root certificate(s) concatenated. */
  readonly rootsPem: string;
  readonly notAfter: Date;

  /** Issuer name and authority key identifier put into every certificate this CA signs. */
  readonly #issuerName: x509.Name;
  readonly #authorityKeyId: x509.AuthorityKeyIdentifierExtension;

  protected constructor(signingCertPem: string, signingKey: PrivateKeyMaterial, chainPem: readonly string[], rootsPem: string, notAfter: Date) {
    this.signingCertPem = signingCertPem;
    this.signingKey = signingKey;
    this.chainPem = chainPem;
    this.rootsPem = rootsPem;
    this.notAfter = notAfter;
    const cert = new x509.X509Certificate(signingCertPem);
    this.#issuerName = cert.subjectName;
    const ski = cert.extensions.find((e) => e.type === ExtensionOid.subjectKeyIdentifier);
    const keyId = ski === undefined
      ? keyIdentifier(createPublicKey(signingCertPem))
      : (ski instanceof x509.SubjectKeyIdentifierExtension ? ski : new x509.SubjectKeyIdentifierExtension(ski.rawData)).keyId;
    this.#authorityKeyId = new x509.AuthorityKeyIdentifierExtension(keyId);
  }

  /** A new self-signed ECDSA P-256 root for `trustDomain` (URI SAN spiffe://<td>, CA=true). */
  static async createRoot(opts: CreateRootOptions): Promise<CertificateAuthority> {
    const problem = trustDomainProblem(opts.trustDomain);
    if (problem !== undefined) throw new MeshError(ErrorCode.InvalidArgument, `cannot create a root CA: ${problem}`);
    const ttl = ttlMs(opts.ttlSeconds);
    const now = opts.now ?? new Date();
    const key = await generateP256Key();
    const keys = { privateKey: key.privateKey, publicKey: key.publicKey };
    const notAfter = new Date(now.getTime() + ttl);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: [{ O: [opts.trustDomain] }],
      notBefore: backdate(now, ttl),
      notAfter,
      signingAlgorithm: signingAlgorithmFor(key.algorithm),
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
        await x509.SubjectKeyIdentifierExtension.create(key.publicKey),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${opts.trustDomain}` }]),
      ],
    });
    const pem = derToPem(cert.rawData);
    return new CertificateAuthority(pem, key, Object.freeze([]), pem, cert.notAfter);
  }

  /**
   * Loads an existing CA; checks the key matches the certificate, the certificate is a CA that may
   * sign, is within its validity, and chains through `intermediatesPem` to one of `rootsPem`.
   * `intermediatesPem` may be Istio's cert-chain.pem as is (copies of the signing certificate and
   * of the root in it are ignored). Throws MeshError naming the certificate and the problem.
   */
  static async load(opts: LoadAuthorityOptions): Promise<CertificateAuthority> {
    const now = opts.now ?? new Date();
    const code = ErrorCode.BadCertificate;
    let signing;
    let intermediates;
    let roots;
    try {
      signing = parseCertificates(opts.signingCertPem, 'signing certificate', code);
      intermediates = parseCertificates(opts.intermediatesPem ?? '', 'intermediate certificate', code);
      roots = parseCertificates(opts.rootsPem, 'root certificate', code);
    } catch (err) {
      throw loadError(isMeshError(err) ? err.message : 'unreadable certificate', err);
    }
    if (signing.length !== 1) throw loadError(`expected exactly one signing certificate (ca-cert.pem), found ${signing.length}`);
    if (roots.length === 0) throw loadError('the root bundle (root-cert.pem) holds no certificate');
    const ca = signing[0] as (typeof signing)[number];

    let key: PrivateKeyMaterial;
    try {
      key = await importPrivateKey(opts.signingKeyPem);
    } catch (err) {
      throw new MeshError(ErrorCode.InvalidArgument, `cannot load the CA: signing key (ca-key.pem): ${isMeshError(err) ? err.message : 'unreadable'}`, { cause: err });
    }
    if (!ca.cert.checkPrivateKey(createPrivateKey(key.pem))) throw loadError(`the signing key does not match the ${ca.name}`);
    let extensions: x509.Extension[];
    try {
      extensions = new x509.X509Certificate(ca.cert.raw).extensions;
    } catch (err) {
      throw loadError(`the extensions of the ${ca.name} cannot be read`, err);
    }
    const basic = extensions.find((e) => e.type === ExtensionOid.basicConstraints);
    const isCa = basic !== undefined && (basic instanceof x509.BasicConstraintsExtension ? basic : new x509.BasicConstraintsExtension(basic.rawData)).ca;
    if (!isCa) throw loadError(`the ${ca.name} is not a CA (basicConstraints CA=true is missing)`);
    const keyUsage = extensions.find((e) => e.type === ExtensionOid.keyUsage);
    if (keyUsage !== undefined) {
      const usages = (keyUsage instanceof x509.KeyUsagesExtension ? keyUsage : new x509.KeyUsagesExtension(keyUsage.rawData)).usages;
      if (!(usages & x509.KeyUsageFlags.keyCertSign)) throw loadError(`the ${ca.name} may not sign certificates (keyUsage lacks keyCertSign)`);
    }

    let chain: string[];
    let notAfter = validity(ca.cert).notAfter;
    try {
      checkValidity(ca, now, code);
      const selfRoot = roots.find((r) => sameCertificate(r.cert, ca.cert));
      if (selfRoot !== undefined) {
        chain = [];
      } else {
        const path = buildPath(ca, intermediates, roots, now, code, 'the root bundle (root-cert.pem)');
        chain = [ca.pem, ...path.intermediates.map((c) => c.pem)];
        for (const c of [...path.intermediates, path.root]) {
          const end = validity(c.cert).notAfter;
          if (end.getTime() < notAfter.getTime()) notAfter = end;
        }
      }
    } catch (err) {
      throw loadError(isMeshError(err) ? err.message : 'the chain cannot be checked', err);
    }
    try {
      return new CertificateAuthority(ca.pem, key, Object.freeze(chain), roots.map((r) => r.pem).join(''), notAfter);
    } catch (err) {
      throw loadError(`the ${ca.name} cannot be used for signing`, err);
    }
  }

  /**
   * Signs a workload certificate. Returns Istio's `cert_chain` layout: leaf, then the chain
   * (signing cert and intermediates unless the signing cert is the root), then the root bundle last.
   * Throws MeshError(InvalidArgument) for a bad CSR or a SAN that is not exactly `identity`.
   */
  async signWorkload(opts: SignWorkloadOptions): Promise<string[]> {
    const ttl = ttlMs(opts.ttlSeconds);
    const granted = formatSpiffeId(parseSpiffeId(formatSpiffeId(opts.identity)));
    const csr = opts.parsedCsr ?? await parseCsr(opts.csrPem);
    if (csr.uriSans.length !== 1 || csr.uriSans[0] !== granted) {
      throw new MeshError(ErrorCode.InvalidArgument,
        `CSR SAN ${JSON.stringify(csr.uriSans)} does not match the identity granted to the caller (${granted}); exactly that one URI SAN is required`);
    }
    const leaf = await this.#sign(csr.publicKeySpki, [{ type: 'url', value: granted }], ttl, opts.now ?? new Date());
    return [leaf, ...this.chainPem, this.rootsPem];
  }

  /** A TLS serving certificate (new P-256 key) for a control-plane endpoint. */
  async issueServing(opts: IssueServingOptions): Promise<ServingCertificate> {
    const ttl = ttlMs(opts.ttlSeconds);
    const names: x509.JsonGeneralNames = [];
    for (const dns of opts.dnsNames) {
      if (typeof dns !== 'string' || dns.length > 253 || !DNS_NAME_RE.test(dns)) {
        throw new MeshError(ErrorCode.InvalidArgument, `not a DNS name: ${JSON.stringify(dns)}`);
      }
      names.push({ type: 'dns', value: dns });
    }
    for (const ip of opts.ipAddresses ?? []) {
      if (isIP(ip) === 0) throw new MeshError(ErrorCode.InvalidArgument, `not an IP address: ${JSON.stringify(ip)}`);
      names.push({ type: 'ip', value: ip });
    }
    if (opts.identity !== undefined) names.push({ type: 'url', value: formatSpiffeId(parseSpiffeId(formatSpiffeId(opts.identity))) });
    if (names.length === 0) throw new MeshError(ErrorCode.InvalidArgument, 'a serving certificate needs at least one DNS name, IP address or identity');
    const key = await generateP256Key();
    const leaf = await this.#sign(key.publicKey, names, ttl, opts.now ?? new Date());
    return { certChainPem: [leaf, ...this.chainPem].join(''), keyPem: key.pem };
  }

  /** Signs a leaf (empty subject, critical SAN, CA=false) for `publicKey`, valid from `now` for `ttl` ms. */
  async #sign(publicKey: x509.PublicKeyType, names: x509.JsonGeneralNames, ttl: number, now: Date): Promise<string> {
    if (now.getTime() >= this.notAfter.getTime()) {
      throw new MeshError(ErrorCode.BadCertificate, `the CA certificate expired at ${this.notAfter.toISOString()}; it cannot sign`);
    }
    const notAfter = new Date(Math.min(now.getTime() + ttl, this.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      issuer: this.#issuerName,
      notBefore: backdate(now, ttl),
      notAfter,
      signingAlgorithm: signingAlgorithmFor(this.signingKey.algorithm),
      publicKey,
      signingKey: this.signingKey.privateKey,
      extensions: [
        new x509.SubjectAlternativeNameExtension(names, true),
        LEAF_BASIC_CONSTRAINTS,
        LEAF_KEY_USAGE,
        LEAF_EXT_KEY_USAGE,
        this.#authorityKeyId,
      ],
    });
    return derToPem(cert.rawData);
  }
}
