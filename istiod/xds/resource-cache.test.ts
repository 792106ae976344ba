// Unit tests for the encoded Address cache: versions are content hashes (stable across a restart,
// changed only by a content change), aliases, only named entries re-encoded, removals, and an
// address that cannot be encoded keeps its previous version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAddress } from '../../pkg/api/workload-codec';
import type { Address, Workload } from '../../pkg/api/workload-types';
import { AddressResourceCache, addressAliases, resourceVersion } from './resource-cache';

function workload(name: string, ip: string, extra: Partial<Workload> = {}): Address {
  return {
    kind: 'workload',
    workload: {
      uid: `Kubernetes//Pod/shop/${name}`, name, namespace: 'shop', addresses: [ip], network: '', tunnelProtocol: 'NONE',
      trustDomain: 'cluster.local', serviceAccount: 'default', node: 'node1', canonicalName: name, canonicalRevision: 'latest',
      workloadType: 'POD', workloadName: name, services: {}, authorizationPolicies: [], status: 'HEALTHY', clusterId: 'Kubernetes', ...extra,
    },
  };
}
const service: Address = {
  kind: 'service',
  service: {
    name: 'web', namespace: 'shop', hostname: 'web.shop.svc.cluster.local', addresses: [{ network: 'net1', address: '198.19.0.10' }],
    ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' }], subjectAltNames: [],
  },
};
const SVC = 'shop/web.shop.svc.cluster.local';

function counting(): { encode: (a: Address) => Buffer; calls: string[] } {
  const calls: string[] = [];
  return { calls, encode: (a) => { calls.push(a.kind === 'workload' ? a.workload.uid : a.service.hostname); return encodeAddress(a); } };
}

test('versions are short content hashes, equal across cache instances (restarts)', () => {
  const current = new Map<string, Address>([['Kubernetes//Pod/shop/a', workload('a', '198.18.1.5')], [SVC, service]]);
  const one = new AddressResourceCache(encodeAddress);
  const two = new AddressResourceCache(encodeAddress);
  assert.deepEqual([...one.update(current, 'all').changed].sort(), ['Kubernetes//Pod/shop/a', SVC]);
  two.update(current, 'all');
  for (const [name, r] of one.resources()) {
    assert.match(r.version, /^[0-9a-f]{16}$/);
    assert.equal(two.resources().get(name)?.version, r.version);
    assert.equal(r.version, resourceVersion(r.bytes));
  }
  assert.deepEqual(one.resources().get('Kubernetes//Pod/shop/a')?.aliases, ['/198.18.1.5']);
  assert.deepEqual(one.resources().get(SVC)?.aliases, ['net1/198.19.0.10']);
  assert.deepEqual(addressAliases(workload('b', 'fd00::5', { network: 'n2' })), ['n2/fd00::5']);
});

test('only the named entries are re-encoded; unchanged content is not reported as changed', () => {
  const { encode, calls } = counting();
  const cache = new AddressResourceCache(encode);
  const current = new Map<string, Address>([['Kubernetes//Pod/shop/a', workload('a', '198.18.1.5')], ['Kubernetes//Pod/shop/b', workload('b', '198.18.1.6')]]);
  cache.update(current, 'all');
  calls.length = 0;
  const before = cache.resources().get('Kubernetes//Pod/shop/a')!.version;
  assert.equal(cache.update(current, ['Kubernetes//Pod/shop/a']).changed.size, 0, 'same content, same version');
  current.set('Kubernetes//Pod/shop/a', workload('a', '198.18.1.5', { tunnelProtocol: 'HBONE' }));
  const changed = cache.update(current, ['Kubernetes//Pod/shop/a']).changed;
  assert.deepEqual([...changed], ['Kubernetes//Pod/shop/a']);
  assert.notEqual(cache.resources().get('Kubernetes//Pod/shop/a')!.version, before);
  assert.deepEqual(calls, ['Kubernetes//Pod/shop/a', 'Kubernetes//Pod/shop/a']);
  current.delete('Kubernetes//Pod/shop/b');
  assert.deepEqual([...cache.update(current, ['Kubernetes//Pod/shop/b', 'never-existed']).changed], ['Kubernetes//Pod/shop/b']);
  assert.equal(cache.resources().has('Kubernetes//Pod/shop/b'), false);
});

test('an address that cannot be encoded is reported and keeps its previous version', () => {
  const cache = new AddressResourceCache(encodeAddress);
  const current = new Map<string, Address>([['Kubernetes//Pod/shop/a', workload('a', '198.18.1.5')]]);
  cache.update(current, 'all');
  const version = cache.resources().get('Kubernetes//Pod/shop/a')!.version;
  current.set('Kubernetes//Pod/shop/a', workload('a', 'not-an-ip'));
  const update = cache.update(current, ['Kubernetes//Pod/shop/a']);
  assert.equal(update.changed.size, 0);
  assert.equal(update.failed.length, 1);
  assert.match(update.failed[0]!.error, /not-an-ip/);
  assert.equal(cache.resources().get('Kubernetes//Pod/shop/a')!.version, version);
  current.set('wrong-key', workload('c', '198.18.1.7'));
  assert.match(cache.update(current, ['wrong-key']).failed[0]!.error, /xDS name/);
});
