// What every cluster has: the `kubernetes` Service at the first Service address with a slice
// naming the API server, and a `default` ServiceAccount in every namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rec, records } from './object-access';
import { testCluster } from './test-fixtures';

test('the kubernetes Service and its EndpointSlice exist and come back when deleted', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  await c.idle();
  const svc = c.store.get(c.types.services, 'default', 'kubernetes');
  const spec = rec(svc.spec);
  assert.equal(spec.clusterIP, '198.19.0.1');
  assert.equal(spec.selector, undefined);
  assert.deepEqual(spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
  const slice = c.store.get(c.types.endpointSlices, 'default', 'kubernetes');
  assert.equal(slice.metadata.labels?.['kubernetes.io/service-name'], 'kubernetes');
  assert.deepEqual(records(slice.endpoints).map((e) => e.addresses), [['198.18.0.1']]);
  assert.deepEqual(slice.ports, [{ name: 'https', port: 6443, protocol: 'TCP' }]);
  const ep = c.store.get(c.types.endpoints, 'default', 'kubernetes');
  assert.deepEqual(records(ep.subsets)[0].addresses, [{ ip: '198.18.0.1' }]);

  c.store.delete(c.types.services, 'default', 'kubernetes');
  c.store.delete(c.types.endpointSlices, 'default', 'kubernetes');
  await c.idle();
  assert.equal(rec(c.store.get(c.types.services, 'default', 'kubernetes').spec).clusterIP, '198.19.0.1');
  assert.ok(c.store.tryGet(c.types.endpointSlices, 'default', 'kubernetes'));
  assert.ok(c.store.tryGet(c.types.endpoints, 'default', 'kubernetes'));
});

test('every namespace gets a default ServiceAccount, recreated when deleted', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  c.store.create(c.types.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  await c.idle();
  assert.ok(c.store.tryGet(c.types.serviceAccounts, 'default', 'default'));
  const first = c.store.get(c.types.serviceAccounts, 'shop', 'default');
  c.store.delete(c.types.serviceAccounts, 'shop', 'default');
  await c.idle();
  const again = c.store.get(c.types.serviceAccounts, 'shop', 'default');
  assert.notEqual(again.metadata.uid, first.metadata.uid);
  c.store.delete(c.types.namespaces, undefined, 'shop');
  await c.idle();
  assert.equal(c.store.tryGet(c.types.namespaces, undefined, 'shop'), undefined);
});
