// Pure timing decisions of the certificate manager: when to renew a certificate (half-life), how
// long to wait after a failed fetch (exponential backoff with jitter, never past expiry), and the
// floor that keeps a refresh time already in the past from turning into a busy loop.

import type { WorkloadCertificate } from '../tls/workload-cert';

export interface BackoffOptions {
  /** Delay after the first failure. */
  readonly initialMs: number;
  /** Growth per further consecutive failure. */
  readonly factor: number;
  /** Relative spread: 0.2 means each delay is drawn from ±20 % around its nominal value. */
  readonly jitter: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
}

/** ztunnel's numbers: 500 ms doubling to 150 s, ±20 %. */
export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 500, factor: 2, jitter: 0.2, maxMs: 150_000 });

/** The shortest delay ever scheduled, so that no decision can make the manager spin. */
export const MIN_DELAY_MS = 50;
/** A refresh time already in the past is pushed out to at most this much... */
export const LATE_REFRESH_MAX_MS = 1_000;
/** ...or this fraction of the remaining lifetime, whichever is smaller. */
export const LATE_REFRESH_LIFETIME_FRACTION = 0.1;

type Validity = Pick<WorkloadCertificate, 'notBefore' | 'notAfter'>;

/** Checks backoff settings; returns why they are unusable, or undefined. */
export function backoffProblem(b: BackoffOptions): string | undefined {
  if (!(Number.isFinite(b.initialMs) && b.initialMs > 0)) return 'backoff.initialMs must be a positive number';
  if (!(Number.isFinite(b.factor) && b.factor >= 1)) return 'backoff.factor must be at least 1';
  if (!(Number.isFinite(b.jitter) && b.jitter >= 0 && b.jitter < 1)) return 'backoff.jitter must be in [0, 1)';
  if (!(Number.isFinite(b.maxMs) && b.maxMs >= b.initialMs)) return 'backoff.maxMs must be at least backoff.initialMs';
  return undefined;
}

/** When a certificate should be renewed: halfway through its validity. */
export function refreshTime(cert: Validity): number {
  const from = cert.notBefore.getTime();
  return from + (cert.notAfter.getTime() - from) / 2;
}

/** The smallest delay allowed when `remainingMs` of validity are left (always > 0). */
export function minimumDelay(remainingMs: number): number {
  const byLifetime = Math.max(0, remainingMs) * LATE_REFRESH_LIFETIME_FRACTION;
  return Math.max(MIN_DELAY_MS, Math.min(LATE_REFRESH_MAX_MS, byLifetime));
}

/** Milliseconds from `now` until `cert` should be renewed, clamped so it is never ≤ 0. */
export function renewalDelay(cert: Validity, now: number): number {
  const delay = refreshTime(cert) - now;
  const floor = minimumDelay(cert.notAfter.getTime() - now);
  return Math.round(Math.max(delay, floor));
}

/**
 * The nominal backoff after `failures` consecutive failures (≥ 1), spread by the jitter with
 * `random()` in [0, 1) and capped at maxMs.
 */
export function backoffDelay(failures: number, b: BackoffOptions, random: () => number): number {
  const exponent = Math.max(0, Math.min(failures - 1, 1_000));
  const nominal = Math.min(b.maxMs, b.initialMs * b.factor ** exponent);
  const spread = 1 + b.jitter * (2 * random() - 1);
  return Math.round(Math.min(b.maxMs, Math.max(MIN_DELAY_MS, nominal * spread)));
}

/**
 * The delay before retrying a failed fetch. While `current` is still valid the retry happens no
 * later than its expiry, so a short outage never outlives a certificate only because of backoff.
 */
export function retryDelay(failures: number, b: BackoffOptions, current: Validity | undefined, now: number, random: () => number): number {
  const delay = backoffDelay(failures, b, random);
  if (!current) return delay;
  const remaining = current.notAfter.getTime() - now;
  if (remaining <= 0) return delay;
  return Math.round(Math.min(delay, Math.max(MIN_DELAY_MS, remaining)));
}
