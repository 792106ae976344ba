// CertificateManager with the real CaClient against a real TLS gRPC CA on loopback, with short
// certificate lifetimes: shared fetches, renewal before expiry, a CA outage outlasting a
// certificate, recovery when the CA returns on the same port, and forgetting identities.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSecureContext } from 'node:tls';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import { sameIdentity, spiffeId } from '../identity/spiffe';
import type { WorkloadCertificate } from '../tls/workload-cert';
import { CaClient, caFetcher } from './ca-client';
import { CertificateManager } from './cert-manager';
import { TestCaServer, TEST_TRUST_DOMAIN } from './test-ca-server';
import { staticTokenSource } from './token-source';

const reviews = spiffeId(TEST_TRUST_DOMAIN, 'shop', 'reviews');
const ratings = spiffeId(TEST_TRUST_DOMAIN, 'shop', 'ratings');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setup(t: TestContext, ttlSeconds: number) {
  const server = await TestCaServer.start();
  t.after(() => server.stop());
  const client = new CaClient({
    address: server.address,
    rootCertPem: server.ca.rootsPem,
    tokenSource: staticTokenSource('node-token'),
    timeoutMs: 3_000,
    reconnectBackoff: { initialMs: 100, maxMs: 500 },
  });
  t.after(() => client.close());
  const manager = new CertificateManager({ fetcher: caFetcher(client), ttlSeconds, backoff: { initialMs: 200, maxMs: 1_000 } });
  t.after(() => manager.close());
  return { server, client, manager };
}

/** Polls `fn` until it returns a value (bounded); the loop waits, it asserts nothing about time. */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, attempts = 60, everyMs = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  assert.fail(`gave up waiting for ${what}`);
}

function usable(cert: WorkloadCertificate): void {
  // The key and chain still form a TLS identity (what a connection made earlier keeps using).
  createSecureContext({ key: cert.keyPem, cert: cert.certChainPem.join('') });
}

test('concurrent get() calls for one identity make one CA call', async (t) => {
  const { server, manager } = await setup(t, 3_600);
  const certs = await Promise.all(Array.from({ length: 8 }, () => manager.get(reviews)));
  assert.equal(server.calls.length, 1);
  assert.ok(certs.every((c) => c === certs[0]));
  assert.ok(sameIdentity(certs[0]!.identity, reviews));
  assert.equal(server.calls[0]!.request.validityDurationSeconds, 3_600);
  assert.equal(await manager.get(reviews), certs[0]);
  assert.equal(server.calls.length, 1);
});

test('a short-lived certificate is renewed before it expires', async (t) => {
  const { server, manager } = await setup(t, 4);
  const rotated: WorkloadCertificate[] = [];
  manager.on('rotated', (cert, previous) => {
    if (previous) rotated.push(cert);
  });
  const first = await manager.get(reviews);
  const renewed = await eventually('a renewal', async () => rotated[0]);
  assert.ok(renewed.notAfter > first.notAfter, `${renewed.notAfter.toISOString()} after ${first.notAfter.toISOString()}`);
  assert.ok(server.calls.length >= 2);
  assert.notEqual(renewed, first);
  const current = await manager.get(reviews);
  assert.ok(current.notAfter >= renewed.notAfter);
  usable(first);
  usable(current);
});

test('CA down: the certificate is served until it expires, then a clear error; CA back: recovery', async (t) => {
  const { server, manager } = await setup(t, 4);
  const first = await manager.get(reviews);
  server.stop();

  // Until expiry every caller gets the certificate it already has, although renewals fail.
  for (let i = 0; i < 100 && Date.now() < first.notAfter.getTime() - 300; i++) {
    assert.equal(await manager.get(reviews), first);
    await sleep(200);
  }
  assert.ok(manager.snapshot()[0]!.consecutiveFailures > 0, 'renewal was attempted while the CA was down');

  const err = await eventually('get() to fail after expiry', async () =>
    manager.get(reviews).then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
  assert.ok(err instanceof MeshError);
  assert.equal(err.code, ErrorCode.Unavailable);
  assert.match(err.message, /^no valid certificate for spiffe:\/\/cluster\.local\/ns\/shop\/sa\/reviews: the CA is unreachable \(last error: /);
  assert.ok(err.message.includes(`the last certificate expired at ${first.notAfter.toISOString()}`), err.message);
  assert.equal(manager.peek(reviews), undefined);
  assert.equal(manager.snapshot()[0]!.state, 'unavailable');

  await server.restart();
  const recovered = await eventually('get() to succeed again', async () => manager.get(reviews).catch(() => undefined));
  assert.ok(sameIdentity(recovered.identity, reviews));
  assert.ok(recovered.notAfter > first.notAfter);
  assert.equal(manager.snapshot()[0]!.state, 'available');
  assert.equal(manager.snapshot()[0]!.consecutiveFailures, 0);
});

test('retain() drops an identity; a later get() fetches it anew', async (t) => {
  const { server, manager } = await setup(t, 3_600);
  const before = await manager.get(ratings);
  await manager.get(reviews);
  assert.equal(server.calls.length, 2);
  manager.retain([reviews]);
  assert.equal(manager.peek(ratings), undefined);
  assert.deepEqual(manager.snapshot().map((s) => s.identity), ['spiffe://cluster.local/ns/shop/sa/reviews']);
  const after = await manager.get(ratings);
  assert.equal(server.calls.length, 3);
  assert.notEqual(after, before);
  assert.notEqual(after.keyPem, before.keyPem);
});
