// Private keys: ECDSA P-256 generation with WebCrypto (native OpenSSL; never a JS keygen) and
// import of PEM keys (PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY") for CA signing.

import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import { derToPem } from './pem';

type CryptoKey = webcrypto.CryptoKey;

export type KeyAlgorithm = 'ECDSA-P256' | 'ECDSA-P384' | 'RSA';

export interface PrivateKeyMaterial {
  /** PKCS#8 PEM of the private key. */
  readonly pem: string;
  readonly algorithm: KeyAlgorithm;
  /** WebCrypto keys usable with @peculiar/x509 (sign with the private one). */
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

/** The smallest RSA modulus accepted for a CA key. */
export const MIN_RSA_BITS = 2048;

const subtle = webcrypto.subtle;

/** WebCrypto import parameters per supported key type. */
const IMPORT_PARAMS = {
  'ECDSA-P256': { name: 'ECDSA', namedCurve: 'P-256' },
  'ECDSA-P384': { name: 'ECDSA', namedCurve: 'P-384' },
  RSA: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
} as const;

/** The signature algorithm (for @peculiar/x509 `signingAlgorithm`) that goes with a key. */
export function signingAlgorithmFor(algorithm: KeyAlgorithm): { readonly name: string; readonly hash: string } {
  switch (algorithm) {
    case 'ECDSA-P256':
      return { name: 'ECDSA', hash: 'SHA-256' };
    case 'ECDSA-P384':
      return { name: 'ECDSA', hash: 'SHA-384' };
    case 'RSA':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
}

/** A fresh ECDSA P-256 key pair (the workload key type ztunnel uses). */
export async function generateP256Key(): Promise<PrivateKeyMaterial> {
  const pair = (await subtle.generateKey(IMPORT_PARAMS['ECDSA-P256'], true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const pkcs8 = await subtle.exportKey('pkcs8', pair.privateKey);
  return Object.freeze({
    pem: derToPem(pkcs8, 'PRIVATE KEY'),
    algorithm: 'ECDSA-P256',
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
  });
}

function badKey(why: string, cause?: unknown): MeshError {
  return new MeshError(ErrorCode.InvalidArgument, `unusable private key: ${why}`, cause === undefined ? undefined : { cause });
}

/** Which supported algorithm a node KeyObject is, or why it is not supported. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | string {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ECDSA-P256';
    if (details.namedCurve === 'secp384r1') return 'ECDSA-P384';
    return `EC curve ${details.namedCurve ?? 'unknown'} is not supported (use P-256 or P-384)`;
  }
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return `RSA key of ${bits} bits is too small (at least ${MIN_RSA_BITS})`;
    return 'RSA';
  }
  return `key type ${type ?? 'unknown'} is not supported (use ECDSA P-256/P-384 or RSA)`;
}

/** Imports a PEM private key; throws MeshError(InvalidArgument) for unsupported or broken keys. */
export async function importPrivateKey(pem: string): Promise<PrivateKeyMaterial> {
  if (typeof pem !== 'string' || !pem.includes('PRIVATE KEY-----')) {
    throw badKey('expected a PEM "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY" block');
  }
  if (pem.includes('ENCRYPTED')) throw badKey('encrypted private keys are not supported');
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw badKey('the PEM does not hold a readable private key', err);
  }
  const algorithm = keyAlgorithmOf(keyObject);
  if (algorithm !== 'ECDSA-P256' && algorithm !== 'ECDSA-P384' && algorithm !== 'RSA') throw badKey(algorithm);
  try {
    const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
    const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
    const params = IMPORT_PARAMS[algorithm];
    const privateKey = await subtle.importKey('pkcs8', pkcs8, params, true, ['sign']);
    const publicKey = await subtle.importKey('spki', spki, params, true, ['verify']);
    return Object.freeze({ pem: derToPem(pkcs8, 'PRIVATE KEY'), algorithm, privateKey, publicKey });
  } catch (err) {
    throw badKey(`the ${algorithm} key could not be imported`, err);
  }
}
