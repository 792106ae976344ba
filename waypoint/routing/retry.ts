// Retry decisions with Envoy's semantics: which attempt outcomes a RetryPolicy retries, and the
// fully jittered exponential backoff between attempts. `retryOn` is compiled once per policy
// object (WeakMap) into a bit set and a list of plain status codes.
//
// Envoy (router retry state) as implemented here:
// - response: `5xx` any 500–599; `gateway-error` 502/503/504; `retriable-4xx` 409; a plain code
//   ("503") that exact status; gRPC conditions by grpc-status: cancelled 1, deadline-exceeded 4,
//   resource-exhausted 8, internal 13, unavailable 14.
// - no response (connect failure, reset, refused stream, per-try timeout — a per-try timeout is a
//   local stream reset in Envoy): retried by `5xx`, `gateway-error` and `reset`; additionally a
//   connect failure by `connect-failure` and a refused stream by `refused-stream`.

import type { RetryPolicy } from '../../pkg/api/waypoint-types';

export type AttemptOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly grpcStatus?: number }
  | { readonly kind: 'connect-failure' | 'reset' | 'refused-stream' | 'timeout' };

const FLAG = {
  '5xx': 1 << 0,
  'gateway-error': 1 << 1,
  'connect-failure': 1 << 2,
  'reset': 1 << 3,
  'retriable-4xx': 1 << 4,
  'refused-stream': 1 << 5,
  'cancelled': 1 << 6,
  'deadline-exceeded': 1 << 7,
  'internal': 1 << 8,
  'resource-exhausted': 1 << 9,
  'unavailable': 1 << 10,
} as const;

/** gRPC status code → the retry condition that names it. */
const GRPC_FLAG: Readonly<Record<number, number>> = {
  1: FLAG.cancelled,
  4: FLAG['deadline-exceeded'],
  8: FLAG['resource-exhausted'],
  13: FLAG.internal,
  14: FLAG.unavailable,
};

const ANY_RESET = FLAG['5xx'] | FLAG['gateway-error'] | FLAG.reset;

interface CompiledRetryOn {
  readonly flags: number;
  readonly codes: readonly number[];
}

const compiled = new WeakMap<RetryPolicy, CompiledRetryOn>();

function isFlagName(s: string): s is keyof typeof FLAG {
  return Object.prototype.hasOwnProperty.call(FLAG, s);
}

function compile(policy: RetryPolicy): CompiledRetryOn {
  let c = compiled.get(policy);
  if (!c) {
    let flags = 0;
    const codes: number[] = [];
    for (const raw of policy.retryOn) {
      const s = raw.trim().toLowerCase();
      if (isFlagName(s)) flags |= FLAG[s];
      else if (/^[1-5][0-9][0-9]$/.test(s)) codes.push(Number(s));
      // Anything else was refused by validation; ignoring it keeps a decision possible.
    }
    c = { flags, codes };
    compiled.set(policy, c);
  }
  return c;
}

/** True when `policy` retries an attempt that ended with `outcome` (attempt budget not considered). */
export function isRetriable(policy: RetryPolicy, outcome: AttemptOutcome): boolean {
  const { flags, codes } = compile(policy);
  switch (outcome.kind) {
    case 'connect-failure':
      return (flags & (ANY_RESET | FLAG['connect-failure'])) !== 0;
    case 'refused-stream':
      return (flags & (ANY_RESET | FLAG['refused-stream'])) !== 0;
    case 'reset':
    case 'timeout':
      return (flags & ANY_RESET) !== 0;
    case 'response': {
      const s = outcome.status;
      if ((flags & FLAG['5xx']) !== 0 && s >= 500 && s <= 599) return true;
      if ((flags & FLAG['gateway-error']) !== 0 && (s === 502 || s === 503 || s === 504)) return true;
      if ((flags & FLAG['retriable-4xx']) !== 0 && s === 409) return true;
      if (codes.includes(s)) return true;
      const g = outcome.grpcStatus;
      if (g !== undefined) {
        const f = GRPC_FLAG[g];
        if (f !== undefined && (flags & f) !== 0) return true;
      }
      return false;
    }
  }
}

/** Envoy's cap on the backoff: ten times the base interval. */
export const MAX_BACKOFF_FACTOR = 10;

/**
 * Milliseconds to wait before retry number `retryNumber` (1 = first retry): Envoy's fully
 * jittered exponential backoff, uniform in [0, base·(2^n − 1)) with n ≤ 4, never more than 10·base.
 */
export function retryBackoffMs(policy: RetryPolicy, retryNumber: number, random: () => number): number {
  const base = policy.backoffBaseMs;
  if (!(base > 0) || !(retryNumber >= 1)) return 0;
  const cap = MAX_BACKOFF_FACTOR * base;
  // Envoy stops growing the window once it exceeds the cap: 15·base from the fourth retry on.
  const n = Math.min(Math.floor(retryNumber), 4);
  const window = ((1 << n) - 1) * base;
  return Math.min(Math.floor(random() * window), cap);
}
