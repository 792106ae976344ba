// The state store as ztunnel's xDS client drives it: whole pushes applied or rejected, every index
// kept in step, versions for reconnects, listeners told once per push.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADDRESS_TYPE_URL, type XdsResource } from '../../pkg/xds/types';
import { memoryLogger } from '../../pkg/log/logger';
import { joinProblems } from './decode-push';
import { StateStore } from './store';
import { garbage, resource, service, workload } from './test-resources';

function push(store: StateStore, resources: XdsResource[], removed: string[] = []) {
  return store.addressHandler.apply({ resources, removed });
}

const cart1 = workload('cart-1', { addresses: ['198.18.1.5'], serviceAccount: 'cart', services: { 'shop/cart.shop.svc.cluster.local': [{ servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' }] } });
const cart2 = workload('cart-2', { addresses: ['198.18.2.7'], node: 'node2', services: { 'shop/cart.shop.svc.cluster.local': [{ servicePort: 80, targetPort: 9090, appProtocol: 'TCP' }] } });
const cartSvc = service('cart', { addresses: [{ network: '', address: '198.19.0.10' }] });

test('a push is applied whole: every index answers and the version moves once', () => {
  const store = new StateStore();
  const seen: number[] = [];
  store.onChange((v) => seen.push(v));
  assert.equal(store.addressHandler.typeUrl, ADDRESS_TYPE_URL);
  assert.deepEqual(push(store, [resource(cart2, 'v1'), resource(cart1, 'v1'), resource(cartSvc, 'v7')]), { ok: true });
  assert.equal(store.version, 1);
  assert.deepEqual(seen, [1]);
  assert.equal(store.workloadByUid(cart1.uid)?.name, 'cart-1');
  assert.equal(store.workloadByAddress('198.18.1.5')?.uid, cart1.uid);
  assert.equal(store.workloadByAddress('::ffff:198.18.1.5')?.uid, cart1.uid, 'IPv4-mapped form');
  assert.equal(store.workloadByAddress('198.18.9.9'), undefined);
  assert.equal(store.serviceByVip('198.19.0.10')?.name, 'cart');
  assert.equal(store.serviceByKey('shop/cart.shop.svc.cluster.local')?.hostname, 'cart.shop.svc.cluster.local');
  const endpoints = store.endpointsOf('shop/cart.shop.svc.cluster.local');
  assert.deepEqual(endpoints.map((e) => [e.workload.name, e.ports[0]?.targetPort]), [['cart-1', 8080], ['cart-2', 9090]]);
  assert.deepEqual(store.workloadsOnNode('node1').map((w) => w.name), ['cart-1']);
  assert.deepEqual(store.workloadsOnNode('node2').map((w) => w.name), ['cart-2']);
  assert.deepEqual(store.allWorkloads().map((w) => w.name), ['cart-1', 'cart-2']);
  assert.deepEqual(store.allServices().map((s) => s.name), ['cart']);
  assert.deepEqual([...store.versions()].sort(), [[cart1.uid, 'v1'], [cart2.uid, 'v1'], ['shop/cart.shop.svc.cluster.local', 'v7']]);
  assert.deepEqual(store.addressHandler.versions(), store.versions());
});

test('a push with any bad resource is rejected whole, names every problem, and changes nothing', () => {
  const store = new StateStore();
  push(store, [resource(cart1, 'v1')]);
  let notified = 0;
  store.onChange(() => notified++);
  const moved = workload('cart-1', { addresses: ['198.18.1.99'] });
  const result = push(store, [
    resource(moved, 'v2'),
    garbage('Kubernetes//Pod/shop/broken'),
    resource(workload('web-1'), 'v1', 'Kubernetes//Pod/shop/not-web-1'),
    resource(service('web'), 'v1', 'shop/wrong-host'),
    { ...resource(workload('x')), resource: { typeUrl: 'type.googleapis.com/other', value: Buffer.alloc(0) } },
  ], [cart1.uid]);
  assert.equal(result.ok, false);
  const error = result.ok ? '' : result.error;
  assert.match(error, /"Kubernetes\/\/Pod\/shop\/broken": /);
  assert.match(error, /"Kubernetes\/\/Pod\/shop\/not-web-1": the resource name does not match its workload \(expected "Kubernetes\/\/Pod\/shop\/web-1"\)/);
  assert.match(error, /"shop\/wrong-host": the resource name does not match its service/);
  assert.match(error, /type "type.googleapis.com\/other" is not/);
  assert.match(error, /"Kubernetes\/\/Pod\/shop\/cart-1": both updated and removed/);
  assert.equal(error.split('; ').length, 5);
  // Untouched: the old address still answers, the new one does not, version and versions unchanged.
  assert.equal(store.version, 1);
  assert.equal(notified, 0);
  assert.equal(store.workloadByAddress('198.18.1.5')?.uid, cart1.uid);
  assert.equal(store.workloadByAddress('198.18.1.99'), undefined);
  assert.deepEqual([...store.versions()], [[cart1.uid, 'v1']]);
});

test('a resource sent twice in one push is refused', () => {
  const store = new StateStore();
  const result = push(store, [resource(cart1, 'a'), resource(cart1, 'b')]);
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.error, /sent twice/);
  assert.equal(store.workloadByUid(cart1.uid), undefined);
});

test('updates re-index: changed addresses, services and node are followed', () => {
  const store = new StateStore();
  push(store, [resource(cart1, 'v1'), resource(cartSvc, 'v1')]);
  const moved = workload('cart-1', { addresses: ['198.18.1.6'], node: 'node3', services: { 'shop/other.shop.svc.cluster.local': [] } });
  push(store, [resource(moved, 'v2'), resource(service('cart', { addresses: [{ network: '', address: '198.19.0.11' }] }), 'v2')]);
  assert.equal(store.workloadByAddress('198.18.1.5'), undefined);
  assert.equal(store.workloadByAddress('198.18.1.6')?.node, 'node3');
  assert.deepEqual(store.workloadsOnNode('node1'), []);
  assert.deepEqual(store.workloadsOnNode('node3').map((w) => w.name), ['cart-1']);
  assert.deepEqual(store.endpointsOf('shop/cart.shop.svc.cluster.local'), []);
  assert.deepEqual(store.endpointsOf('shop/other.shop.svc.cluster.local').map((e) => e.workload.name), ['cart-1']);
  assert.equal(store.serviceByVip('198.19.0.10'), undefined);
  assert.equal(store.serviceByVip('198.19.0.11')?.name, 'cart');
  assert.equal(store.versions().get(cart1.uid), 'v2');
});

test('an IP taken over by a new workload belongs to the newer one until that one goes', () => {
  const store = new StateStore();
  const oldPod = workload('old', { addresses: ['198.18.1.5'] });
  const newPod = workload('new', { addresses: ['198.18.1.5'] });
  push(store, [resource(oldPod)]);
  push(store, [resource(newPod)]);
  assert.equal(store.workloadByAddress('198.18.1.5')?.name, 'new');
  // The old pod's removal must not take the new pod's entry with it.
  push(store, [], [oldPod.uid]);
  assert.equal(store.workloadByAddress('198.18.1.5')?.name, 'new');
  // And in the other order: the newer one removed first uncovers the older claim.
  push(store, [resource(oldPod)]);
  assert.equal(store.workloadByAddress('198.18.1.5')?.name, 'old', 'the most recently applied claim wins');
  push(store, [], [oldPod.uid]);
  assert.equal(store.workloadByAddress('198.18.1.5')?.name, 'new');
  push(store, [], [newPod.uid]);
  assert.equal(store.workloadByAddress('198.18.1.5'), undefined);
});

test('a VIP moving between services follows the same rule', () => {
  const store = new StateStore();
  const a = service('a', { addresses: [{ network: '', address: '198.19.0.5' }] });
  const b = service('b', { addresses: [{ network: '', address: '198.19.0.5' }] });
  push(store, [resource(a), resource(b)]);
  assert.equal(store.serviceByVip('198.19.0.5')?.name, 'b');
  push(store, [], ['shop/b.shop.svc.cluster.local']);
  assert.equal(store.serviceByVip('198.19.0.5')?.name, 'a');
});

test('removals: unknown names are fine, endpoints and node lists shrink, versions forget', () => {
  const store = new StateStore();
  push(store, [resource(cart1), resource(cart2), resource(cartSvc)]);
  assert.deepEqual(push(store, [], ['Kubernetes//Pod/shop/never-seen', cart2.uid, 'shop/cart.shop.svc.cluster.local']), { ok: true });
  assert.equal(store.version, 2);
  assert.deepEqual(store.endpointsOf('shop/cart.shop.svc.cluster.local').map((e) => e.workload.name), ['cart-1']);
  assert.deepEqual(store.workloadsOnNode('node2'), []);
  assert.equal(store.serviceByKey('shop/cart.shop.svc.cluster.local'), undefined);
  assert.deepEqual([...store.versions().keys()], [cart1.uid]);
});

test('endpoints of a service that has not arrived yet are still listed', () => {
  const store = new StateStore();
  push(store, [resource(cart1)]);
  assert.deepEqual(store.endpointsOf('shop/cart.shop.svc.cluster.local').map((e) => e.workload.name), ['cart-1']);
});

test('listeners: once per push, unsubscribe works, a throwing listener does not stop the push', () => {
  const logger = memoryLogger();
  const store = new StateStore({ logger });
  const seen: number[] = [];
  store.onChange(() => {
    throw new Error('listener bug');
  });
  const off = store.onChange((v) => seen.push(v));
  assert.deepEqual(push(store, [resource(cart1)]), { ok: true });
  off();
  push(store, [resource(cart2)]);
  assert.deepEqual(seen, [1]);
  assert.equal(store.version, 2);
  assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes('listener bug')));
});

test('views are stable between pushes and immutable', () => {
  const store = new StateStore();
  push(store, [resource(cart1), resource(cart2)]);
  assert.equal(store.allWorkloads(), store.allWorkloads());
  assert.ok(Object.isFrozen(store.allWorkloads()));
  assert.ok(Object.isFrozen(store.workloadsOnNode('node1')));
  assert.ok(Object.isFrozen(store.endpointsOf('shop/cart.shop.svc.cluster.local')));
});

test('NACK messages stay bounded', () => {
  const problems = Array.from({ length: 500 }, (_, i) => `"Kubernetes//Pod/shop/p${i}": address: malformed protobuf`);
  const message = joinProblems(problems, 1000);
  assert.ok(message.length <= 1000, `length ${message.length}`);
  assert.match(message, /; \.\.\. and \d+ more$/);
  assert.equal(joinProblems(['a', 'b']), 'a; b');
  const store = new StateStore();
  const result = push(store, Array.from({ length: 2000 }, (_, i) => garbage(`Kubernetes//Pod/shop/p${i}`)));
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.error.length <= 4096);
});
