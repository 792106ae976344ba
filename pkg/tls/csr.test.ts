// Tests for CSR creation and parsing: round trip, and the refusals the CA relies on (tampered
// signature, several URI SANs, garbage, oversize, several blocks).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { isMeshError } from '../errors/mesh-error';
import { formatSpiffeId, spiffeId } from '../identity/spiffe';
import { MAX_CSR_BYTES, createCsr, parseCsr } from './csr';
import { generateP256Key } from './keys';
import { derToPem, pemToDer } from './pem';
import { makeTestCertificate, newTestKey } from './test-pki';
import { x509 } from './x509';

const ID = spiffeId('cluster.local', 'shop', 'reviews');

async function rejectsWith(pem: string, why: RegExp): Promise<void> {
  await assert.rejects(parseCsr(pem), (err: unknown) => {
    assert.ok(isMeshError(err, 'InvalidArgument'), String(err));
    assert.match(err.message, why);
    return true;
  });
}

test('createCsr → parseCsr round trip: one URI SAN, the key proven, empty subject', async () => {
  const key = await generateP256Key();
  const pem = await createCsr(key, ID);
  assert.match(pem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
  const parsed = await parseCsr(pem);
  assert.deepEqual(parsed.uriSans, [formatSpiffeId(ID)]);
  assert.deepEqual(parsed.dnsSans, []);
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', key.publicKey));
  assert.ok(parsed.publicKeySpki.equals(spki));

  const csr = new x509.Pkcs10CertificateRequest(pem);
  assert.equal(csr.subject, '');
  const san = csr.extensions.find((e) => e.type === '2.5.29.17');
  assert.equal(san?.critical, true);
  assert.equal(csr.signatureAlgorithm.hash.name, 'SHA-256');
});

test('parseCsr accepts an RSA CSR and reports DNS SANs', async () => {
  const key = await newTestKey('rsa');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'reviews.shop.svc' }, { type: 'url', value: formatSpiffeId(ID) }])],
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    keys: { privateKey: key.privateKey, publicKey: key.publicKey },
  });
  const parsed = await parseCsr(csr.toString('pem'));
  assert.deepEqual(parsed.dnsSans, ['reviews.shop.svc']);
  assert.deepEqual(parsed.uriSans, [formatSpiffeId(ID)]);
});

test('parseCsr rejects a tampered request', async () => {
  const key = await generateP256Key();
  const der = pemToDer(await createCsr(key, ID), 'CERTIFICATE REQUEST');
  // Change one letter of the SAN inside the signed part: "reviews" → "reviewz".
  const at = der.indexOf(Buffer.from('reviews'));
  assert.ok(at > 0);
  const tampered = Buffer.from(der);
  tampered[at + 6] = 'z'.charCodeAt(0);
  await rejectsWith(derToPem(tampered, 'CERTIFICATE REQUEST'), /signature does not match/);
});

test('parseCsr rejects a CSR signed by a different key than the one it carries', async () => {
  const carried = await generateP256Key();
  const signer = await generateP256Key();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: formatSpiffeId(ID) }], true)],
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys: { privateKey: signer.privateKey, publicKey: carried.publicKey },
  });
  await rejectsWith(csr.toString('pem'), /signature does not match/);
});

test('parseCsr returns every URI SAN, so two are visible to the CA', async () => {
  const key = await generateP256Key();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    extensions: [new x509.SubjectAlternativeNameExtension([
      { type: 'url', value: formatSpiffeId(ID) },
      { type: 'url', value: 'spiffe://cluster.local/ns/istio-system/sa/istiod' },
    ], true)],
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys: { privateKey: key.privateKey, publicKey: key.publicKey },
  });
  const parsed = await parseCsr(csr.toString('pem'));
  assert.equal(parsed.uriSans.length, 2);
});

test('parseCsr rejects garbage, oversize input and the wrong number of blocks', async () => {
  const key = await generateP256Key();
  const good = await createCsr(key, ID);
  await rejectsWith('', /exactly one PEM "CERTIFICATE REQUEST" block, found 0/);
  await rejectsWith('hello', /found 0/);
  await rejectsWith(good + good, /found 2/);
  await rejectsWith('-----BEGIN CERTIFICATE REQUEST-----\nAAECAwQF\n-----END CERTIFICATE REQUEST-----\n', /not a PKCS#10/);
  await rejectsWith(good + ' '.repeat(MAX_CSR_BYTES), /larger than 16384 bytes/);
  // A certificate is not a CSR.
  const certPem = new X509Certificate(await makeTestCertificate({ key, ca: true, subject: [{ O: ['x'] }] })).toString();
  await rejectsWith(certPem, /found 0/);
  // Truncated DER inside a well-formed PEM block.
  const der = pemToDer(good, 'CERTIFICATE REQUEST');
  await rejectsWith(derToPem(der.subarray(0, der.length - 10), 'CERTIFICATE REQUEST'), /not a PKCS#10/);
});

test('parseCsr refuses weak or unsupported request keys', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: formatSpiffeId(ID) }], true)],
    signingAlgorithm: alg,
    keys: {
      privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']),
      publicKey: await webcrypto.subtle.importKey('spki', spki, alg, true, ['verify']),
    },
  });
  await rejectsWith(csr.toString('pem'), /RSA key of 1024 bits is too small/);
});
