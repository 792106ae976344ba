// RequestAuthentication at the waypoint: the JWT rules that apply to a request, the tokens it
// carries at their locations, and each token verified with `jose` against its issuer's key set
// (inline JWKS or the cached `jwksUri` set). Asymmetric algorithms only, pinned by the key's type;
// a kid is required unless the set is one kid-less key; exp/nbf with clock skew; audiences. Every
// token found must verify; no token passes (authorization decides). The result also names the
// headers the caller strips (forged output headers, the token unless forwarded) and sets.

import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { DEFAULT_JWKS_TIMEOUT_MS, type JwtRule, type PolicyTargets, type RequestAuthn } from '../../pkg/api/waypoint-security-types';
import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import type { JwtIdentity } from './attributes';
import { JwksCache, parseJwks, type JwksStatus, type KeySet } from './jwks-cache';
import type { JwksFetcher } from './jwks-fetch';
import { extractTokens, locationKey, ruleLocations, type AuthnRequest, type FoundToken, type TokenLocation } from './jwt-extract';

export type { AuthnRequest } from './jwt-extract';
export type { JwksFetcher } from './jwks-fetch';
export type { JwksStatus } from './jwks-cache';

export type AuthnFailure = 'malformed' | 'too_large' | 'unknown_issuer' | 'missing_kid' | 'unknown_kid' | 'alg_not_allowed' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'audience' | 'jwks_unavailable';

export interface AuthnResult {
  readonly outcome: 'none' | 'ok' | 'fail';   // none: no token in any location of the rules that apply
  readonly identity?: JwtIdentity;             // ok
  readonly failure?: AuthnFailure;             // fail
  readonly issuer?: string;                    // ok/fail when known
  readonly removeHeaders: readonly string[];   // lower-case names the caller deletes from the forwarded request
  readonly setHeaders: readonly { readonly name: string; readonly value: string }[];  // then sets
}

/** Longest token verified (longer → too_large). */
export const MAX_TOKEN_CHARS = 16 * 1024;
/** Most distinct tokens one request may carry (each costs a signature check); more → too_large. */
export const MAX_TOKENS_PER_REQUEST = 8;
export const ALLOWED_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);
const DEFAULT_SKEW_SECONDS = 60;
const DEFAULT_REFRESH_MS = 20 * 60_000;
const UNSAFE_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

type KeySource =
  | { readonly kind: 'inline'; readonly set?: KeySet }
  | { readonly kind: 'uri'; readonly uri: string };

interface CompiledRule {
  readonly rule: JwtRule;
  readonly locations: readonly TokenLocation[];
  readonly locationKeys: ReadonlySet<string>;
  readonly headerNames: ReadonlySet<string>;
  readonly keys: KeySource;
  /** Output headers a client must never set itself. */
  readonly outputHeaders: readonly string[];
}

interface CompiledPolicy { readonly targets: PolicyTargets; readonly rules: readonly CompiledRule[] }

type Verdict =
  | { readonly ok: true; readonly payload: JWTPayload; readonly rule: CompiledRule }
  | { readonly ok: false; readonly failure: AuthnFailure };

function joseFailure(err: unknown): AuthnFailure {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'not_yet_valid';
    if (err.claim === 'iss') return 'unknown_issuer';
    if (err.claim === 'aud') return 'audience';
    return 'malformed';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'alg_not_allowed';
  return 'malformed';
}

function audiencesOf(payload: JWTPayload): string[] {
  const aud: unknown = payload.aud;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

/** A claim as a header value: strings as is, numbers and booleans as text; others skipped. */
function claimHeaderValue(payload: JWTPayload, path: string): string | undefined {
  let v: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  let text: string | undefined;
  if (typeof v === 'string') text = v;
  else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') text = String(v);
  return text !== undefined && !UNSAFE_HEADER_VALUE.test(text) ? text : undefined;
}

function compileRule(rule: JwtRule, inline: ReadonlyMap<string, KeySet | undefined>): CompiledRule {
  const locations: readonly TokenLocation[] = ruleLocations(rule);
  const keys: KeySource = rule.jwks !== ''
    ? { kind: 'inline', ...(inline.get(rule.jwks) ? { set: inline.get(rule.jwks) } : {}) }
    : { kind: 'uri', uri: rule.jwksUri };
  return {
    rule,
    locations,
    locationKeys: new Set(locations.map(locationKey)),
    headerNames: new Set(locations.flatMap((l) => (l.kind === 'header' ? [l.name] : []))),
    keys,
    outputHeaders: [
      ...(rule.outputPayloadToHeader !== '' ? [rule.outputPayloadToHeader.toLowerCase()] : []),
      ...rule.outputClaimToHeaders.map((c) => c.header.toLowerCase()),
    ],
  };
}

export class JwtAuthenticator {
  private policies: readonly CompiledPolicy[] = [];
  private anyAll = false;
  private services: ReadonlySet<string> = new Set();
  /** Inline JWKS text → parsed set (undefined: invalid), kept across updates. */
  private inline = new Map<string, KeySet | undefined>();
  private inlineStatus: JwksStatus[] = [];
  private readonly cache: JwksCache;
  private readonly now: () => number;
  private readonly skewSeconds: number;

  constructor(private readonly opts: { fetchJwks: JwksFetcher; logger: Logger; now?: () => number; clockSkewSeconds?: number; refreshIntervalMs?: number }) {
    this.now = opts.now ?? Date.now;
    this.skewSeconds = opts.clockSkewSeconds ?? DEFAULT_SKEW_SECONDS;
    this.cache = new JwksCache({ fetchJwks: opts.fetchJwks, logger: opts.logger, now: this.now, refreshIntervalMs: opts.refreshIntervalMs ?? DEFAULT_REFRESH_MS });
  }

  /** New config; keeps caches of unchanged sources. */
  update(policies: readonly RequestAuthn[]): void {
    const inline = new Map<string, KeySet | undefined>();
    const inlineStatus: JwksStatus[] = [];
    const uris = new Map<string, number>();
    for (const p of policies) {
      p.rules.forEach((r, i) => {
        const source = `inline:${p.namespace}/${p.name}[${i}]`;
        if (r.jwks !== '') {
          if (!inline.has(r.jwks)) inline.set(r.jwks, this.parseInline(r.jwks, source));
          const set = inline.get(r.jwks);
          inlineStatus.push(set ? { source, keys: set.keys.length } : { source, keys: 0, error: 'invalid inline JWKS' });
        } else if (r.jwksUri !== '') {
          const timeout = r.timeoutMs > 0 ? r.timeoutMs : DEFAULT_JWKS_TIMEOUT_MS;
          uris.set(r.jwksUri, Math.min(uris.get(r.jwksUri) ?? timeout, timeout));
        }
      });
    }
    this.inline = inline;
    this.inlineStatus = inlineStatus;
    this.cache.setSources(uris);
    this.policies = policies.map((p) => ({ targets: p.targets, rules: p.rules.map((r) => compileRule(r, inline)) }));
    this.anyAll = policies.some((p) => p.targets.all);
    this.services = new Set(policies.flatMap((p) => p.targets.services));
  }

  /** Any RequestAuthn applies (targets.all, or lists the key). */
  applies(serviceKey: string | undefined): boolean {
    return this.anyAll || (serviceKey !== undefined && this.services.has(serviceKey));
  }

  async authenticate(serviceKey: string | undefined, req: AuthnRequest, signal?: AbortSignal): Promise<AuthnResult> {
    const rules = this.policies
      .filter((p) => p.targets.all || (serviceKey !== undefined && p.targets.services.includes(serviceKey)))
      .flatMap((p) => p.rules);
    const remove = new Set(rules.flatMap((r) => r.outputHeaders));
    if (rules.length === 0) return { outcome: 'none', removeHeaders: [], setHeaders: [] };
    let issuer: string | undefined;
    try {
      const locations = new Map<string, TokenLocation>();
      for (const r of rules) for (const loc of r.locations) locations.set(locationKey(loc), loc);
      const found = extractTokens([...locations.values()], req);
      if (found.length === 0) return { outcome: 'none', removeHeaders: [...remove], setHeaders: [] };
      if (found.length > MAX_TOKENS_PER_REQUEST) return { outcome: 'fail', failure: 'too_large', removeHeaders: [...remove], setHeaders: [] };
      const set = new Map<string, string>();
      let identity: JwtIdentity | undefined;
      for (const token of found) {
        const v = await this.verifyToken(token, rules, signal);
        issuer ??= v.issuer;
        if (!v.verdict.ok) {
          return { outcome: 'fail', failure: v.verdict.failure, ...(v.issuer !== undefined ? { issuer: v.issuer } : {}), removeHeaders: [...remove], setHeaders: [] };
        }
        const { payload, rule } = v.verdict;
        identity ??= {
          principal: `${payload.iss ?? ''}/${typeof payload.sub === 'string' ? payload.sub : ''}`,
          audiences: audiencesOf(payload),
          ...(typeof payload.azp === 'string' ? { presenter: payload.azp } : {}),
          claims: payload,
        };
        this.outputs(rule, token, payload, remove, set);
      }
      return {
        outcome: 'ok', ...(identity ? { identity } : {}), ...(issuer !== undefined ? { issuer } : {}),
        removeHeaders: [...remove], setHeaders: [...set].map(([name, value]) => ({ name, value })),
      };
    } catch (err) {
      this.opts.logger.warn(`JWT authentication failed unexpectedly: ${describeError(err)}`);
      return { outcome: 'fail', failure: 'malformed', ...(issuer !== undefined ? { issuer } : {}), removeHeaders: [...remove], setHeaders: [] };
    }
  }

  status(): readonly JwksStatus[] {
    return [...this.inlineStatus, ...this.cache.status()];
  }

  /** Timers, in-flight fetches. */
  close(): void {
    this.cache.close();
  }

  private parseInline(text: string, source: string): KeySet | undefined {
    if (this.inline.has(text)) return this.inline.get(text);
    try {
      return parseJwks(text);
    } catch (err) {
      this.opts.logger.warn(`RequestAuthentication ${source}: ${describeError(err)}; its tokens are rejected`);
      return undefined;
    }
  }

  private outputs(c: CompiledRule, token: FoundToken, payload: JWTPayload, remove: Set<string>, set: Map<string, string>): void {
    if (!c.rule.forwardOriginalToken) for (const h of token.headers) if (c.headerNames.has(h)) remove.add(h);
    if (c.rule.outputPayloadToHeader !== '') {
      const name = c.rule.outputPayloadToHeader.toLowerCase();
      if (!set.has(name)) set.set(name, Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url'));
    }
    for (const { header, claim } of c.rule.outputClaimToHeaders) {
      const name = header.toLowerCase();
      const value = claimHeaderValue(payload, claim);
      if (value !== undefined && !set.has(name)) set.set(name, value);
    }
  }

  private async verifyToken(found: FoundToken, rules: readonly CompiledRule[], signal?: AbortSignal): Promise<{ issuer?: string; verdict: Verdict }> {
    if (found.token.length > MAX_TOKEN_CHARS) return { verdict: { ok: false, failure: 'too_large' } };
    let header: ProtectedHeaderParameters;
    let claims: JWTPayload;
    try {
      if (found.token.split('.').length !== 3) return { verdict: { ok: false, failure: 'malformed' } };
      header = decodeProtectedHeader(found.token);
      claims = decodeJwt(found.token);
    } catch {
      return { verdict: { ok: false, failure: 'malformed' } };
    }
    const iss = typeof claims.iss === 'string' ? claims.iss : undefined;
    if (iss === undefined) return { verdict: { ok: false, failure: 'unknown_issuer' } };
    const candidates = rules.filter((r) => r.rule.issuer === iss && found.locations.some((l) => r.locationKeys.has(l)));
    if (candidates.length === 0) return { issuer: iss, verdict: { ok: false, failure: 'unknown_issuer' } };
    const alg = header.alg;
    if (typeof alg !== 'string' || !ALLOWED_ALGORITHMS.has(alg)) return { issuer: iss, verdict: { ok: false, failure: 'alg_not_allowed' } };
    let first: AuthnFailure | undefined;
    for (const c of candidates) {
      const verdict = await this.verifyWithRule(found.token, header.kid, alg, c, signal);
      if (verdict.ok) return { issuer: iss, verdict };
      first ??= verdict.failure;
    }
    return { issuer: iss, verdict: { ok: false, failure: first ?? 'bad_signature' } };
  }

  private async keySet(c: CompiledRule, signal?: AbortSignal): Promise<KeySet | undefined> {
    if (c.keys.kind === 'inline') return c.keys.set;
    return c.keys.uri === '' ? undefined : this.cache.get(c.keys.uri, signal);
  }

  private async verifyWithRule(token: string, kid: unknown, alg: string, c: CompiledRule, signal?: AbortSignal): Promise<Verdict> {
    let set = await this.keySet(c, signal);
    if (!set) return { ok: false, failure: 'jwks_unavailable' };
    let keys = set.select(kid, alg);
    if (keys === 'unknown_kid' && c.keys.kind === 'uri') {
      const fresh = await this.cache.refreshForUnknownKid(c.keys.uri, signal);
      if (fresh) {
        set = fresh;
        keys = set.select(kid, alg);
      }
    }
    if (typeof keys === 'string') return { ok: false, failure: keys };
    let failure: AuthnFailure = 'bad_signature';
    for (const entry of keys) {
      let key;
      try {
        key = await set.importKey(entry, alg);
      } catch {
        failure = 'jwks_unavailable';
        continue;
      }
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [alg], issuer: c.rule.issuer, clockTolerance: this.skewSeconds, currentDate: new Date(this.now()),
        });
        const audiences = c.rule.audiences;
        if (audiences.length > 0 && !audiencesOf(payload).some((a) => audiences.includes(a))) return { ok: false, failure: 'audience' };
        return { ok: true, payload, rule: c };
      } catch (err) {
        failure = joseFailure(err);
        if (failure !== 'bad_signature') return { ok: false, failure };
      }
    }
    return { ok: false, failure };
  }
}
