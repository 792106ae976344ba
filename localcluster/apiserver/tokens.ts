// ServiceAccount tokens: issues Kubernetes-style bound tokens as ES256 JWTs (JOSE compact form
// written with node:crypto) and reviews them the way a TokenReview does — signature, time,
// issuer, audience, and whether the bound objects still exist. Hostile tokens never throw.

import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomUUID, sign, verify } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { invalid } from './errors';
import { hasOwn, ownValue } from './json-values';
import { isRecord } from './types';

export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** Largest token a review looks at. */
export const MAX_TOKEN_BYTES = 16 * 1024;
/** Clock skew tolerated on `exp`, `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 60;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

export interface ObjectBinding { name: string; uid: string }

export interface TokenClaimsRequest {
  namespace: string;
  serviceAccountName: string;
  serviceAccountUid: string;
  audiences: string[];
  expirationSeconds: number;
  pod?: ObjectBinding;
  node?: ObjectBinding;
}

export interface BoundObjectRef {
  /** The token's namespace; '' for a Node, which is cluster-scoped. */
  namespace: string;
  kind: 'ServiceAccount' | 'Pod' | 'Node';
  name: string;
  uid: string;
}

export interface TokenReviewUser {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export type TokenReviewStatus =
  | { authenticated: true; user: TokenReviewUser; audiences: string[] }
  | { authenticated: false; error: string };

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** Strict base64url decoding: unpadded alphabet only, canonical encoding; undefined otherwise. */
function fromB64url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const buf = Buffer.from(text, 'base64url');
  return buf.toString('base64url') === text ? buf : undefined;
}

function parseJsonObject(buf: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(buf.toString('utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const isBinding = (v: unknown): v is ObjectBinding =>
  isRecord(v) && typeof ownValue(v, 'name') === 'string' && typeof ownValue(v, 'uid') === 'string';

export class TokenSigner {
  private readonly publicKey: KeyObject;
  readonly kid: string;

  private constructor(private readonly privateKey: KeyObject) {
    const details = privateKey.asymmetricKeyDetails;
    if (privateKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
      throw new Error('service account signing key must be an ECDSA P-256 private key');
    }
    this.publicKey = createPublicKey(privateKey);
    const jwk = this.publicKey.export({ format: 'jwk' });
    // RFC 7638: the required members in lexicographic order, no whitespace.
    const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
    this.kid = b64url(createHash('sha256').update(canonical).digest());
  }

  static async generate(): Promise<TokenSigner> {
    const { privateKey } = await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' });
    return new TokenSigner(privateKey);
  }

  static fromPem(privateKeyPem: string): TokenSigner {
    return new TokenSigner(createPrivateKey(privateKeyPem));
  }

  /** The private key as PKCS#8 PEM (to persist it across restarts). */
  toPem(): string {
    return this.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  publicJwk(): JsonWebKey {
    return { ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'ES256', use: 'sig' };
  }

  issue(claims: TokenClaimsRequest, now: Date = new Date()): string {
    const exp = claims.expirationSeconds;
    const problem = !Number.isInteger(exp) ? 'must be an integer'
      : exp < MIN_EXPIRATION_SECONDS ? 'may not specify a duration less than 10 minutes'
        : exp > MAX_EXPIRATION_SECONDS ? 'may not specify a duration larger than 2^32 seconds' : undefined;
    if (problem) {
      throw invalid('authentication.k8s.io', 'TokenRequest', claims.serviceAccountName,
        [{ field: 'spec.expirationSeconds', message: problem }]);
    }
    const iat = Math.floor(now.getTime() / 1000);
    const k8s: Record<string, unknown> = {
      namespace: claims.namespace,
      serviceaccount: { name: claims.serviceAccountName, uid: claims.serviceAccountUid },
    };
    if (claims.pod) k8s.pod = { name: claims.pod.name, uid: claims.pod.uid };
    if (claims.node) k8s.node = { name: claims.node.name, uid: claims.node.uid };
    const payload = {
      aud: [...claims.audiences],
      exp: iat + exp,
      iat,
      iss: SERVICE_ACCOUNT_ISSUER,
      jti: randomUUID(),
      'kubernetes.io': k8s,
      nbf: iat,
      sub: `system:serviceaccount:${claims.namespace}:${claims.serviceAccountName}`,
    };
    const signingInput = `${b64url(JSON.stringify({ alg: 'ES256', kid: this.kid, typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${b64url(signature)}`;
  }

  /**
   * A TokenReview of `token`. `audiences` undefined (or empty) skips the audience check and
   * reports the token's own audiences; `exists` says whether a bound object (by uid) still exists.
   */
  review(token: string, audiences: string[] | undefined, now: Date,
    exists: (ref: BoundObjectRef) => boolean): TokenReviewStatus {
    try {
      return this.reviewUnsafe(token, audiences, now, exists);
    } catch (err) {
      return { authenticated: false, error: `token review failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  private reviewUnsafe(token: unknown, audiences: string[] | undefined, now: Date,
    exists: (ref: BoundObjectRef) => boolean): TokenReviewStatus {
    const deny = (error: string): TokenReviewStatus => ({ authenticated: false, error });
    if (typeof token !== 'string' || token.length === 0) return deny('no token');
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return deny('token is too large');
    const parts = token.split('.');
    if (parts.length !== 3) return deny('token is not a JWS in compact serialization');
    const [headerBytes, payloadBytes, signature] = parts.map(fromB64url);
    if (!headerBytes || !payloadBytes || !signature) return deny('token is not valid base64url');
    const header = parseJsonObject(headerBytes);
    if (!header) return deny('token header is not a JSON object');
    if (ownValue(header, 'alg') !== 'ES256') return deny('token algorithm is not ES256');
    if (hasOwn(header, 'crit')) return deny('token header has unsupported critical extensions');
    const kid = ownValue(header, 'kid');
    if (kid !== undefined && kid !== this.kid) return deny('token was signed by an unknown key');
    if (signature.length !== 64) return deny('token signature has the wrong length');
    const signingInput = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!verify('sha256', signingInput, { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, signature)) {
      return deny('token signature is invalid');
    }
    const claims = parseJsonObject(payloadBytes);
    if (!claims) return deny('token claims are not a JSON object');
    return this.checkClaims(claims, audiences, now, exists);
  }

  private checkClaims(claims: Record<string, unknown>, audiences: string[] | undefined, now: Date,
    exists: (ref: BoundObjectRef) => boolean): TokenReviewStatus {
    const deny = (error: string): TokenReviewStatus => ({ authenticated: false, error });
    if (ownValue(claims, 'iss') !== SERVICE_ACCOUNT_ISSUER) return deny('token has an unknown issuer');
    const nowSeconds = now.getTime() / 1000;
    const exp = ownValue(claims, 'exp');
    const nbf = ownValue(claims, 'nbf');
    const iat = ownValue(claims, 'iat');
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return deny('token has no expiry');
    if (nowSeconds > exp + CLOCK_SKEW_SECONDS) return deny('token has expired');
    if (nbf !== undefined && (typeof nbf !== 'number' || nowSeconds < nbf - CLOCK_SKEW_SECONDS)) {
      return deny('token is not valid yet');
    }
    if (iat !== undefined && (typeof iat !== 'number' || nowSeconds < iat - CLOCK_SKEW_SECONDS)) {
      return deny('token was issued in the future');
    }
    const rawAud = ownValue(claims, 'aud');
    const tokenAud = typeof rawAud === 'string' ? [rawAud] : rawAud;
    if (!Array.isArray(tokenAud) || !tokenAud.every((a) => typeof a === 'string')) {
      return deny('token has no valid audience');
    }
    let granted: string[] = tokenAud;
    if (audiences && audiences.length > 0) {
      granted = audiences.filter((a) => tokenAud.includes(a));
      if (granted.length === 0) return deny('token audiences are not valid for the requested audiences');
    }
    const k8s = ownValue(claims, 'kubernetes.io');
    if (!isRecord(k8s)) return deny('token has no kubernetes.io claims');
    const namespace = ownValue(k8s, 'namespace');
    const sa = ownValue(k8s, 'serviceaccount');
    const pod = ownValue(k8s, 'pod');
    const node = ownValue(k8s, 'node');
    if (typeof namespace !== 'string' || !isBinding(sa)) return deny('token has no service account');
    if ((pod !== undefined && !isBinding(pod)) || (node !== undefined && !isBinding(node))) {
      return deny('token has a malformed bound object');
    }
    const username = `system:serviceaccount:${namespace}:${sa.name}`;
    if (ownValue(claims, 'sub') !== username) return deny('token subject does not match its service account');
    const jti = ownValue(claims, 'jti');
    if (jti !== undefined && typeof jti !== 'string') return deny('token id is not a string');

    if (!exists({ namespace, kind: 'ServiceAccount', name: sa.name, uid: sa.uid })) {
      return deny(`service account ${namespace}/${sa.name} (uid ${sa.uid}) no longer exists`);
    }
    if (pod && !exists({ namespace, kind: 'Pod', name: pod.name, uid: pod.uid })) {
      return deny(`pod ${namespace}/${pod.name} (uid ${pod.uid}) bound to the token no longer exists`);
    }
    if (node && !exists({ namespace: '', kind: 'Node', name: node.name, uid: node.uid })) {
      return deny(`node ${node.name} (uid ${node.uid}) bound to the token no longer exists`);
    }
    const extra: Record<string, string[]> = {};
    if (pod) {
      extra['authentication.kubernetes.io/pod-name'] = [pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [pod.uid];
    }
    if (node) {
      extra['authentication.kubernetes.io/node-name'] = [node.name];
      extra['authentication.kubernetes.io/node-uid'] = [node.uid];
    }
    if (jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${jti}`];
    return {
      authenticated: true,
      user: {
        username,
        uid: sa.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
        extra,
      },
      audiences: granted,
    };
  }
}
