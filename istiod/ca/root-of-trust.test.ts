// Unit tests for where the CA comes from: a new root stored once and reused, a lost create race,
// Istio's cacerts layout, and broken secrets failing loudly with the key and the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CertificateAuthority } from '../../pkg/tls/authority';
import { makeTestCa } from '../../pkg/tls/test-pki';
import { memoryKube } from '../kube/memory-kube';
import { memoryLogger } from '../../pkg/log/logger';
import { loadRootOfTrust, type RootOfTrustOptions } from './root-of-trust';

const opts = (): RootOfTrustOptions => ({ namespace: 'istio-system', trustDomain: 'cluster.local', rootTtlSeconds: 86400 * 365, logger: memoryLogger() });

test('a new root is stored in istio-ca-secret and reused on the next start', async () => {
  const kube = memoryKube();
  const first = await loadRootOfTrust(kube, opts());
  assert.equal(first.source, 'created');
  const stored = kube.secrets.get('istio-system/istio-ca-secret');
  assert.equal(stored?.type, 'istio.io/ca-root');
  assert.equal(stored?.data['ca-cert.pem'], first.ca.signingCertPem);
  const second = await loadRootOfTrust(kube, opts());
  assert.equal(second.source, 'istio-ca-secret');
  assert.equal(second.ca.rootsPem, first.ca.rootsPem);
});

test('losing the create race uses the winner\'s root', async () => {
  const kube = memoryKube();
  const theirs = await CertificateAuthority.createRoot({ trustDomain: 'cluster.local', ttlSeconds: 86400 });
  kube.beforeCreateSecret = (s) => {
    kube.beforeCreateSecret = undefined;
    kube.secrets.set('istio-system/istio-ca-secret', { ...s, data: { 'ca-cert.pem': theirs.signingCertPem, 'ca-key.pem': theirs.signingKey.pem } });
  };
  const root = await loadRootOfTrust(kube, opts());
  assert.equal(root.source, 'istio-ca-secret');
  assert.equal(root.ca.rootsPem, theirs.rootsPem);
});

test('cacerts wins over istio-ca-secret and keeps the intermediate in the chain', async () => {
  const kube = memoryKube();
  await loadRootOfTrust(kube, opts());
  const userRoot = await makeTestCa('root', 'ec-p256');
  const inter = await makeTestCa('inter', 'ec-p256', userRoot);
  kube.secrets.set('istio-system/cacerts', {
    namespace: 'istio-system', name: 'cacerts',
    data: { 'ca-cert.pem': inter.certPem, 'ca-key.pem': inter.keyLegacyPem, 'root-cert.pem': userRoot.certPem, 'cert-chain.pem': inter.certPem + userRoot.certPem },
  });
  const root = await loadRootOfTrust(kube, opts());
  assert.equal(root.source, 'cacerts');
  assert.equal(root.ca.rootsPem, userRoot.certPem);
  assert.deepEqual(root.ca.chainPem, [inter.certPem]);
});

test('broken secrets stop start-up, naming the secret, the key and the reason', async () => {
  const userRoot = await makeTestCa('root', 'ec-p256');
  const inter = await makeTestCa('inter', 'ec-p256', userRoot);
  const other = await makeTestCa('other', 'ec-p256');
  const good = { 'ca-cert.pem': inter.certPem, 'ca-key.pem': inter.key.pem, 'root-cert.pem': userRoot.certPem, 'cert-chain.pem': inter.certPem + userRoot.certPem };
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['missing key', { ...good, 'ca-key.pem': '' }, /Secret istio-system\/cacerts key ca-key\.pem: is missing or empty/],
    ['garbage key', { ...good, 'ca-key.pem': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, /key ca-key\.pem: the private key cannot be read/],
    ['no certificate', { ...good, 'ca-cert.pem': 'hello' }, /key ca-cert\.pem: holds no PEM certificate/],
    ['two certificates', { ...good, 'ca-cert.pem': inter.certPem + userRoot.certPem }, /key ca-cert\.pem: must hold exactly 1 certificate, found 2/],
    ['unparseable certificate', { ...good, 'root-cert.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, /key root-cert\.pem: certificate #1 cannot be parsed/],
    ['chain not starting with ca-cert', { ...good, 'cert-chain.pem': userRoot.certPem }, /key cert-chain\.pem: must start with the certificate in ca-cert\.pem/],
    ['key of another CA', { ...good, 'ca-key.pem': other.key.pem }, /Secret istio-system\/cacerts: not a usable CA .*does not match/],
    ['wrong root', { ...good, 'root-cert.pem': other.certPem, 'cert-chain.pem': inter.certPem }, /Secret istio-system\/cacerts: not a usable CA/],
  ];
  for (const [name, data, message] of cases) {
    const kube = memoryKube();
    kube.secrets.set('istio-system/cacerts', { namespace: 'istio-system', name: 'cacerts', data });
    await assert.rejects(loadRootOfTrust(kube, opts()), message, name);
    assert.equal(kube.secrets.has('istio-system/istio-ca-secret'), false, `${name}: no fall-back root`);
  }
  const kube = memoryKube();
  kube.secrets.set('istio-system/istio-ca-secret', { namespace: 'istio-system', name: 'istio-ca-secret', data: { 'ca-cert.pem': inter.certPem } });
  await assert.rejects(loadRootOfTrust(kube, opts()), /Secret istio-system\/istio-ca-secret key ca-key\.pem: is missing/);
  assert.equal(kube.secrets.get('istio-system/istio-ca-secret')?.data['ca-key.pem'], undefined, 'a broken stored root is never overwritten');
});
