// Test-only helpers for the JWT authenticator's tests: signing keys and their JWKS, signed tokens,
// RequestAuthentication/JwtRule builders with Istio's defaults, a request view, and a local JWKS
// HTTP server whose answers a test can change.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import type { JwtRule, RequestAuthn } from '../../pkg/api/waypoint-security-types';
import type { AuthnRequest } from './jwt-extract';

export const ISSUER = 'https://issuer.example';
/** A fixed clock (ms) the tests' tokens are minted against. */
export const T0 = 1_700_000_000_000;

export interface TestKey { readonly alg: string; readonly kid: string; readonly privateKey: KeyLike; readonly publicKey: KeyLike; readonly jwk: JWK }

export async function testKey(alg: string, kid: string, options: { crv?: string } = {}): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...options });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, jwk };
}

export function jwks(...keys: readonly JWK[]): string {
  return JSON.stringify({ keys });
}

export interface SignOptions {
  readonly kid?: string | null;   // null: no kid header
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | string[];
  readonly expIn?: number | null; // seconds from T0; null: no exp
  readonly nbfIn?: number;
  readonly claims?: JWTPayload;
  readonly now?: number;
}

export async function sign(key: TestKey, o: SignOptions = {}): Promise<string> {
  const now = Math.floor((o.now ?? T0) / 1000);
  const kid = o.kid === undefined ? key.kid : o.kid;
  const jwt = new SignJWT({ ...(o.claims ?? {}) })
    .setProtectedHeader({ alg: key.alg, ...(kid !== null ? { kid } : {}) })
    .setIssuer(o.iss ?? ISSUER)
    .setSubject(o.sub ?? 'alice')
    .setIssuedAt(now);
  if (o.aud !== undefined) jwt.setAudience(o.aud);
  const expIn = o.expIn === undefined ? 3600 : o.expIn;
  if (expIn !== null) jwt.setExpirationTime(now + expIn);
  if (o.nbfIn !== undefined) jwt.setNotBefore(now + o.nbfIn);
  return jwt.sign(key.privateKey);
}

export function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function rule(over: Partial<JwtRule> = {}): JwtRule {
  return {
    issuer: ISSUER, audiences: [], jwks: '', jwksUri: '', fromHeaders: [], fromParams: [], fromCookies: [],
    forwardOriginalToken: false, outputPayloadToHeader: '', outputClaimToHeaders: [], timeoutMs: 5000,
    ...over,
  };
}

export function policy(rules: readonly JwtRule[], targets: RequestAuthn['targets'] = { all: true, services: [] }, name = 'jwt'): RequestAuthn {
  return { name, namespace: 'shop', targets, rules };
}

export function request(headers: Readonly<Record<string, string | readonly string[]>> = {}, query = ''): AuthnRequest {
  return {
    query,
    header: (name: string) => {
      const v = headers[name];
      if (v === undefined) return [];
      return typeof v === 'string' ? [v] : v;
    },
  };
}

export function bearer(token: string): AuthnRequest {
  return request({ authorization: `Bearer ${token}` });
}

/** A JWKS server on 127.0.0.1: answers `respond()` and counts requests. */
export interface JwksServer {
  readonly port: number;
  readonly url: string;
  readonly requests: () => number;
  respond: (res: http.ServerResponse) => void;
  close(): Promise<void>;
}

export async function jwksServer(body: string): Promise<JwksServer> {
  let count = 0;
  const state: { respond: (res: http.ServerResponse) => void } = {
    respond: (res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(body); },
  };
  const server = http.createServer((_req, res) => {
    count += 1;
    state.respond(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://jwks.example:${port}/keys`,
    requests: () => count,
    get respond() { return state.respond; },
    set respond(fn) { state.respond = fn; },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Resolves once `check()` holds; rejects if it still does not after ~10 s of polling. */
export async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i >= 2000) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
