// Unit tests for the root ConfigMap publisher over an in-memory API: every namespace gets it,
// new namespaces too, deleted or altered copies are put back, other labels are kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryKube } from '../kube/memory-kube';
import { memoryLogger } from '../../pkg/log/logger';
import { startRootPublisher } from './root-publisher';

const ROOT = '-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n';

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('publishes, re-creates and repairs istio-ca-root-cert', async () => {
  const kube = memoryKube();
  kube.addNamespace('default');
  kube.addNamespace('shop');
  kube.configMaps.set('shop/istio-ca-root-cert', {
    namespace: 'shop', name: 'istio-ca-root-cert', labels: { team: 'a' }, data: { 'root-cert.pem': 'stale' }, resourceVersion: '1',
  });
  const publisher = startRootPublisher(kube, { rootsPem: ROOT, logger: memoryLogger() });
  const root = (ns: string) => kube.configMaps.get(`${ns}/istio-ca-root-cert`);
  try {
    await publisher.synced;
    await until('both namespaces', () => root('default')?.data['root-cert.pem'] === ROOT && root('shop')?.data['root-cert.pem'] === ROOT);
    assert.deepEqual(root('shop')?.labels, { team: 'a', 'istio.io/config': 'true' });
    assert.deepEqual(root('default')?.labels, { 'istio.io/config': 'true' });

    kube.addNamespace('late');
    await until('the new namespace', () => root('late')?.data['root-cert.pem'] === ROOT);

    kube.deleteConfigMap('default', 'istio-ca-root-cert');
    await until('the deleted copy', () => root('default')?.data['root-cert.pem'] === ROOT);

    await kube.replaceConfigMap({ ...root('late')!, data: { 'root-cert.pem': 'tampered' } });
    await until('the altered copy', () => root('late')?.data['root-cert.pem'] === ROOT);
  } finally {
    await publisher.stop();
  }
});
