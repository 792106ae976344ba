// Tests for the CA: a self-signed root, workload signing (SAN must equal the granted identity,
// validity rules, the cert_chain layout), serving certificates, and loading Istio `cacerts`
// intermediates (EC and RSA) with the refusals for broken CA material.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isMeshError } from '../errors/mesh-error';
import { formatSpiffeId, spiffeId } from '../identity/spiffe';
import { CertificateAuthority } from './authority';
import { createCsr, parseCsr } from './csr';
import { generateP256Key } from './keys';
import { splitPemCertificates } from './pem';
import { makeTestCa, makeTestCertificate, newTestKey } from './test-pki';
import { verifyChain, workloadCertificateFromChain } from './workload-cert';
import { x509 } from './x509';

const TD = 'cluster.local';
const ID = spiffeId(TD, 'shop', 'reviews');

async function csrFor(identity = ID): Promise<{ csrPem: string; keyPem: string }> {
  const key = await generateP256Key();
  return { csrPem: await createCsr(key, identity), keyPem: key.pem };
}

function extension(pem: string, oid: string): x509.Extension | undefined {
  return new x509.X509Certificate(pem).extensions.find((e) => e.type === oid);
}

test('createRoot makes a self-signed P-256 CA for the trust domain', async () => {
  const ca = await CertificateAuthority.createRoot({ trustDomain: TD, ttlSeconds: 86400 });
  const root = new X509Certificate(ca.signingCertPem);
  assert.equal(root.ca, true);
  assert.equal(root.subject, `O=${TD}`);
  assert.ok(root.checkIssued(root) && root.verify(root.publicKey));
  assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(root.subjectAltName, `URI:spiffe://${TD}`);
  assert.deepEqual(ca.chainPem, []);
  assert.equal(ca.rootsPem, ca.signingCertPem);
  assert.equal(extension(ca.signingCertPem, '2.5.29.19')?.critical, true);
  const ku = extension(ca.signingCertPem, '2.5.29.15') as x509.KeyUsagesExtension;
  assert.equal(ku.critical, true);
  assert.ok(ku.usages & x509.KeyUsageFlags.keyCertSign && ku.usages & x509.KeyUsageFlags.cRLSign);
  assert.ok(extension(ca.signingCertPem, '2.5.29.14'));
  assert.equal(ca.notAfter.getTime(), new Date(root.validTo).getTime());
});

test('createRoot refuses a bad trust domain or TTL', async () => {
  await assert.rejects(CertificateAuthority.createRoot({ trustDomain: 'Cluster.Local', ttlSeconds: 60 }),
    (err: unknown) => isMeshError(err, 'InvalidArgument') && /trust domain/.test(err.message));
  await assert.rejects(CertificateAuthority.createRoot({ trustDomain: TD, ttlSeconds: 0 }),
    (err: unknown) => isMeshError(err, 'InvalidArgument') && /positive number of seconds/.test(err.message));
});

test('signWorkload issues an X509-SVID in the cert_chain layout that verifies against the root', async () => {
  const ca = await CertificateAuthority.createRoot({ trustDomain: TD, ttlSeconds: 86400 });
  const { csrPem, keyPem } = await csrFor();
  const chain = await ca.signWorkload({ csrPem, identity: ID, ttlSeconds: 3600 });
  assert.equal(chain.length, 2, 'leaf, then the root bundle (a root CA has no intermediates)');
  assert.equal(chain[1], ca.rootsPem);

  const verified = verifyChain(chain.slice(0, 1), ca.rootsPem);
  assert.equal(formatSpiffeId(verified.identity), formatSpiffeId(ID));

  const leaf = new X509Certificate(chain[0]!);
  assert.equal(leaf.ca, false);
  assert.equal(leaf.subject, undefined, 'empty subject');
  assert.equal(leaf.subjectAltName, `URI:${formatSpiffeId(ID)}`);
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'EKU serverAuth + clientAuth');
  assert.ok(leaf.checkPrivateKey(createPrivateKey(keyPem)));
  assert.equal(extension(chain[0]!, '2.5.29.17')?.critical, true);
  const aki = extension(chain[0]!, '2.5.29.35') as x509.AuthorityKeyIdentifierExtension;
  const ski = extension(ca.signingCertPem, '2.5.29.14') as x509.SubjectKeyIdentifierExtension;
  assert.equal(aki.keyId, ski.keyId);
  const ku = extension(chain[0]!, '2.5.29.15') as x509.KeyUsagesExtension;
  assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
  assert.ok(/^[0-7]/.test(leaf.serialNumber) && leaf.serialNumber.length === 32, `positive 128-bit serial, got ${leaf.serialNumber}`);

  const again = await ca.signWorkload({ csrPem, parsedCsr: await parseCsr(csrPem), identity: ID, ttlSeconds: 3600 });
  assert.notEqual(new X509Certificate(again[0]!).serialNumber, leaf.serialNumber);
});

test('signWorkload validity: back-dated by min(60 s, 10 % of TTL), capped at the CA expiry', async () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const ca = await CertificateAuthority.createRoot({ trustDomain: TD, ttlSeconds: 7 * 86400, now: new Date('2029-12-31T00:00:00Z') });
  const { csrPem } = await csrFor();
  const long = new X509Certificate((await ca.signWorkload({ csrPem, identity: ID, ttlSeconds: 86400, now }))[0]!);
  assert.equal(new Date(long.validFrom).toISOString(), '2029-12-31T23:59:00.000Z');
  assert.equal(new Date(long.validTo).toISOString(), '2030-01-02T00:00:00.000Z');
  const short = new X509Certificate((await ca.signWorkload({ csrPem, identity: ID, ttlSeconds: 100, now }))[0]!);
  assert.equal(new Date(short.validFrom).toISOString(), '2029-12-31T23:59:50.000Z');
  const capped = new X509Certificate((await ca.signWorkload({ csrPem, identity: ID, ttlSeconds: 30 * 86400, now }))[0]!);
  assert.equal(new Date(capped.validTo).getTime(), ca.notAfter.getTime());
  await assert.rejects(ca.signWorkload({ csrPem, identity: ID, ttlSeconds: 60, now: new Date('2031-01-01T00:00:00Z') }),
    (err: unknown) => isMeshError(err, 'BadCertificate') && /CA certificate expired/.test(err.message));
  await assert.rejects(ca.signWorkload({ csrPem, identity: ID, ttlSeconds: -1, now }), /positive number of seconds/);
});

test('signWorkload refuses a CSR whose SAN is not exactly the granted identity', async () => {
  const ca = await CertificateAuthority.createRoot({ trustDomain: TD, ttlSeconds: 86400 });
  const other = await csrFor(spiffeId(TD, 'istio-system', 'istiod'));
  await assert.rejects(ca.signWorkload({ csrPem: other.csrPem, identity: ID, ttlSeconds: 3600 }), (err: unknown) => {
    assert.ok(isMeshError(err, 'InvalidArgument'));
    assert.match(err.message, /CSR SAN \["spiffe:\/\/cluster.local\/ns\/istio-system\/sa\/istiod"\] does not match the identity granted/);
    assert.match(err.message, /spiffe:\/\/cluster.local\/ns\/shop\/sa\/reviews/);
    return true;
  });

  const key = await generateP256Key();
  const two = await x509.Pkcs10CertificateRequestGenerator.create({
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: formatSpiffeId(ID) }, { type: 'url', value: 'spiffe://cluster.local/ns/a/sa/b' }], true)],
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys: { privateKey: key.privateKey, publicKey: key.publicKey },
  });
  await assert.rejects(ca.signWorkload({ csrPem: two.toString('pem'), identity: ID, ttlSeconds: 3600 }),
    (err: unknown) => isMeshError(err, 'InvalidArgument') && /does not match the identity granted/.test(err.message));

  await assert.rejects(ca.signWorkload({ csrPem: 'garbage', identity: ID, ttlSeconds: 3600 }),
    (err: unknown) => isMeshError(err, 'InvalidArgument') && /invalid CSR/.test(err.message));
});

test('issueServing: DNS, IP and URI SANs, chain without the root', async () => {
  const ca = await CertificateAuthority.createRoot({ trustDomain: TD, ttlSeconds: 86400 });
  const served = await ca.issueServing({
    dnsNames: ['istiod.istio-system.svc', 'localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    identity: spiffeId(TD, 'istio-system', 'istiod'),
    ttlSeconds: 3600,
  });
  const certs = splitPemCertificates(served.certChainPem);
  assert.equal(certs.length, 1);
  const leaf = new X509Certificate(certs[0]!);
  assert.equal(leaf.subjectAltName,
    'DNS:istiod.istio-system.svc, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, URI:spiffe://cluster.local/ns/istio-system/sa/istiod');
  assert.ok(leaf.checkHost('localhost'));
  assert.ok(leaf.checkIP('127.0.0.1'));
  assert.ok(leaf.verify(new X509Certificate(ca.rootsPem).publicKey));
  assert.ok(leaf.checkPrivateKey(createPrivateKey(served.keyPem)));
  await assert.rejects(ca.issueServing({ dnsNames: ['bad name'], ttlSeconds: 60 }), /not a DNS name/);
  await assert.rejects(ca.issueServing({ dnsNames: [], ipAddresses: ['198.18.0.300'], ttlSeconds: 60 }), /not an IP address/);
  await assert.rejects(ca.issueServing({ dnsNames: [], ttlSeconds: 60 }), /at least one DNS name/);
});

/** Istio `cacerts` files for root → intermediate (the signing CA), keys in legacy PEM encodings. */
async function cacerts(kind: 'ec-p256' | 'rsa'): Promise<{ caCert: string; caKey: string; rootCert: string; certChain: string }> {
  const root = await makeTestCa('Example Root', kind);
  const inter = await makeTestCa('Example Intermediate', kind, root);
  return { caCert: inter.certPem, caKey: inter.keyLegacyPem, rootCert: root.certPem, certChain: inter.certPem + root.certPem };
}

for (const kind of ['ec-p256', 'rsa'] as const) {
  test(`load() an Istio cacerts intermediate (${kind}) and sign chains that verify`, async () => {
    const files = await cacerts(kind);
    assert.match(files.caKey, kind === 'rsa' ? /RSA PRIVATE KEY/ : /EC PRIVATE KEY/);
    const ca = await CertificateAuthority.load({
      signingCertPem: files.caCert, signingKeyPem: files.caKey, intermediatesPem: files.certChain, rootsPem: files.rootCert,
    });
    assert.deepEqual(ca.chainPem, [files.caCert]);
    assert.equal(ca.rootsPem, files.rootCert);
    const { csrPem, keyPem } = await csrFor();
    const chain = await ca.signWorkload({ csrPem, identity: ID, ttlSeconds: 3600 });
    assert.equal(chain.length, 3, 'leaf, intermediate, root bundle');
    assert.equal(chain[1], files.caCert);
    assert.equal(chain[2], files.rootCert);
    const leaf = new X509Certificate(chain[0]!);
    assert.equal(leaf.issuer, 'O=Example Intermediate');
    assert.ok(leaf.checkIssued(new X509Certificate(files.caCert)));
    const wc = workloadCertificateFromChain(chain, keyPem, ID);
    assert.deepEqual(wc.certChainPem, [chain[0], files.caCert]);
    assert.equal(formatSpiffeId(wc.identity), formatSpiffeId(ID));
  });
}

test('load() walks a longer chain given in any order and tolerates several roots', async () => {
  const root = await makeTestCa('Root', 'ec-p256');
  const mid = await makeTestCa('Mid', 'ec-p384', root);
  const issuing = await makeTestCa('Issuing', 'rsa', mid);
  const otherRoot = await makeTestCa('Other Root', 'ec-p256');
  const ca = await CertificateAuthority.load({
    signingCertPem: issuing.certPem, signingKeyPem: issuing.key.pem,
    intermediatesPem: root.certPem + mid.certPem + issuing.certPem, rootsPem: otherRoot.certPem + root.certPem,
  });
  assert.deepEqual(ca.chainPem, [issuing.certPem, mid.certPem]);
  const { csrPem, keyPem } = await csrFor();
  const chain = await ca.signWorkload({ csrPem, identity: ID, ttlSeconds: 600 });
  assert.equal(chain.length, 4);
  assert.equal(formatSpiffeId(workloadCertificateFromChain(chain, keyPem, ID).identity), formatSpiffeId(ID));
});

test('load() accepts a root that signs directly', async () => {
  const root = await makeTestCa('Root', 'ec-p256');
  const ca = await CertificateAuthority.load({ signingCertPem: root.certPem, signingKeyPem: root.keyLegacyPem, rootsPem: root.certPem });
  assert.deepEqual(ca.chainPem, []);
  const { csrPem } = await csrFor();
  assert.equal((await ca.signWorkload({ csrPem, identity: ID, ttlSeconds: 600 })).length, 2);
});

async function loadRejects(opts: Parameters<typeof CertificateAuthority.load>[0], why: RegExp, code = 'BadCertificate'): Promise<void> {
  await assert.rejects(CertificateAuthority.load(opts), (err: unknown) => {
    assert.ok(isMeshError(err), String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, why);
    return true;
  });
}

test('load() refuses broken CA material, naming the certificate and the reason', async () => {
  const files = await cacerts('ec-p256');
  const base = { signingCertPem: files.caCert, signingKeyPem: files.caKey, intermediatesPem: files.certChain, rootsPem: files.rootCert };

  const stranger = await newTestKey('ec-p256');
  await loadRejects({ ...base, signingKeyPem: stranger.pem }, /signing key does not match the signing certificate \(O=Example Intermediate\)/);
  await loadRejects({ ...base, signingKeyPem: 'nonsense' }, /signing key \(ca-key.pem\)/, 'InvalidArgument');

  const otherRoot = await makeTestCa('Another Root', 'ec-p256');
  await loadRejects({ ...base, rootsPem: otherRoot.certPem, intermediatesPem: files.caCert },
    /signing certificate \(O=Example Intermediate\) was not issued by any certificate in the root bundle \(root-cert.pem\): the chain does not lead to a trusted root/);
  await loadRejects({ ...base, rootsPem: '' }, /root bundle \(root-cert.pem\) holds no certificate/);
  await loadRejects({ ...base, signingCertPem: files.caCert + files.rootCert }, /exactly one signing certificate/);
  await loadRejects({ ...base, signingCertPem: 'x' }, /exactly one signing certificate \(ca-cert.pem\), found 0/);

  const root = await makeTestCa('Root', 'ec-p256');
  const leafKey = await newTestKey('ec-p256');
  const notCa = await makeTestCertificate({ key: leafKey, issuer: root, subject: [{ O: ['Not A CA'] }], ca: false });
  await loadRejects({ signingCertPem: notCa, signingKeyPem: leafKey.pem, rootsPem: root.certPem }, /signing certificate \(O=Not A CA\) is not a CA/);

  const noSign = await makeTestCa('No CertSign', 'ec-p256', root, { keyUsage: x509.KeyUsageFlags.digitalSignature });
  await loadRejects({ signingCertPem: noSign.certPem, signingKeyPem: noSign.key.pem, rootsPem: root.certPem }, /may not sign certificates \(keyUsage lacks keyCertSign\)/);

  const expired = await makeTestCa('Expired', 'ec-p256', root, { notBefore: new Date(Date.now() - 2 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
  await loadRejects({ signingCertPem: expired.certPem, signingKeyPem: expired.key.pem, rootsPem: root.certPem }, /signing certificate \(O=Expired\) expired at/);

  const expiredRoot = await makeTestCa('Old Root', 'ec-p256', undefined, { notAfter: new Date(Date.now() - 1000) });
  const under = await makeTestCa('Under Old Root', 'ec-p256', expiredRoot);
  await loadRejects({ signingCertPem: under.certPem, signingKeyPem: under.key.pem, rootsPem: expiredRoot.certPem }, /root certificate \(O=Old Root\) expired at/);

  const middleNotCa = await makeTestCertificate({ key: stranger, issuer: root, subject: [{ O: ['Middle'] }], ca: false, keyUsage: 0 });
  const belowMiddle = await makeTestCa('Below', 'ec-p256', { certPem: middleNotCa, key: stranger });
  await loadRejects({ signingCertPem: belowMiddle.certPem, signingKeyPem: belowMiddle.key.pem, intermediatesPem: middleNotCa, rootsPem: root.certPem },
    /intermediate certificate \(O=Middle\) signed signing certificate \(O=Below\) but is not a CA certificate/);
});
