// Upstream attempts for one request: pick an endpoint (healthy, not ejected, balancer), respect the
// backend's limits (requests, retries, pending), send the attempt with its per-try timeout, feed
// outlier detection, and retry what the route's RetryPolicy retries (Envoy semantics, jittered
// backoff) while the body can be replayed and the caller's signal (route timeout, client gone) is
// not aborted. The result is the response to stream, a failure to answer, or "aborted".

import type { RetryPolicy } from '../../pkg/api/waypoint-types';
import type { Logger } from '../../pkg/log/logger';
import { isRetriable, retryBackoffMs, type AttemptOutcome } from '../routing/retry';
import type { Endpoint } from '../state/view';
import { sendAttempt, type AttemptResult, type BodySource, type UpstreamRequestSpec, type UpstreamResponse } from '../upstream/attempt';
import { outlierOutcomeOf, type BackendState } from '../upstream/backend-state';
import { endpointAddress } from '../upstream/tunnel';
import type { FailureReason } from './errors';

export interface ForwardInput {
  readonly state: BackendState;
  readonly endpoints: () => readonly Endpoint[];
  readonly protocol: 'h1' | 'h2';
  readonly request: UpstreamRequestSpec;
  readonly body: BodySource & { readonly replayable: boolean };
  readonly retry?: RetryPolicy;
  readonly hashKey?: string;
  /** Aborted when the route deadline passes or the client is gone. */
  readonly signal: AbortSignal;
  readonly random: () => number;
  readonly now: () => number;
  readonly logger: Logger;
}

interface Tally {
  attempts: number;
  endpoint?: Endpoint;
}

export type ForwardResult =
  | {
    readonly kind: 'response';
    readonly response: UpstreamResponse;
    readonly endpoint: Endpoint;
    readonly attempts: number;
    readonly retriesExhausted: boolean;
    /** Releases the request's limits and in-flight count; call when the response is over. */
    readonly done: () => void;
  }
  | { readonly kind: 'failure'; readonly reason: FailureReason; readonly endpoint?: Endpoint; readonly attempts: number; readonly retriesExhausted: boolean; readonly detail?: string }
  | { readonly kind: 'aborted'; readonly endpoint?: Endpoint; readonly attempts: number };

function grpcStatusOf(r: UpstreamResponse): number | undefined {
  const v = r.headers['grpc-status'];
  const n = typeof v === 'string' ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

function outcomeOf(result: AttemptResult): AttemptOutcome {
  if (result.kind === 'response') {
    const grpcStatus = grpcStatusOf(result.response);
    return grpcStatus === undefined ? { kind: 'response', status: result.response.status } : { kind: 'response', status: result.response.status, grpcStatus };
  }
  switch (result.outcome) {
    case 'connect-failure': return { kind: 'connect-failure' };
    case 'refused-stream': return { kind: 'refused-stream' };
    case 'aborted': return { kind: 'timeout' };
    default: return { kind: 'reset' };
  }
}

const FAILURE_REASON: Readonly<Record<AttemptOutcome['kind'], FailureReason>> = {
  'response': 'upstream_reset',
  'connect-failure': 'connect_failure',
  'reset': 'upstream_reset',
  'refused-stream': 'upstream_reset',
  'timeout': 'upstream_timeout',
};

/** Waits `ms` unless `signal` aborts first; resolves false when aborted. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Throws away a response that will be retried (small HTTP/1.1 bodies are drained to keep the tunnel). */
function discard(r: UpstreamResponse): void {
  const cl = Number(r.headers['content-length']);
  if (!r.endAfterHeaders && Number.isFinite(cl) && cl <= 16 * 1024) r.body.resume();
  else r.abort();
}

export async function forward(input: ForwardInput): Promise<ForwardResult> {
  const { state, retry } = input;
  const tally: Tally = { attempts: 0 };
  let retries = 0;
  let releaseRetry: (() => void) | undefined;
  for (;;) {
    if (input.signal.aborted) {
      releaseRetry?.();
      return { kind: 'aborted', endpoint: tally.endpoint, attempts: tally.attempts };
    }
    const pick = state.pick(input.endpoints(), input.hashKey, input.random, input.now());
    if (pick.kind === 'none') {
      releaseRetry?.();
      return { kind: 'failure', reason: 'no_healthy_upstream', endpoint: tally.endpoint, attempts: tally.attempts, retriesExhausted: false };
    }
    const releaseRequest = state.limits.tryStartRequest();
    if (!releaseRequest) {
      releaseRetry?.();
      return { kind: 'failure', reason: 'upstream_overflow', endpoint: pick.endpoint, attempts: tally.attempts, retriesExhausted: false };
    }
    const ep = pick.endpoint;
    tally.attempts++;
    tally.endpoint = ep;
    const inFlight = state.started(ep.uid);
    const currentRetry = releaseRetry;
    releaseRetry = undefined;
    const release = (): void => {
      releaseRequest();
      inFlight();
      currentRetry?.();
    };

    const attemptCtl = new AbortController();
    const follow = (): void => attemptCtl.abort(input.signal.reason);
    input.signal.addEventListener('abort', follow, { once: true });
    let perTry: NodeJS.Timeout | undefined;
    if (retry?.perTryTimeoutMs !== undefined && retry.perTryTimeoutMs > 0) {
      perTry = setTimeout(() => attemptCtl.abort('per-try-timeout'), retry.perTryTimeoutMs);
    }
    const result = await sendAttempt({ state, endpoint: ep, protocol: input.protocol, request: input.request, body: input.body, signal: attemptCtl.signal });
    if (perTry) clearTimeout(perTry);
    input.signal.removeEventListener('abort', follow);

    if (result.kind === 'failure' && result.outcome === 'overflow') {
      release();
      return { kind: 'failure', reason: 'upstream_overflow', endpoint: ep, attempts: tally.attempts, retriesExhausted: false };
    }
    if (result.kind === 'failure' && result.outcome === 'aborted' && input.signal.aborted) {
      release();
      return { kind: 'aborted', endpoint: ep, attempts: tally.attempts };
    }
    const outcome = outcomeOf(result);
    const now = input.now();
    const status = outcome.kind === 'response' ? outcome.status : outcome.kind === 'timeout' ? 504 : 503;
    if (state.record(ep.uid, outlierOutcomeOf(status), now, pick.hostCount)) {
      input.logger.warn(`waypoint: outlier detection ejected ${ep.uid} (${endpointAddress(ep)}) from backend ${state.backend.name}`);
    }

    const wanted = retry !== undefined && retries < retry.attempts && isRetriable(retry, outcome);
    const nextRetry = wanted && input.body.replayable ? state.limits.tryStartRetry() : undefined;
    if (!nextRetry) {
      const exhausted = retries > 0 && wanted === false && retry !== undefined && isRetriable(retry, outcome);
      if (result.kind === 'response') {
        return { kind: 'response', response: result.response, endpoint: ep, attempts: tally.attempts, retriesExhausted: exhausted, done: release };
      }
      release();
      const reason = result.outcome === 'protocol-error' ? 'upstream_protocol_error' : FAILURE_REASON[outcome.kind];
      return { kind: 'failure', reason, endpoint: ep, attempts: tally.attempts, retriesExhausted: exhausted, detail: describe(result) };
    }
    if (result.kind === 'response') discard(result.response);
    input.body.detach();
    release();
    retries++;
    releaseRetry = nextRetry;
    if (!(await sleep(retryBackoffMs(retry!, retries, input.random), input.signal))) continue;
  }
}

function describe(result: AttemptResult): string | undefined {
  if (result.kind !== 'failure' || result.error === undefined) return undefined;
  return result.error instanceof Error ? result.error.message : String(result.error);
}
