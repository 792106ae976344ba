// CertificateManager driven by a manual clock and a scripted fetcher: sharing, caching, renewal at
// half-life, keeping the old certificate through CA failures with backoff, the error a caller sees
// once it expired, and recovery.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, MeshError, isMeshError } from '../errors/mesh-error';
import { spiffeId } from '../identity/spiffe';
import type { WorkloadCertificate } from '../tls/workload-cert';
import { CertificateManager, type CertificateManagerOptions } from './cert-manager';
import { ManualClock, ScriptedFetcher, caDown, fakeCertificate, settle } from './test-fakes';

const reviews = spiffeId('cluster.local', 'shop', 'reviews');
const ratings = spiffeId('cluster.local', 'shop', 'ratings');

function setup(t: { after(fn: () => void): void }, options: Partial<CertificateManagerOptions> = {}) {
  const clock = new ManualClock();
  const fetcher = new ScriptedFetcher(clock);
  const manager = new CertificateManager({ fetcher: fetcher.fetch, clock, random: () => 0.5, ...options });
  t.after(() => manager.close());
  return { clock, fetcher, manager };
}

/** Seconds from the clock's now until the identity's next refresh, per the snapshot. */
function nextRefreshIn(manager: CertificateManager, clock: ManualClock): number | undefined {
  const at = manager.snapshot()[0]?.nextRefreshAt;
  return at === undefined ? undefined : (Date.parse(at) - clock.now()) / 1000;
}

test('concurrent get() calls share one fetch; the certificate is then cached', async (t) => {
  const { fetcher, manager } = setup(t);
  fetcher.gated = true;
  const waiting = [manager.get(reviews), manager.get(reviews), manager.get(reviews)];
  await settle();
  assert.equal(fetcher.calls.length, 1);
  assert.equal(manager.peek(reviews), undefined);
  assert.equal(manager.snapshot()[0]?.state, 'initializing');
  fetcher.calls[0]!.resolve();
  const certs = await Promise.all(waiting);
  assert.ok(certs.every((c) => c === certs[0]));
  assert.equal(await manager.get(reviews), certs[0]);
  assert.equal(manager.peek(reviews), certs[0]);
  assert.equal(fetcher.calls.length, 1);
  assert.equal(fetcher.calls[0]!.ttlSeconds, 86_400);
});

test('a certificate is renewed at half-life; rotated fires; the old object stays intact', async (t) => {
  const { clock, fetcher, manager } = setup(t, { ttlSeconds: 100 });
  const rotations: Array<[WorkloadCertificate, WorkloadCertificate | undefined]> = [];
  manager.on('rotated', (cert, previous) => rotations.push([cert, previous]));
  const first = await manager.get(reviews);
  assert.equal(nextRefreshIn(manager, clock), 50);
  await clock.advance(49_000);
  assert.equal(fetcher.calls.length, 1);
  await clock.advance(1_000);
  assert.equal(fetcher.calls.length, 2);
  const second = await manager.get(reviews);
  assert.notEqual(second, first);
  assert.ok(second.notAfter > first.notAfter);
  assert.deepEqual(rotations, [[first, undefined], [second, first]]);
  // Whoever still holds the old certificate keeps a complete, unchanged object.
  assert.ok(Object.isFrozen(first));
  assert.ok(first.notAfter.getTime() > clock.now());
  assert.equal(manager.snapshot()[0]?.state, 'available');
});

test('while the CA is down the old certificate is served, retries back off, then the caller gets a clear error', async (t) => {
  const { clock, fetcher, manager } = setup(t, { ttlSeconds: 100 });
  const first = await manager.get(reviews);
  fetcher.failWith = caDown();
  await clock.advance(50_000); // renewal fails
  assert.equal(fetcher.calls.length, 2);
  assert.equal(await manager.get(reviews), first);
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    delays.push(nextRefreshIn(manager, clock)!);
    await clock.advance(delays[i]! * 1000);
  }
  assert.deepEqual(delays, [0.5, 1, 2, 4, 8, 16]);
  assert.equal(await manager.get(reviews), first);
  assert.equal(manager.snapshot()[0]?.consecutiveFailures, 7);
  // 50 + 31.5 s elapsed; the next nominal delay (32 s) would pass the expiry, so it is cut to it.
  const remaining = (first.notAfter.getTime() - clock.now()) / 1000;
  assert.equal(nextRefreshIn(manager, clock), remaining);
  await clock.advance(remaining * 1000);
  const err = await manager.get(reviews).then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(isMeshError(err, ErrorCode.Unavailable));
  assert.match(err.message, /^no valid certificate for spiffe:\/\/cluster\.local\/ns\/shop\/sa\/reviews: the CA is unreachable/);
  assert.match(err.message, /last error: certificate request to the CA at 127\.0\.0\.1:15012 failed/);
  assert.ok(err.message.includes(`the last certificate expired at ${first.notAfter.toISOString()}`), err.message);
  assert.equal(manager.peek(reviews), undefined);
  const snap = manager.snapshot()[0]!;
  assert.equal(snap.state, 'unavailable');
  assert.match(snap.lastError ?? '', /ECONNREFUSED/);

  // The CA comes back: the next retry succeeds, callers get a certificate again, backoff resets.
  fetcher.failWith = undefined;
  await clock.advance(nextRefreshIn(manager, clock)! * 1000);
  const renewed = await manager.get(reviews);
  assert.ok(renewed.notAfter > first.notAfter);
  assert.equal(manager.snapshot()[0]?.consecutiveFailures, 0);
  fetcher.failWith = caDown();
  await clock.advance(50_000);
  assert.equal(nextRefreshIn(manager, clock), 0.5);
});

test('a caller waiting on a failed first fetch gets the error; a quick second caller does not hit the CA again', async (t) => {
  const { clock, fetcher, manager } = setup(t);
  fetcher.failWith = caDown();
  await assert.rejects(manager.get(reviews), (err: unknown) => {
    assert.ok(isMeshError(err, ErrorCode.Unavailable));
    assert.match(err.message, /no valid certificate for .*reviews: the CA is unreachable \(last error: .*ECONNREFUSED/);
    assert.doesNotMatch(err.message, /expired/);
    return true;
  });
  await assert.rejects(manager.get(reviews), (err: unknown) => isMeshError(err, ErrorCode.Unavailable));
  assert.equal(fetcher.calls.length, 1);
  // The retry is scheduled after the initial backoff (500 ms) and succeeds.
  fetcher.failWith = undefined;
  await clock.advance(400);
  assert.equal(fetcher.calls.length, 1);
  await clock.advance(100);
  assert.equal(fetcher.calls.length, 2); // the scheduled retry
  assert.ok(await manager.get(reviews));
});

test('a refusal keeps its own code in the error', async (t) => {
  const { fetcher, manager } = setup(t);
  fetcher.failWith = new MeshError(ErrorCode.PermissionDenied, 'certificate request failed: no such pod on this node (gRPC PERMISSION_DENIED)');
  await assert.rejects(manager.get(reviews), (err: unknown) => isMeshError(err, ErrorCode.PermissionDenied) && /the CA refused to issue it/.test(err.message));
});

test('a certificate for another identity from the fetcher is not accepted', async (t) => {
  const { clock, manager } = setup(t, {
    fetcher: async () => fakeCertificate(ratings, clock.now(), clock.now() + 60_000),
  });
  await assert.rejects(manager.get(reviews), (err: unknown) => isMeshError(err, ErrorCode.BadCertificate) && /ratings/.test(err.message));
  assert.equal(manager.peek(reviews), undefined);
});

test('a refresh time already in the past is clamped to a short positive delay, never a busy loop', async (t) => {
  const clock = new ManualClock();
  let calls = 0;
  const manager = new CertificateManager({
    clock,
    fetcher: async (id) => {
      calls++;
      // Issued long ago: its half-life has passed, 10 s remain.
      return fakeCertificate(id, clock.now() - 90_000, clock.now() + 10_000);
    },
  });
  t.after(() => manager.close());
  await manager.get(reviews);
  assert.equal(nextRefreshIn(manager, clock), 1); // min(1 s, 10 % of 10 s)
  await clock.advance(5_000);
  assert.ok(calls <= 6, `fetched ${calls} times in 5 s`);
});

test('a throwing rotated listener does not stop rotation', async (t) => {
  const { clock, manager } = setup(t, { ttlSeconds: 10 });
  const seen: WorkloadCertificate[] = [];
  manager.on('rotated', () => {
    throw new Error('listener bug');
  });
  manager.on('rotated', (cert) => seen.push(cert));
  await manager.get(reviews);
  await clock.advance(5_000);
  assert.equal(seen.length, 2);
  assert.equal(await manager.get(reviews), seen[1]);
});

test('bad options are refused with every problem named', () => {
  assert.throws(
    () => new CertificateManager({ fetcher: async () => assert.fail(), ttlSeconds: 0, concurrency: 0, backoff: { factor: 0.5 } }),
    (err: unknown) => isMeshError(err, ErrorCode.InvalidArgument) && /ttlSeconds/.test(err.message) && /concurrency/.test(err.message) && /factor/.test(err.message),
  );
});
