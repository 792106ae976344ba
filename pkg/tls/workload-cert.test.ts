// Tests for the data-plane side: building a WorkloadCertificate from a CA response, peer identity
// from DER with the X509-SVID refusals (two URI SANs, CA=true, keyCertSign, NUL bytes, ...), and
// real TLS 1.3 mutual handshakes on 127.0.0.1 with mtlsContextOptions.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { isMeshError } from '../errors/mesh-error';
import { formatSpiffeId, spiffeId, type SpiffeId } from '../identity/spiffe';
import { createTestMesh } from '../testing/mesh-certs';
import { CertificateAuthority } from './authority';
import { createCsr } from './csr';
import { generateP256Key } from './keys';
import { pemToDer } from './pem';
import { makeTestCa, makeTestCertificate } from './test-pki';
import {
  identityFromCertificate, mtlsContextOptions, spiffeServerIdentityCheck, verifyChain, workloadCertificateFromChain, type WorkloadCertificate,
} from './workload-cert';
import { x509 } from './x509';

const TD = 'cluster.local';
const ID = spiffeId(TD, 'shop', 'reviews');

function rejectsCert(fn: () => unknown, why: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isMeshError(err, 'BadCertificate'), String(err));
    assert.match(err.message, why);
    return true;
  });
}

test('identityFromCertificate reads the identity of an issued leaf (and again from its cache)', async () => {
  const mesh = await createTestMesh();
  const cert = await mesh.issue('shop', 'reviews');
  const der = pemToDer(cert.certChainPem[0]!);
  assert.equal(formatSpiffeId(identityFromCertificate(der)), formatSpiffeId(ID));
  assert.equal(formatSpiffeId(identityFromCertificate(Buffer.from(der))), formatSpiffeId(ID));
});

test('identityFromCertificate rejects leaves that are not strict X509-SVIDs', async () => {
  const root = await makeTestCa('Root', 'ec-p256');
  const key = await generateP256Key();
  const leaf = async (opts: Partial<Parameters<typeof makeTestCertificate>[0]>): Promise<Buffer> =>
    pemToDer(await makeTestCertificate({ key, issuer: root, ca: false, ...opts }));
  const uri = (value: string): x509.JsonGeneralName => ({ type: 'url', value });

  rejectsCert(() => identityFromCertificate(Buffer.alloc(0)), /no certificate/);
  rejectsCert(() => identityFromCertificate(Buffer.from('not a certificate')), /not an X.509 certificate/);
  rejectsCert(() => identityFromCertificate(pemToDer(root.certPem)), /no subjectAltName/);

  const twoUris = await leaf({ sans: [uri(formatSpiffeId(ID)), uri('spiffe://cluster.local/ns/istio-system/sa/istiod')] });
  rejectsCert(() => identityFromCertificate(twoUris), /carries 2 URI SANs; exactly one is required/);
  // A failure is cached too: the same certificate is refused the same way again.
  rejectsCert(() => identityFromCertificate(twoUris), /carries 2 URI SANs/);

  const noSan = await leaf({});
  rejectsCert(() => identityFromCertificate(noSan), /no subjectAltName/);
  const noUri = await leaf({ sans: [{ type: 'dns', value: 'reviews.shop.svc' }] });
  rejectsCert(() => identityFromCertificate(noUri), /carries 0 URI SANs/);
  const caLeaf = await leaf({ ca: true, sans: [uri(formatSpiffeId(ID))] });
  rejectsCert(() => identityFromCertificate(caLeaf), /CA certificate \(basicConstraints CA=true\)/);
  const certSign = await leaf({ keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, sans: [uri(formatSpiffeId(ID))] });
  rejectsCert(() => identityFromCertificate(certSign), /keyCertSign\/cRLSign/);
  const crlSign = await leaf({ keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.cRLSign, sans: [uri(formatSpiffeId(ID))] });
  rejectsCert(() => identityFromCertificate(crlSign), /keyCertSign\/cRLSign/);
  const noDigitalSignature = await leaf({ keyUsage: x509.KeyUsageFlags.keyEncipherment, sans: [uri(formatSpiffeId(ID))] });
  rejectsCert(() => identityFromCertificate(noDigitalSignature), /lacks digitalSignature/);
  const nul = await leaf({ sans: [uri(`${formatSpiffeId(ID)}\u0000.evil`)] });
  rejectsCert(() => identityFromCertificate(nul), /NUL byte/);
  const nulDns = await leaf({ sans: [uri(formatSpiffeId(ID)), { type: 'dns', value: 'a\u0000b' }] });
  rejectsCert(() => identityFromCertificate(nulDns), /NUL byte/);
  const notIstio = await leaf({ sans: [uri('spiffe://cluster.local/workload/reviews')] });
  rejectsCert(() => identityFromCertificate(notIstio), /URI SAN is not an Istio workload identity/);
  const upper = await leaf({ sans: [uri('spiffe://Cluster.Local/ns/shop/sa/reviews')] });
  rejectsCert(() => identityFromCertificate(upper), /not an Istio workload identity/);
  // The SAN-injection shape that fools a split on ", " of Node's flattened text (hardening #80).
  const injected = await leaf({ sans: [uri(`spiffe://cluster.local/ns/a/sa/b, URI:${formatSpiffeId(ID)}`)] });
  rejectsCert(() => identityFromCertificate(injected), /not an Istio workload identity/);
  const twoSanExtensions = await leaf({
    sans: [uri(formatSpiffeId(ID))],
    extraExtensions: [new x509.SubjectAlternativeNameExtension([uri('spiffe://cluster.local/ns/a/sa/b')])],
  });
  rejectsCert(() => identityFromCertificate(twoSanExtensions), /appears more than once/);

  // A DNS SAN beside the one URI SAN is fine.
  const withDns = await leaf({ sans: [{ type: 'dns', value: 'reviews.shop.svc' }, uri(formatSpiffeId(ID))] });
  assert.equal(formatSpiffeId(identityFromCertificate(withDns)), formatSpiffeId(ID));
});

test('workloadCertificateFromChain: the happy path and each refusal', async () => {
  const mesh = await createTestMesh();
  const key = await generateP256Key();
  const chain = await mesh.ca.signWorkload({ csrPem: await createCsr(key, ID), identity: ID, ttlSeconds: 3600 });

  const wc = workloadCertificateFromChain(chain, key.pem, ID);
  assert.equal(formatSpiffeId(wc.identity), formatSpiffeId(ID));
  assert.deepEqual(wc.certChainPem, [chain[0]]);
  assert.equal(wc.rootsPem, mesh.rootsPem);
  assert.equal(wc.keyPem, key.pem);
  assert.ok(wc.notAfter.getTime() > Date.now() && wc.notBefore.getTime() < Date.now());

  rejectsCert(() => workloadCertificateFromChain(chain, key.pem, spiffeId(TD, 'shop', 'ratings')),
    /issued certificate is for spiffe:\/\/cluster.local\/ns\/shop\/sa\/reviews, not the requested spiffe:\/\/cluster.local\/ns\/shop\/sa\/ratings/);
  const otherKey = await generateP256Key();
  rejectsCert(() => workloadCertificateFromChain(chain, otherKey.pem, ID), /private key does not match/);
  rejectsCert(() => workloadCertificateFromChain(chain, 'junk', ID), /private key .* cannot be read/);
  rejectsCert(() => workloadCertificateFromChain(chain.slice(0, 1), key.pem, ID), /expected the leaf, any intermediates and the root bundle last/);
  const stranger = await createTestMesh();
  rejectsCert(() => workloadCertificateFromChain([chain[0]!, stranger.rootsPem], key.pem, ID), /does not lead to a trusted root/);
  rejectsCert(() => workloadCertificateFromChain([chain[0]!, ''], key.pem, ID), /trust bundle holds no certificate/);
  rejectsCert(() => workloadCertificateFromChain(chain, key.pem, ID, new Date(Date.now() + 2 * 3600_000)), /leaf certificate .* expired at/);
  // A rotation bundle (new root + old root) in the last element still verifies.
  const bundle = workloadCertificateFromChain([chain[0]!, stranger.rootsPem + mesh.rootsPem], key.pem, ID);
  assert.equal(bundle.rootsPem, stranger.rootsPem + mesh.rootsPem);
});

test('verifyChain checks intermediates and reports expiry', async () => {
  const root = await makeTestCa('Root', 'ec-p256');
  const inter = await makeTestCa('Inter', 'ec-p256', root);
  const key = await generateP256Key();
  const leafPem = await makeTestCertificate({ key, issuer: inter, ca: false, sans: [{ type: 'url', value: formatSpiffeId(ID) }] });
  const ok = verifyChain([leafPem, inter.certPem], root.certPem);
  assert.equal(formatSpiffeId(ok.identity), formatSpiffeId(ID));
  assert.throws(() => verifyChain([leafPem], root.certPem), /not issued by any certificate in the trust bundle/);
  assert.throws(() => verifyChain([], root.certPem), /chain is empty/);
  const oldInter = await makeTestCa('Old Inter', 'ec-p256', root, { notBefore: new Date(Date.now() - 86400_000), notAfter: new Date(Date.now() - 1000) });
  const oldLeaf = await makeTestCertificate({ key, issuer: oldInter, ca: false, sans: [{ type: 'url', value: formatSpiffeId(ID) }] });
  assert.throws(() => verifyChain([oldLeaf, oldInter.certPem], root.certPem), /Old Inter\) expired at/);
});

interface HandshakeResult {
  /** What the client received (empty when refused). */
  readonly received: string;
  /** The client identity the server saw, when the handshake passed its checks. */
  readonly serverSaw?: string;
  readonly clientError?: string;
  readonly serverError?: string;
}

/** One mTLS connection over 127.0.0.1: server echoes "hello <client identity>" and closes. */
async function handshake(t: TestContext, server: WorkloadCertificate, client: WorkloadCertificate, expectServer: SpiffeId = server.identity): Promise<HandshakeResult> {
  let serverSaw: string | undefined;
  let serverError: string | undefined;
  const srv = tls.createServer({ ...mtlsContextOptions(server), requestCert: true, rejectUnauthorized: true }, (socket) => {
    serverSaw = formatSpiffeId(identityFromCertificate(socket.getPeerCertificate().raw));
    socket.end(`hello ${serverSaw}`);
  });
  srv.on('tlsClientError', (err) => { serverError = err.message; });
  t.after(() => srv.close());
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const socket = tls.connect({
    ...mtlsContextOptions(client),
    host: '127.0.0.1',
    port: (srv.address() as AddressInfo).port,
    checkServerIdentity: spiffeServerIdentityCheck(expectServer),
  });
  t.after(() => socket.destroy());
  let received = '';
  let clientError: string | undefined;
  socket.on('data', (d: Buffer) => { received += d.toString(); });
  socket.on('error', (err) => { clientError = err.message; });
  // Not events.once: it would reject on the 'error' that a refused handshake emits first.
  await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { received, ...(serverSaw ? { serverSaw } : {}), ...(clientError ? { clientError } : {}), ...(serverError ? { serverError } : {}) };
}

test('TLS 1.3 mutual handshake between two mesh workloads on 127.0.0.1', async (t) => {
  const mesh = await createTestMesh();
  const server = await mesh.issue('shop', 'reviews');
  const client = await mesh.issue('shop', 'productpage');
  const r = await handshake(t, server, client);
  assert.equal(r.received, 'hello spiffe://cluster.local/ns/shop/sa/productpage');
  assert.equal(r.clientError, undefined);
});

test('mutual handshake through an intermediate CA (leaf + intermediate presented)', async (t) => {
  const root = await makeTestCa('Root', 'rsa');
  const inter = await makeTestCa('Inter', 'ec-p256', root);
  const ca = await CertificateAuthority.load({ signingCertPem: inter.certPem, signingKeyPem: inter.keyLegacyPem, rootsPem: root.certPem });
  const issue = async (id: SpiffeId): Promise<WorkloadCertificate> => {
    const key = await generateP256Key();
    return workloadCertificateFromChain(await ca.signWorkload({ csrPem: await createCsr(key, id), identity: id, ttlSeconds: 600 }), key.pem, id);
  };
  const r = await handshake(t, await issue(ID), await issue(spiffeId(TD, 'shop', 'productpage')));
  assert.equal(r.received, 'hello spiffe://cluster.local/ns/shop/sa/productpage');
});

test('the server refuses a client certificate from another root', async (t) => {
  const mesh = await createTestMesh();
  const other = await createTestMesh();
  const server = await mesh.issue('shop', 'reviews');
  const intruder = await other.issue('shop', 'productpage');
  // The intruder trusts the mesh root (so only the server side can refuse).
  const r = await handshake(t, server, { ...intruder, rootsPem: mesh.rootsPem });
  assert.equal(r.received, '');
  assert.equal(r.serverSaw, undefined);
});

test('the client refuses a server from another root, and a server with the wrong identity', async (t) => {
  const mesh = await createTestMesh();
  const other = await createTestMesh();
  const client = await mesh.issue('shop', 'productpage');
  const foreign = await other.issue('shop', 'reviews');
  const r1 = await handshake(t, { ...foreign, rootsPem: mesh.rootsPem }, client);
  assert.equal(r1.received, '');
  assert.match(r1.clientError ?? '', /certificate/i);

  const ratings = await mesh.issue('shop', 'ratings');
  const r2 = await handshake(t, ratings, client, ID);
  assert.equal(r2.received, '');
  assert.match(r2.clientError ?? '', /presented spiffe:\/\/cluster.local\/ns\/shop\/sa\/ratings, expected spiffe:\/\/cluster.local\/ns\/shop\/sa\/reviews/);
});

test('an expired client certificate is refused', async (t) => {
  const mesh = await createTestMesh();
  const server = await mesh.issue('shop', 'reviews');
  const expired = await mesh.issue('shop', 'productpage', { now: new Date(Date.now() - 2 * 3600_000), ttlSeconds: 3600 });
  assert.ok(expired.notAfter.getTime() < Date.now());
  const r = await handshake(t, server, expired);
  assert.equal(r.received, '');
  assert.equal(r.serverSaw, undefined);
});

test('mtlsContextOptions pins TLS 1.3, AES-GCM suites and X25519/P-256', async () => {
  const mesh = await createTestMesh();
  const cert = await mesh.issue('shop', 'reviews');
  const opts = mtlsContextOptions(cert);
  assert.equal(opts.minVersion, 'TLSv1.3');
  assert.equal(opts.maxVersion, 'TLSv1.3');
  assert.equal(opts.ciphers, 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256');
  assert.equal(opts.ecdhCurve, 'X25519:P-256');
  assert.equal(opts.ca, mesh.rootsPem);
  assert.equal(opts.cert, cert.certChainPem.join(''));
  tls.createSecureContext(opts); // accepted by OpenSSL as is
});
