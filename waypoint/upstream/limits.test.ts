// BackendLimits: each limit refuses at its maximum, 0 means unlimited, releases are idempotent
// and free a slot, new limits apply to what starts next.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONNECTION_POOL, type ConnectionPool } from '../../pkg/api/waypoint-types';
import { BackendLimits } from './limits';

function pool(parts: Partial<ConnectionPool>): ConnectionPool {
  return { ...DEFAULT_CONNECTION_POOL, ...parts };
}

const kinds = [
  { name: 'requests', field: 'maxRequests', start: (l: BackendLimits) => l.tryStartRequest() },
  { name: 'retries', field: 'maxRetries', start: (l: BackendLimits) => l.tryStartRetry() },
  { name: 'pending', field: 'maxPendingRequests', start: (l: BackendLimits) => l.tryQueue() },
] as const;

for (const k of kinds) {
  test(`${k.name}: refused at ${k.field}, a release frees one slot, releasing twice frees only one`, () => {
    const limits = new BackendLimits(pool({ [k.field]: 2 }));
    const first = k.start(limits);
    const second = k.start(limits);
    assert.ok(first && second);
    assert.equal(k.start(limits), undefined);
    first();
    first();
    const third = k.start(limits);
    assert.ok(third);
    assert.equal(k.start(limits), undefined);
  });

  test(`${k.name}: 0 is unlimited`, () => {
    const limits = new BackendLimits(DEFAULT_CONNECTION_POOL);
    for (let i = 0; i < 10_000; i++) assert.ok(k.start(limits));
  });
}

test('the limits are independent of each other', () => {
  const limits = new BackendLimits(pool({ maxRequests: 1, maxRetries: 1, maxPendingRequests: 1 }));
  assert.ok(limits.tryStartRequest());
  assert.ok(limits.tryStartRetry());
  assert.ok(limits.tryQueue());
  assert.equal(limits.tryStartRequest(), undefined);
  assert.equal(limits.tryStartRetry(), undefined);
  assert.equal(limits.tryQueue(), undefined);
});

test('activeRequests counts what is in flight', () => {
  const limits = new BackendLimits(DEFAULT_CONNECTION_POOL);
  const releases = [limits.tryStartRequest(), limits.tryStartRequest(), limits.tryStartRequest()];
  assert.equal(limits.activeRequests, 3);
  releases[0]!();
  releases[0]!();
  assert.equal(limits.activeRequests, 2);
  releases[1]!();
  releases[2]!();
  assert.equal(limits.activeRequests, 0);
});

test('new limits apply to what starts next; in-flight work is still released', () => {
  const limits = new BackendLimits(pool({ maxRequests: 3 }));
  const a = limits.tryStartRequest()!;
  limits.tryStartRequest();
  limits.setPool(pool({ maxRequests: 1 }));
  assert.equal(limits.tryStartRequest(), undefined);
  a();
  assert.equal(limits.activeRequests, 1);
  assert.equal(limits.tryStartRequest(), undefined);
  limits.setPool(DEFAULT_CONNECTION_POOL);
  assert.ok(limits.tryStartRequest());
});
