// Certificate signing requests: build one for a workload identity (one URI SAN, no subject) and
// parse/verify one received by the CA.

import { ErrorCode, MeshError } from '../errors/mesh-error';
import { formatSpiffeId, type SpiffeId } from '../identity/spiffe';
import { MIN_RSA_BITS, signingAlgorithmFor, type PrivateKeyMaterial } from './keys';
import { pemBlocks } from './pem';
import { sanExtensions, x509 } from './x509';

/** The largest CSR (PEM bytes) the CA looks at. */
export const MAX_CSR_BYTES = 16 * 1024;

const CSR_LABELS: ReadonlySet<string> = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);

export interface ParsedCsr {
  /** Every URI SAN in the request, in order (a valid workload CSR has exactly one). */
  readonly uriSans: readonly string[];
  readonly dnsSans: readonly string[];
  /** The requested public key (SPKI DER), already proven by the CSR's own signature. */
  readonly publicKeySpki: Buffer;
}

/** PEM CSR for `identity`: SHA-256 ECDSA signature, exactly one URI SAN, empty subject. */
export async function createCsr(key: PrivateKeyMaterial, identity: SpiffeId): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    // An empty subject makes the SAN the only name, so RFC 5280 wants the extension critical.
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: formatSpiffeId(identity) }], true)],
    signingAlgorithm: signingAlgorithmFor(key.algorithm),
    keys: { privateKey: key.privateKey, publicKey: key.publicKey },
  });
  return csr.toString('pem') + '\n';
}

/**
 * Why the requested key type is refused, or undefined (ECDSA P-256/P-384, RSA ≥ 2048 bits). Read
 * from the parsed SPKI: cheaper than asking OpenSSL 3 to decode the key once more.
 */
function publicKeyProblem(algorithm: { name: string; namedCurve?: string; modulusLength?: number }): string | undefined {
  if (algorithm.name === 'ECDSA') {
    return algorithm.namedCurve === 'P-256' || algorithm.namedCurve === 'P-384'
      ? undefined
      : `EC curve ${algorithm.namedCurve ?? 'unknown'} is not supported (use P-256 or P-384)`;
  }
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') {
    const bits = algorithm.modulusLength ?? 0;
    return bits >= MIN_RSA_BITS ? undefined : `RSA key of ${bits} bits is too small (at least ${MIN_RSA_BITS})`;
  }
  return `key type ${algorithm.name} is not supported (use ECDSA P-256/P-384 or RSA)`;
}

function badCsr(why: string, cause?: unknown): MeshError {
  return new MeshError(ErrorCode.InvalidArgument, `invalid CSR: ${why}`, cause === undefined ? undefined : { cause });
}

/** Parses and verifies a PEM CSR; throws MeshError(InvalidArgument) naming the problem. */
export async function parseCsr(pem: string): Promise<ParsedCsr> {
  if (typeof pem !== 'string') throw badCsr('not a string');
  if (Buffer.byteLength(pem) > MAX_CSR_BYTES) throw badCsr(`larger than ${MAX_CSR_BYTES} bytes`);
  const blocks = pemBlocks(pem).filter((b) => CSR_LABELS.has(b.label));
  if (blocks.length !== 1) throw badCsr(`expected exactly one PEM "CERTIFICATE REQUEST" block, found ${blocks.length}`);
  const der = (blocks[0] as { der: Buffer }).der;

  let csr: x509.Pkcs10CertificateRequest;
  let sans: x509.SubjectAlternativeNameExtension[];
  let spki: Buffer;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
    sans = sanExtensions(csr.extensions);
    spki = Buffer.from(csr.publicKey.rawData);
  } catch (err) {
    throw badCsr('the DER is not a PKCS#10 certification request', err);
  }

  let keyProblem: string | undefined;
  try {
    keyProblem = publicKeyProblem(csr.publicKey.algorithm);
  } catch (err) {
    throw badCsr('the public key cannot be read', err);
  }
  if (keyProblem !== undefined) throw badCsr(keyProblem);

  let signatureOk: boolean;
  try {
    signatureOk = await csr.verify();
  } catch (err) {
    throw badCsr('the signature cannot be checked', err);
  }
  if (!signatureOk) throw badCsr('the signature does not match the request (tampered, or signed with another key)');

  if (sans.length > 1) throw badCsr('more than one subjectAltName extension');
  const uriSans: string[] = [];
  const dnsSans: string[] = [];
  try {
    for (const name of sans[0]?.names.items ?? []) {
      if (name.type === 'url') uriSans.push(name.value);
      else if (name.type === 'dns') dnsSans.push(name.value);
    }
  } catch (err) {
    throw badCsr('the subjectAltName extension cannot be read', err);
  }
  return Object.freeze({ uriSans: Object.freeze(uriSans), dnsSans: Object.freeze(dnsSans), publicKeySpki: spki });
}
