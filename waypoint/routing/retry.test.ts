// isRetriable with Envoy's retry_on conditions and retryBackoffMs' jittered exponential window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RetryPolicy } from '../../pkg/api/waypoint-types';
import { isRetriable, retryBackoffMs, type AttemptOutcome } from './retry';

function policy(...retryOn: string[]): RetryPolicy {
  return { attempts: 3, retryOn, backoffBaseMs: 25 };
}

const resp = (status: number, grpcStatus?: number): AttemptOutcome =>
  grpcStatus === undefined ? { kind: 'response', status } : { kind: 'response', status, grpcStatus };
const connectFailure: AttemptOutcome = { kind: 'connect-failure' };
const reset: AttemptOutcome = { kind: 'reset' };
const refused: AttemptOutcome = { kind: 'refused-stream' };
const timeout: AttemptOutcome = { kind: 'timeout' };

const cases: { on: string[]; outcome: AttemptOutcome; retry: boolean }[] = [
  { on: ['5xx'], outcome: resp(500), retry: true },
  { on: ['5xx'], outcome: resp(503), retry: true },
  { on: ['5xx'], outcome: resp(599), retry: true },
  { on: ['5xx'], outcome: resp(404), retry: false },
  { on: ['5xx'], outcome: resp(200), retry: false },
  { on: ['5xx'], outcome: connectFailure, retry: true },
  { on: ['5xx'], outcome: reset, retry: true },
  { on: ['5xx'], outcome: refused, retry: true },
  { on: ['5xx'], outcome: timeout, retry: true },
  { on: ['gateway-error'], outcome: resp(500), retry: false },
  { on: ['gateway-error'], outcome: resp(502), retry: true },
  { on: ['gateway-error'], outcome: resp(503), retry: true },
  { on: ['gateway-error'], outcome: resp(504), retry: true },
  { on: ['gateway-error'], outcome: timeout, retry: true },
  { on: ['gateway-error'], outcome: connectFailure, retry: true },
  { on: ['connect-failure'], outcome: connectFailure, retry: true },
  { on: ['connect-failure'], outcome: reset, retry: false },
  { on: ['connect-failure'], outcome: resp(503), retry: false },
  { on: ['reset'], outcome: reset, retry: true },
  { on: ['reset'], outcome: connectFailure, retry: true },
  { on: ['reset'], outcome: timeout, retry: true },
  { on: ['reset'], outcome: resp(503), retry: false },
  { on: ['refused-stream'], outcome: refused, retry: true },
  { on: ['refused-stream'], outcome: reset, retry: false },
  { on: ['retriable-4xx'], outcome: resp(409), retry: true },
  { on: ['retriable-4xx'], outcome: resp(429), retry: false },
  { on: ['503'], outcome: resp(503), retry: true },
  { on: ['503'], outcome: resp(502), retry: false },
  { on: ['503'], outcome: reset, retry: false },
  { on: ['429', '5xx'], outcome: resp(429), retry: true },
  { on: ['unavailable'], outcome: resp(200, 14), retry: true },
  { on: ['unavailable'], outcome: resp(200, 13), retry: false },
  { on: ['cancelled'], outcome: resp(200, 1), retry: true },
  { on: ['deadline-exceeded'], outcome: resp(200, 4), retry: true },
  { on: ['resource-exhausted'], outcome: resp(200, 8), retry: true },
  { on: ['internal'], outcome: resp(200, 13), retry: true },
  { on: ['internal'], outcome: resp(200, 0), retry: false },
  { on: ['unavailable'], outcome: reset, retry: false },
  { on: [], outcome: resp(503), retry: false },
  { on: ['5xx'], outcome: resp(200, 14), retry: false },
  { on: [' Gateway-Error '], outcome: resp(502), retry: true },
];

for (const c of cases) {
  const what = c.outcome.kind === 'response' ? `${c.outcome.status}${c.outcome.grpcStatus !== undefined ? ` grpc ${c.outcome.grpcStatus}` : ''}` : c.outcome.kind;
  test(`retryOn ${JSON.stringify(c.on)} ${c.retry ? 'retries' : 'does not retry'} ${what}`, () => {
    assert.equal(isRetriable(policy(...c.on), c.outcome), c.retry);
  });
}

test('backoff: uniform in [0, base·(2^n − 1)), capped at 10·base', () => {
  const p = policy('5xx');
  const almostOne = 0.999999;
  assert.equal(retryBackoffMs(p, 1, () => 0), 0);
  assert.equal(retryBackoffMs(p, 1, () => almostOne), 24);
  assert.equal(retryBackoffMs(p, 2, () => almostOne), 74);
  assert.equal(retryBackoffMs(p, 3, () => almostOne), 174);
  assert.equal(retryBackoffMs(p, 3, () => 0.5), 87);
  assert.equal(retryBackoffMs(p, 4, () => almostOne), 250);
  assert.equal(retryBackoffMs(p, 4, () => 0.5), 187);
  assert.equal(retryBackoffMs(p, 40, () => almostOne), 250);
  assert.equal(retryBackoffMs(p, 40, () => 0.5), 187);
});

test('backoff: no base or no retry number gives no wait', () => {
  assert.equal(retryBackoffMs({ ...policy('5xx'), backoffBaseMs: 0 }, 3, () => 0.9), 0);
  assert.equal(retryBackoffMs(policy('5xx'), 0, () => 0.9), 0);
});
