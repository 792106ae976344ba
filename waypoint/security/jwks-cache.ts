// JWT verification keys: parsing a JWKS document into the public keys a token may name (only
// signature keys of the asymmetric kinds; private members dropped) and which of them a token's kid
// and algorithm may use; and the per-URI cache for RequestAuthentication `jwksUri`: fetched on
// first need, refreshed every interval, a failed refresh keeps the last good set and retries with
// backoff (1 s doubling to 60 s), one shared in-flight fetch per URI, and at most one early refresh
// per minute when a token names an unknown kid (key rotation). Before the first success a source
// has no keys: callers fail closed.

import { importJWK, type JWK, type KeyLike } from 'jose';
import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import type { JwksFetcher } from './jwks-fetch';

export interface JwksStatus { readonly source: string; readonly keys: number; readonly fetchedAt?: string; readonly error?: string }

export interface JwkEntry {
  readonly index: number;
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly kid?: string;
  readonly crv?: string;
  /** The key's own `alg`, when it pins one. */
  readonly alg?: string;
  /** Public members only. */
  readonly jwk: JWK;
}

const MAX_KEYS = 256;
const EC_ALG_CURVE: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** Whether a token algorithm fits the key (its type and curve, and the key's own `alg`). */
function algorithmFits(key: JwkEntry, alg: string): boolean {
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (key.kty === 'RSA') return /^(RS|PS)(256|384|512)$/.test(alg);
  if (key.kty === 'EC') return EC_ALG_CURVE[alg] === key.crv;
  return alg === 'EdDSA';
}
const EC_CURVES = new Set(['P-256', 'P-384', 'P-521']);
const OKP_CURVES = new Set(['Ed25519', 'Ed448']);

/** A parsed JWKS: its usable keys, imported lazily per algorithm. */
export class KeySet {
  private readonly imported = new Map<string, Promise<KeyLike | Uint8Array>>();

  constructor(readonly keys: readonly JwkEntry[]) {}

  /**
   * The keys a token with this header may be verified with, or why there are none: the token must
   * name a kid the set holds (unless the set is one kid-less key), and the algorithm must fit it.
   */
  select(kid: unknown, alg: string): readonly JwkEntry[] | 'missing_kid' | 'unknown_kid' | 'alg_not_allowed' {
    let named: readonly JwkEntry[];
    const only = this.keys.length === 1 ? this.keys[0] : undefined;
    if (only && only.kid === undefined) named = [only];
    else if (typeof kid !== 'string' || kid === '') return 'missing_kid';
    else {
      named = this.keys.filter((k) => k.kid === kid);
      if (named.length === 0) return 'unknown_kid';
    }
    const fit = named.filter((k) => algorithmFits(k, alg));
    return fit.length > 0 ? fit : 'alg_not_allowed';
  }

  importKey(entry: JwkEntry, alg: string): Promise<KeyLike | Uint8Array> {
    const key = `${entry.index}\u0000${alg}`;
    let p = this.imported.get(key);
    if (!p) {
      p = importJWK({ ...entry.jwk }, alg);
      this.imported.set(key, p);
    }
    return p;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function publicEntry(raw: unknown, index: number): JwkEntry | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const k = raw as Record<string, unknown>;
  if (k.use !== undefined && k.use !== 'sig') return undefined;
  if (k.kid !== undefined && typeof k.kid !== 'string') return undefined;
  if (k.alg !== undefined && typeof k.alg !== 'string') return undefined;
  const meta = { index, ...(typeof k.kid === 'string' ? { kid: k.kid } : {}), ...(typeof k.alg === 'string' ? { alg: k.alg } : {}) };
  const n = str(k.n), e = str(k.e), crv = str(k.crv), x = str(k.x), y = str(k.y);
  if (k.kty === 'RSA' && n && e) return { ...meta, kty: 'RSA', jwk: { kty: 'RSA', n, e } };
  if (k.kty === 'EC' && crv && EC_CURVES.has(crv) && x && y) return { ...meta, kty: 'EC', crv, jwk: { kty: 'EC', crv, x, y } };
  if (k.kty === 'OKP' && crv && OKP_CURVES.has(crv) && x) return { ...meta, kty: 'OKP', crv, jwk: { kty: 'OKP', crv, x } };
  return undefined;
}

/** Parses JWKS JSON; throws a MeshError when it is not a key set with at least one usable key. */
export function parseJwks(text: string): KeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MeshError(ErrorCode.InvalidArgument, `JWKS is not valid JSON: ${describeError(err)}`);
  }
  const keys = typeof doc === 'object' && doc !== null ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) throw new MeshError(ErrorCode.InvalidArgument, 'JWKS has no "keys" list');
  if (keys.length > MAX_KEYS) throw new MeshError(ErrorCode.InvalidArgument, `JWKS has ${keys.length} keys, over the limit of ${MAX_KEYS}`);
  const usable = keys.map((k, i) => publicEntry(k, i)).filter((k): k is JwkEntry => k !== undefined);
  if (usable.length === 0) throw new MeshError(ErrorCode.InvalidArgument, 'JWKS has no usable signature key (RSA, EC P-256/384/521, Ed25519/Ed448)');
  return new KeySet(usable);
}

export const JWKS_BACKOFF_MIN_MS = 1000;
export const JWKS_BACKOFF_MAX_MS = 60_000;
export const EARLY_REFRESH_INTERVAL_MS = 60_000;

interface Source {
  readonly uri: string;
  timeoutMs: number;
  set?: KeySet;
  fetchedAt?: number;
  error?: string;
  inflight?: Promise<void>;
  abort?: AbortController;
  timer?: NodeJS.Timeout;
  failures: number;
  /** No fetch starts before this (backoff after a failure, the interval after a success). */
  nextAttemptAt: number;
  lastEarlyAt?: number;
  removed: boolean;
}

/** Waits for `p` unless the signal fires first (then resolves undefined). */
async function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return p;
  if (signal.aborted) return undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export interface JwksCacheOptions {
  readonly fetchJwks: JwksFetcher;
  readonly logger: Logger;
  readonly now: () => number;
  readonly refreshIntervalMs: number;
}

/** Key sets fetched from `jwksUri`s, one entry per URI. */
export class JwksCache {
  private readonly sources = new Map<string, Source>();
  private closed = false;

  constructor(private readonly opts: JwksCacheOptions) {}

  /** The URIs in use and each one's fetch timeout; entries of other URIs are dropped. */
  setSources(wanted: ReadonlyMap<string, number>): void {
    for (const [uri, s] of this.sources) {
      if (!wanted.has(uri)) this.drop(s);
    }
    for (const [uri, timeoutMs] of wanted) {
      const s = this.sources.get(uri);
      if (s) s.timeoutMs = timeoutMs;
      else this.sources.set(uri, { uri, timeoutMs, failures: 0, nextAttemptAt: 0, removed: false });
    }
  }

  /** The key set to verify with: waits for the first fetch; later ones refresh in the background. */
  async get(uri: string, signal?: AbortSignal): Promise<KeySet | undefined> {
    const s = this.sources.get(uri);
    if (!s || this.closed) return undefined;
    const due = s.inflight === undefined && this.opts.now() >= s.nextAttemptAt;
    if (s.set) {
      if (due) void this.fetch(s);
      return s.set;
    }
    if (s.inflight) await unlessAborted(s.inflight, signal);
    else if (due) await unlessAborted(this.fetch(s), signal);
    return s.set;
  }

  /**
   * After a token named a kid the set lacks: joins a fetch in flight, or starts one if the last
   * early refresh of this URI was over a minute ago; resolves the set to re-check, or undefined.
   */
  async refreshForUnknownKid(uri: string, signal?: AbortSignal): Promise<KeySet | undefined> {
    const s = this.sources.get(uri);
    if (!s || this.closed) return undefined;
    if (!s.inflight) {
      const now = this.opts.now();
      if (s.lastEarlyAt !== undefined && now - s.lastEarlyAt < EARLY_REFRESH_INTERVAL_MS) return undefined;
      s.lastEarlyAt = now;
      void this.fetch(s);
    }
    if (s.inflight) await unlessAborted(s.inflight, signal);
    return s.set;
  }

  status(): JwksStatus[] {
    return [...this.sources.values()].map((s) => ({
      source: s.uri,
      keys: s.set?.keys.length ?? 0,
      ...(s.fetchedAt !== undefined ? { fetchedAt: new Date(s.fetchedAt).toISOString() } : {}),
      ...(s.error !== undefined ? { error: s.error } : {}),
    }));
  }

  close(): void {
    this.closed = true;
    for (const s of this.sources.values()) this.drop(s);
    this.sources.clear();
  }

  private drop(s: Source): void {
    s.removed = true;
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    s.abort?.abort();
    this.sources.delete(s.uri);
  }

  private schedule(s: Source, delayMs: number): void {
    s.nextAttemptAt = this.opts.now() + delayMs;
    this.arm(s, delayMs);
  }

  /** A timer that fetches once the source is due by the (injectable) clock. */
  private arm(s: Source, delayMs: number): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      if (s.removed || s.inflight) return;
      const wait = s.nextAttemptAt - this.opts.now();
      if (wait > 0) this.arm(s, wait);
      else void this.fetch(s);
    }, delayMs);
    s.timer.unref();
  }

  /** One fetch of the URI (shared by every waiter); never rejects. */
  private fetch(s: Source): Promise<void> {
    if (s.inflight) return s.inflight;
    const ctl = new AbortController();
    s.abort = ctl;
    const run = async (): Promise<void> => {
      try {
        const text = await this.opts.fetchJwks(s.uri, s.timeoutMs, ctl.signal);
        const set = parseJwks(text);
        if (s.removed) return;
        const recovered = s.error !== undefined;
        s.set = set;
        s.fetchedAt = this.opts.now();
        s.error = undefined;
        s.failures = 0;
        if (recovered) this.opts.logger.info(`JWKS ${s.uri}: fetched ${set.keys.length} key(s) after earlier failures`);
        this.schedule(s, this.opts.refreshIntervalMs);
      } catch (err) {
        if (s.removed) return;
        s.error = describeError(err);
        s.failures += 1;
        const backoff = Math.min(JWKS_BACKOFF_MIN_MS * 2 ** Math.min(s.failures - 1, 16), JWKS_BACKOFF_MAX_MS);
        const kept = s.set ? `; keeping the ${s.set.keys.length} key(s) fetched ${new Date(s.fetchedAt ?? 0).toISOString()}` : '; tokens of its issuers fail until a fetch succeeds';
        this.opts.logger.warn(`JWKS ${s.uri}: ${s.error}${kept}; retrying in ${backoff} ms`);
        this.schedule(s, backoff);
      } finally {
        s.inflight = undefined;
        if (s.abort === ctl) s.abort = undefined;
      }
    };
    // Started on the next tick so `inflight` is set before any part of the fetch settles.
    const p = Promise.resolve().then(run);
    s.inflight = p;
    return p;
  }
}
