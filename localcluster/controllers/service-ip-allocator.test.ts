// ClusterIP allocation as a user sees it: Services get distinct addresses from the Service CIDR,
// requested addresses are checked, and a ClusterIP cannot be changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../apiserver/registry';
import { Store } from '../apiserver/store';
import { KubeObject } from '../apiserver/types';
import { parseCidr } from './ip-range';
import { rec } from './object-access';
import { resolveTypes } from './resource-types';
import { installServiceIpAllocator } from './service-ip-allocator';
import { errorOf, SERVICE_CIDR, testCluster } from './test-fixtures';

const svc = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

test('the Service CIDR must be a network inside 198.18.0.0/15', () => {
  assert.equal(parseCidr('198.19.0.0/17').size, 32768);
  assert.throws(() => parseCidr('198.20.0.0/16'), /198\.18\.0\.0\/15/);
  assert.throws(() => parseCidr('198.19.0.1/17'), /network address/);
});

test('Services get distinct ClusterIPs; taken, reserved or out-of-range requests are refused with 422', async (t) => {
  const c = await testCluster();
  t.after(() => c.stop());
  await c.idle();
  const ip = (name: string): unknown => rec(c.store.get(c.types.services, 'default', name).spec).clusterIP;
  assert.equal(ip('kubernetes'), '198.19.0.1');
  const a = c.store.create(c.types.services, svc('a'));
  c.store.create(c.types.services, svc('b'));
  assert.equal(ip('a'), '198.19.0.2');
  assert.equal(ip('b'), '198.19.0.3');
  assert.deepEqual(rec(a.spec).clusterIPs, ['198.19.0.2']);
  assert.deepEqual(rec(a.spec).ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
  assert.equal(rec(a.spec).type, 'ClusterIP');

  const taken = errorOf(() => c.store.create(c.types.services, svc('c', { clusterIP: '198.19.0.2' })));
  assert.equal(taken?.code, 422);
  assert.equal(taken?.details?.causes?.[0].field, 'spec.clusterIP');
  assert.match(taken?.message ?? '', /provided IP is already allocated/);
  const outside = errorOf(() => c.store.create(c.types.services, svc('c', { clusterIP: '198.19.200.1' })));
  assert.equal(outside?.code, 422);
  assert.match(outside?.message ?? '', /not in the valid range/);
  assert.equal(errorOf(() => c.store.create(c.types.services, svc('c', { clusterIP: '198.19.0.1' })))?.code, 422);
  c.store.create(c.types.services, svc('c', { clusterIP: '198.19.0.50' }));
  assert.equal(ip('c'), '198.19.0.50');
  c.store.create(c.types.services, svc('h', { clusterIP: 'None' }));
  assert.equal(ip('h'), 'None');

  const changed = structuredClone(c.store.get(c.types.services, 'default', 'a')) as KubeObject;
  rec(changed.spec).clusterIP = '198.19.0.9';
  const immutable = errorOf(() => c.store.update(c.types.services, changed));
  assert.equal(immutable?.code, 422);
  assert.match(immutable?.message ?? '', /spec\.clusterIP: Invalid value: field is immutable/);

  const omitted = structuredClone(c.store.get(c.types.services, 'default', 'a')) as KubeObject;
  delete rec(omitted.spec).clusterIP;
  delete rec(omitted.spec).clusterIPs;
  rec(omitted.spec).ports = [{ port: 81 }];
  c.store.update(c.types.services, omitted);
  assert.equal(ip('a'), '198.19.0.2', 'an update without clusterIP keeps it');

  c.store.delete(c.types.services, 'default', 'a');
  c.store.create(c.types.services, svc('d'));
  assert.equal(ip('d'), '198.19.0.2', 'a deleted Service frees its address');
});

test('installing the allocator twice is harmless; a different CIDR is refused', async () => {
  const store = await Store.open({});
  const registry = new Registry();
  installServiceIpAllocator(store, registry, SERVICE_CIDR);
  installServiceIpAllocator(store, registry, SERVICE_CIDR);
  assert.throws(() => installServiceIpAllocator(store, registry, '198.19.128.0/17'));
  const { types } = resolveTypes(registry);
  store.create(types.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const created = store.create(types.services, svc('x'));
  assert.equal(rec(created.spec).clusterIP, '198.19.0.2');
});
