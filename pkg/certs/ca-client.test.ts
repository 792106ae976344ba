// CaClient against a real TLS gRPC CreateCertificate server on loopback: what it sends, what it
// accepts, and the errors a user sees when the CA refuses or cannot be trusted.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { IMPERSONATED_IDENTITY } from '../api/ca-messages';
import { ErrorCode, MeshError, isMeshError } from '../errors/mesh-error';
import { formatSpiffeId, sameIdentity, spiffeId } from '../identity/spiffe';
import { CertificateAuthority } from '../tls/authority';
import { createCsr } from '../tls/csr';
import { generateP256Key } from '../tls/keys';
import { CaClient, caFetcher, type CaClientOptions } from './ca-client';
import { TestCaServer, TEST_TRUST_DOMAIN } from './test-ca-server';
import { staticTokenSource } from './token-source';

const reviews = spiffeId(TEST_TRUST_DOMAIN, 'shop', 'reviews');
const ratings = spiffeId(TEST_TRUST_DOMAIN, 'shop', 'ratings');

async function setup(t: TestContext, options: Partial<CaClientOptions> = {}): Promise<{ server: TestCaServer; client: CaClient }> {
  const server = await TestCaServer.start();
  t.after(() => server.stop());
  const client = new CaClient({
    address: server.address,
    rootCertPem: server.ca.rootsPem,
    tokenSource: staticTokenSource('test-token'),
    ...options,
  });
  t.after(() => client.close());
  return { server, client };
}

async function rejection(p: Promise<unknown>): Promise<MeshError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof MeshError, `expected a MeshError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the promise to reject');
}

test('fetch returns a certificate for the requested identity, chained to the CA', async (t) => {
  const { server, client } = await setup(t);
  const key = await generateP256Key();
  const cert = await client.fetch(reviews, key, 3_600);
  assert.ok(sameIdentity(cert.identity, reviews));
  assert.equal(cert.keyPem.trim(), key.pem.trim());
  assert.ok(cert.certChainPem.length >= 1);
  assert.ok(cert.rootsPem.includes('BEGIN CERTIFICATE'));
  assert.ok(cert.notAfter.getTime() > Date.now());
  // The lifetime asked for is the lifetime granted (the CA backdates notBefore a little).
  assert.ok(cert.notAfter.getTime() - cert.notBefore.getTime() >= 3_600_000);
  assert.equal(server.calls.length, 1);
});

test('the request carries the bearer token, the cluster id, the impersonated identity and the TTL', async (t) => {
  const { server, client } = await setup(t, { clusterId: 'east', tokenSource: staticTokenSource('  tok.en-123\n') });
  await client.fetch(ratings, await generateP256Key(), 600);
  const [call] = server.calls;
  assert.ok(call);
  assert.equal(call.authorization, 'Bearer tok.en-123');
  assert.equal(call.clusterId, 'east');
  assert.equal(call.request.metadata[IMPERSONATED_IDENTITY], formatSpiffeId(ratings));
  assert.equal(call.request.validityDurationSeconds, 600);
  assert.match(call.request.csr, /BEGIN CERTIFICATE REQUEST/);
});

test('the default cluster id is Kubernetes and one channel serves many calls', async (t) => {
  const { server, client } = await setup(t);
  const fetch = caFetcher(client);
  const certs = await Promise.all([fetch(reviews, 600), fetch(ratings, 600), fetch(reviews, 600)]);
  assert.equal(certs.length, 3);
  assert.deepEqual(server.calls.map((c) => c.clusterId), ['Kubernetes', 'Kubernetes', 'Kubernetes']);
  // Every fetch uses a new key.
  assert.equal(new Set(certs.map((c) => c.keyPem)).size, 3);
});

test('a CA answering with a certificate for another identity is refused', async (t) => {
  const { server, client } = await setup(t);
  server.behaviour = async (_request, ca) => {
    const otherKey = await generateP256Key();
    const csrPem = await createCsr(otherKey, ratings);
    return { certChain: await ca.signWorkload({ csrPem, identity: ratings, ttlSeconds: 600 }) };
  };
  const err = await rejection(client.fetch(reviews, await generateP256Key(), 600));
  assert.equal(err.code, ErrorCode.BadCertificate);
  assert.match(err.message, /spiffe:\/\/cluster\.local\/ns\/shop\/sa\/ratings/);
  assert.match(err.message, /unusable certificate for spiffe:\/\/cluster\.local\/ns\/shop\/sa\/reviews/);
});

test('an empty answer is refused as a bad certificate', async (t) => {
  const { server, client } = await setup(t);
  server.behaviour = async () => ({ certChain: [] });
  const err = await rejection(client.fetch(reviews, await generateP256Key(), 600));
  assert.equal(err.code, ErrorCode.BadCertificate);
});

test('gRPC statuses become MeshErrors that keep the server message', async (t) => {
  const { server, client } = await setup(t);
  const cases = [
    [grpc.status.UNAUTHENTICATED, ErrorCode.Unauthenticated, 'authentication failure: token audience mismatch'],
    [grpc.status.PERMISSION_DENIED, ErrorCode.PermissionDenied, 'no pod with shop/reviews on node-a'],
    [grpc.status.INVALID_ARGUMENT, ErrorCode.InvalidArgument, 'CSR has two URI SANs'],
    [grpc.status.UNAVAILABLE, ErrorCode.Unavailable, 'signer is warming up'],
  ] as const;
  for (const [status, code, details] of cases) {
    server.behaviour = async () => ({ code: status, details });
    const err = await rejection(client.fetch(reviews, await generateP256Key(), 600));
    assert.equal(err.code, code);
    assert.ok(err.message.includes(details), err.message);
    assert.ok(err.message.includes(formatSpiffeId(reviews)), err.message);
  }
});

test('a missing token fails as Unauthenticated before anything is sent', async (t) => {
  const { server, client } = await setup(t, { tokenSource: staticTokenSource('') });
  const err = await rejection(client.fetch(reviews, await generateP256Key(), 600));
  assert.equal(err.code, ErrorCode.Unauthenticated);
  assert.match(err.message, /token/);
  assert.equal(server.calls.length, 0);
});

test('a CA whose certificate does not chain to the configured root is unavailable', async (t) => {
  const other = await CertificateAuthority.createRoot({ trustDomain: TEST_TRUST_DOMAIN, ttlSeconds: 3_600 });
  const { server, client } = await setup(t, { rootCertPem: other.rootsPem });
  const err = await rejection(client.fetch(reviews, await generateP256Key(), 600));
  assert.equal(err.code, ErrorCode.Unavailable);
  assert.equal(server.calls.length, 0);
});

test('a CA certificate for another name is refused', async (t) => {
  const { server, client } = await setup(t, { serverName: 'istiod.other.svc' });
  const err = await rejection(client.fetch(reviews, await generateP256Key(), 600));
  assert.equal(err.code, ErrorCode.Unavailable);
  assert.equal(server.calls.length, 0);
});

test('a stopped CA is unavailable; a closed client refuses', async (t) => {
  const { server, client } = await setup(t);
  server.stop();
  const err = await rejection(client.fetch(reviews, await generateP256Key(), 600));
  assert.equal(err.code, ErrorCode.Unavailable);
  assert.match(err.message, /127\.0\.0\.1/);
  client.close();
  const closed = await rejection(client.fetch(reviews, await generateP256Key(), 600));
  assert.equal(closed.code, ErrorCode.Unavailable);
  assert.match(closed.message, /closed/);
});

test('bad options are reported all at once', () => {
  assert.throws(
    () => new CaClient({ address: 'istiod', rootCertPem: 'nothing', tokenSource: staticTokenSource('x'), timeoutMs: 0 }),
    (err: unknown) => isMeshError(err, ErrorCode.InvalidArgument) && /host:port/.test(err.message) && /rootCertPem/.test(err.message) && /timeoutMs/.test(err.message),
  );
});
