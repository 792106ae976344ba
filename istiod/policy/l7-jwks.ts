// The key sources of a RequestAuthentication jwtRule, checked strictly before any waypoint uses
// them: an inline JWKS (JSON with public signing keys only — no symmetric keys, no private key
// material, key types and algorithms ambit's verifier accepts), a jwksUri (absolute http(s) URL
// that cannot point the waypoint at itself or a cloud metadata endpoint), and the fetch timeout
// written as an Istio duration. Structure only: keys are used (by `jose`) in the waypoint. Pure.

import { SECURITY_LIMITS } from '../../pkg/api/waypoint-security-types';
import { ipToBytes, isIpv4MappedBytes } from '../../pkg/api/ip-bytes';
import { FieldReport, isObject, type JsonObject, own, show } from './field-report';
import type { Parsed } from './string-forms';

/** At most this many keys in one inline JWKS. */
export const MAX_JWKS_KEYS = 64;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const EC_CURVES: Readonly<Record<string, string>> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
const OKP_CURVES = ['Ed25519', 'Ed448'];
const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

function member(key: JsonObject, name: string, path: string, report: FieldReport): string | undefined {
  const v = own(key, name);
  if (typeof v === 'string' && BASE64URL.test(v)) return v;
  report.problem(`${path}.${name}`, v === undefined ? 'is required' : 'must be base64url text');
  return undefined;
}

function checkAlg(key: JsonObject, kty: string, path: string, report: FieldReport): void {
  const alg = own(key, 'alg');
  if (alg === undefined) return;
  if (typeof alg !== 'string') {
    report.problem(`${path}.alg`, 'must be a string');
    return;
  }
  if (alg === 'none' || alg.startsWith('HS')) {
    report.problem(`${path}.alg`, `${show(alg)} is not a public-key signature algorithm`);
    return;
  }
  const crv = own(key, 'crv');
  const fits = kty === 'RSA' ? RSA_ALGS.includes(alg)
    : kty === 'EC' ? typeof crv === 'string' && EC_CURVES[crv] === alg
      : alg === 'EdDSA';
  if (!fits) report.problem(`${path}.alg`, `${show(alg)} does not fit a ${kty} key${typeof crv === 'string' ? ` on ${crv}` : ''}`);
}

/** One key of the set: a public signing key of a supported type. Returns its kid ('' if none). */
function checkKey(value: unknown, path: string, report: FieldReport): string | undefined {
  if (!isObject(value)) {
    report.problem(path, 'must be a JSON object (a JWK)');
    return undefined;
  }
  const secret = PRIVATE_MEMBERS.filter((m) => Object.hasOwn(value, m));
  const kty = own(value, 'kty');
  if (kty === 'oct') {
    report.problem(`${path}.kty`, 'symmetric keys are not supported (and would be a shared secret in a resource anyone may read)');
    return undefined;
  }
  if (secret.length > 0) report.problem(path, `private key material must never be in a JWKS (members ${secret.join(', ')})`);
  if (kty === 'RSA') {
    const n = member(value, 'n', path, report);
    member(value, 'e', path, report);
    const bits = n === undefined ? 0 : Buffer.from(n, 'base64url').length * 8;
    if (n !== undefined && bits < 2048) report.warn(`${path}.n`, `a ${bits}-bit RSA key is too weak (use at least 2048 bits)`);
  } else if (kty === 'EC') {
    const crv = own(value, 'crv');
    if (typeof crv !== 'string' || EC_CURVES[crv] === undefined) report.problem(`${path}.crv`, 'must be P-256, P-384 or P-521');
    member(value, 'x', path, report);
    member(value, 'y', path, report);
  } else if (kty === 'OKP') {
    const crv = own(value, 'crv');
    if (typeof crv !== 'string' || !OKP_CURVES.includes(crv)) report.problem(`${path}.crv`, 'must be Ed25519 or Ed448 (a signing curve)');
    member(value, 'x', path, report);
  } else {
    report.problem(`${path}.kty`, kty === undefined ? 'is required' : `${typeof kty === 'string' ? show(kty) : 'this value'} is not RSA, EC or OKP`);
    return undefined;
  }
  checkAlg(value, kty, path, report);
  const use = own(value, 'use');
  if (use !== undefined && use !== 'sig') report.warn(`${path}.use`, 'the key is not for signatures ("use" is not "sig"): no token verifies with it');
  const kid = own(value, 'kid');
  if (kid === undefined) return '';
  if (typeof kid !== 'string' || kid === '') {
    report.problem(`${path}.kid`, 'must be a non-empty string');
    return undefined;
  }
  return kid;
}

/** An inline JWKS (`jwks` text) at `path`; problems and warnings go to the report. */
export function checkJwks(text: string, path: string, report: FieldReport): void {
  if (text.length > SECURITY_LIMITS.jwksChars) {
    report.problem(path, `${text.length} characters (at most ${SECURITY_LIMITS.jwksChars})`);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    report.problem(path, `is not JSON (${err instanceof Error ? err.message.slice(0, 120) : 'unparsable'})`);
    return;
  }
  const keys = isObject(parsed) ? own(parsed, 'keys') : undefined;
  if (!Array.isArray(keys)) {
    report.problem(path, 'must be a JSON Web Key Set: {"keys": [...]}');
    return;
  }
  if (keys.length === 0) report.problem(path, 'holds no keys');
  if (keys.length > MAX_JWKS_KEYS) {
    report.problem(path, `${keys.length} keys (at most ${MAX_JWKS_KEYS})`);
    return;
  }
  const kids = keys.map((k, i) => checkKey(k, `${path}.keys[${i}]`, report));
  kids.forEach((kid, i) => {
    if (kid === '' && keys.length > 1) {
      report.warn(`${path}.keys[${i}]`, 'has no "kid": a key without one is used only when it is the only key of the set');
    } else if (kid === '') {
      report.warn(`${path}.keys[${i}]`, 'has no "kid" (recommended: tokens then name the key they were signed with)');
    } else if (kid !== undefined && kids.indexOf(kid) !== i) {
      report.warn(`${path}.keys[${i}].kid`, `${show(kid)} is used by more than one key`);
    }
  });
}

const METADATA_HOSTS = ['metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal'];

/** Why an address would make the waypoint fetch from itself or a link-local metadata endpoint. */
function internalAddress(bytes: Buffer): boolean {
  let b = bytes;
  if (isIpv4MappedBytes(b)) b = b.subarray(12);
  if (b.length === 4) return b[0] === 127 || b[0] === 0 || (b[0] === 169 && b[1] === 254);
  const zero = b.subarray(0, 15).every((x) => x === 0);
  return (zero && (b[15] === 0 || b[15] === 1)) || (b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80);
}

/** A `jwksUri`: absolute http(s) URL, no credentials, not the waypoint itself nor a metadata endpoint. */
export function checkJwksUri(raw: string, path: string, report: FieldReport): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    report.problem(path, `${show(raw)} is not an absolute URL`);
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    report.problem(path, `${show(raw)}: only http and https URLs can be fetched`);
    return;
  }
  if (url.username !== '' || url.password !== '') report.problem(path, `${show(raw)} must not carry credentials`);
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  const bytes = ipToBytes(host);
  if (host === 'localhost' || host.endsWith('.localhost') || METADATA_HOSTS.includes(host) || (bytes && internalAddress(bytes))) {
    report.problem(path, `${show(raw)} would fetch from the waypoint itself or a metadata endpoint`);
    return;
  }
  if (url.protocol === 'http:' && !/\.svc(\.|$)/.test(host)) {
    report.warn(path, `${show(raw)} is plain http: unless the host is a mesh Service (fetched through the mesh with mTLS), `
      + 'the keys can be replaced on the way; use https');
  }
}

const DURATION = /^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/;
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };

/** An Istio duration ("5s", "500ms", "1m", "1.5s"), 1 ms .. SECURITY_LIMITS.timeoutMsMax, in whole ms. */
export function durationMs(raw: string): Parsed<number> {
  if (!DURATION.test(raw)) return { ok: false, reason: `${show(raw)} is not a duration (e.g. "5s", "500ms")` };
  let ms = 0;
  for (const m of raw.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) ms += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
  const rounded = Math.round(ms);
  if (ms < 1) return { ok: false, reason: `${show(raw)} is shorter than 1ms` };
  if (rounded > SECURITY_LIMITS.timeoutMsMax) return { ok: false, reason: `${show(raw)} is longer than ${SECURITY_LIMITS.timeoutMsMax / 1000}s` };
  return { ok: true, value: rounded };
}
