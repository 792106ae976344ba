// Which identities need certificates on a node: local, ambient, distinct, valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import { localIdentities } from './local-identities';
import { StateStore } from './store';
import { resource, workload } from './test-resources';

test('local HBONE workloads only, one entry per identity, sorted', () => {
  const store = new StateStore();
  const result = store.addressHandler.apply({
    resources: [
      resource(workload('web-1', { serviceAccount: 'web' })),
      resource(workload('web-2', { serviceAccount: 'web' })),
      resource(workload('cart-1', { serviceAccount: 'cart', trustDomain: 'example.org' })),
      resource(workload('legacy-1', { serviceAccount: 'legacy', tunnelProtocol: 'NONE' })),
      resource(workload('far-1', { serviceAccount: 'far', node: 'node2' })),
    ],
    removed: [],
  });
  assert.deepEqual(result, { ok: true });
  const { identities, invalid } = localIdentities(store, 'node1');
  assert.deepEqual(identities.map(formatSpiffeId), ['spiffe://cluster.local/ns/shop/sa/web', 'spiffe://example.org/ns/shop/sa/cart']);
  assert.deepEqual(invalid, []);
  assert.deepEqual(localIdentities(store, 'node3').identities, []);
});
