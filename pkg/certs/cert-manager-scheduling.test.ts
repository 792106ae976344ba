// CertificateManager fetch scheduling: priorities when the concurrency limit is reached, prefetch,
// forgetting identities with retain(), demand-driven retries, and close().

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, isMeshError } from '../errors/mesh-error';
import { spiffeId } from '../identity/spiffe';
import { CertificateManager, type CertificateManagerOptions } from './cert-manager';
import { ManualClock, ScriptedFetcher, caDown, settle } from './test-fakes';

const id = (sa: string) => spiffeId('cluster.local', 'shop', sa);
const name = (sa: string) => `spiffe://cluster.local/ns/shop/sa/${sa}`;

function setup(t: { after(fn: () => void): void }, options: Partial<CertificateManagerOptions> = {}) {
  const clock = new ManualClock();
  const fetcher = new ScriptedFetcher(clock);
  const manager = new CertificateManager({ fetcher: fetcher.fetch, clock, random: () => 0.5, ...options });
  t.after(() => manager.close());
  return { clock, fetcher, manager };
}

test('when fetches queue up, waiting callers go first, then warm-up, then rotation', async (t) => {
  const { clock, fetcher, manager } = setup(t, { concurrency: 1, ttlSeconds: 10 });
  fetcher.gated = true;
  const b = manager.get(id('rotating'));
  await settle();
  fetcher.calls[0]!.resolve();
  await b;
  const a = manager.get(id('busy')); // occupies the only slot
  await settle();
  await clock.advance(5_000); // 'rotating' reaches half-life: background renewal queued
  manager.prefetch(id('warm'));
  const d = manager.get(id('waiting'));
  await settle();
  assert.deepEqual(fetcher.order, [name('rotating'), name('busy')]);
  assert.deepEqual(manager.snapshot().map((s) => [s.identity, s.fetching]), [
    [name('busy'), 'running'],
    [name('rotating'), 'queued'],
    [name('waiting'), 'queued'],
    [name('warm'), 'queued'],
  ]);
  for (let i = 1; i < 5; i++) {
    fetcher.calls[i]!.resolve();
    await settle();
  }
  await Promise.all([a, d]);
  assert.deepEqual(fetcher.order, [name('rotating'), name('busy'), name('waiting'), name('warm'), name('rotating')]);
});

test('a prefetched identity a caller then waits for is raised ahead of other warm-ups', async (t) => {
  const { fetcher, manager } = setup(t, { concurrency: 1 });
  fetcher.gated = true;
  const busy = manager.get(id('busy'));
  manager.prefetch(id('one'));
  manager.prefetch(id('two'));
  const two = manager.get(id('two'));
  await settle();
  for (let i = 0; i < 3; i++) {
    fetcher.calls[i]!.resolve();
    await settle();
  }
  await Promise.all([busy, two]);
  assert.deepEqual(fetcher.order, [name('busy'), name('two'), name('one')]);
  // Prefetching something already loaded does nothing.
  manager.prefetch(id('two'));
  await settle();
  assert.equal(fetcher.calls.length, 3);
});

test('retain() forgets unused identities: no renewal, no cached certificate, a later get fetches anew', async (t) => {
  const { clock, fetcher, manager } = setup(t);
  const old = await manager.get(id('gone'));
  await manager.get(id('kept'));
  assert.equal(clock.pendingTimers, 2);
  manager.retain([id('kept')]);
  assert.deepEqual(manager.snapshot().map((s) => s.identity), [name('kept')]);
  assert.equal(clock.pendingTimers, 1);
  assert.equal(manager.peek(id('gone')), undefined);
  const again = await manager.get(id('gone'));
  assert.notEqual(again, old);
  assert.deepEqual(fetcher.order, [name('gone'), name('kept'), name('gone')]);
});

test('retain() withdraws a queued fetch; its waiter is told why; a running fetch still answers', async (t) => {
  const { fetcher, manager } = setup(t, { concurrency: 1 });
  fetcher.gated = true;
  const running = manager.get(id('running'));
  const queued = manager.get(id('queued'));
  await settle();
  manager.retain([]);
  await assert.rejects(queued, (err: unknown) => isMeshError(err, ErrorCode.NotFound) && /no workload on this node uses it/.test(err.message));
  fetcher.calls[0]!.resolve();
  assert.ok(await running);
  await settle();
  assert.deepEqual(fetcher.order, [name('running')]);
  assert.deepEqual(manager.snapshot(), []);
});

test('after the initial backoff a caller triggers a fresh attempt instead of waiting for the timer', async (t) => {
  const { clock, fetcher, manager } = setup(t, { backoff: { initialMs: 1_000, maxMs: 60_000 } });
  fetcher.failWith = caDown();
  await assert.rejects(manager.get(id('a'))); // failure 1; retry due in 1 s
  await assert.rejects(manager.get(id('a'))); // within 1 s of it: answered without a CA call
  assert.equal(fetcher.calls.length, 1);
  await clock.advance(1_000); // the retry fails too: the next one is due in 2 s
  assert.equal(fetcher.calls.length, 2);
  assert.equal(manager.snapshot()[0]?.consecutiveFailures, 2);
  fetcher.failWith = undefined;
  await clock.advance(1_000);
  assert.equal(fetcher.calls.length, 2);
  assert.ok(await manager.get(id('a'))); // a caller 1 s after the failure does not wait for the timer
  assert.equal(fetcher.calls.length, 3);
  assert.equal(manager.snapshot()[0]?.state, 'available');
});

test('close() rejects waiting callers, cancels timers and refuses later calls', async (t) => {
  const { clock, fetcher, manager } = setup(t, { concurrency: 1 });
  await manager.get(id('loaded'));
  fetcher.gated = true;
  const running = manager.get(id('running'));
  const queued = manager.get(id('queued'));
  await settle();
  manager.close();
  await assert.rejects(queued, (err: unknown) => isMeshError(err, ErrorCode.Unavailable) && /closed/.test(err.message));
  await assert.rejects(manager.get(id('loaded')), (err: unknown) => isMeshError(err, ErrorCode.Unavailable) && /closed/.test(err.message));
  assert.equal(clock.pendingTimers, 0);
  fetcher.calls[1]!.resolve();
  assert.ok(await running);
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(manager.snapshot(), []);
});
