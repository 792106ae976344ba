// WaypointStore: pushes applied whole or rejected whole (the last good state stays), what an
// authority resolves to, and the endpoints of a backend (target ports, subsets, health).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendName } from '../../pkg/api/waypoint-types';
import { WAYPOINT_CONFIG_TYPE_URL } from '../../pkg/xds/types';
import { WaypointStore } from './store';
import {
  addressResource, backend, boundService, configResource, garbage, portRoutes, rawConfigResource, route, service, serviceKey, waypointConfig, workload,
} from './test-resources';

const REVIEWS = serviceKey('reviews');
const RATINGS = serviceKey('ratings');
const reviewsSvc = service('reviews', { addresses: [{ network: '', address: '198.19.0.10' }], ports: [{ servicePort: 9080, targetPort: 9080, appProtocol: 'HTTP11' }] });
const ratingsSvc = service('ratings', { addresses: [{ network: '', address: '198.19.0.11' }] });
const v1 = workload('reviews-v1', { addresses: ['198.18.1.5'], serviceAccount: 'reviews', canonicalName: 'reviews', canonicalRevision: 'v1', services: { [REVIEWS]: [{ servicePort: 9080, targetPort: 9081, appProtocol: 'HTTP11' }] } });
const v2 = workload('reviews-v2', { addresses: ['198.18.2.5'], serviceAccount: 'reviews', canonicalName: 'reviews', canonicalRevision: 'v2', status: 'UNHEALTHY', services: { [REVIEWS]: [] } });
const v3 = workload('reviews-v3', { addresses: ['198.18.2.6'], services: { [REVIEWS]: [{ servicePort: 9080, targetPort: 0, appProtocol: 'HTTP11' }] } });
const ratings1 = workload('ratings-1', { addresses: ['198.18.1.7'], tunnelProtocol: 'NONE', services: { [RATINGS]: [{ servicePort: 80, targetPort: 8080, appProtocol: 'GRPC' }] } });

const config = waypointConfig({
  services: [boundService(REVIEWS, [portRoutes(REVIEWS, 9080, [route('HTTPRoute shop/reviews rule 0', [{ backend: backendName(REVIEWS, 9080, 'v1'), weight: 1 }])])])],
  workloads: [ratings1.uid],
  backends: [backend(REVIEWS, 9080), backend(REVIEWS, 9080, { subset: 'v1', workloadUids: [v1.uid] })],
});

function loaded(): WaypointStore {
  const store = new WaypointStore({ configName: 'shop/waypoint' });
  assert.deepEqual(store.addressHandler.apply({ resources: [reviewsSvc, ratingsSvc, v1, v2, v3, ratings1].map((v) => addressResource(v)), removed: [] }), { ok: true });
  assert.deepEqual(store.configHandler.apply({ resources: [configResource(config)], removed: [] }), { ok: true });
  return store;
}

test('nothing is bound before the first WaypointConfig', () => {
  const store = new WaypointStore({ configName: 'shop/waypoint' });
  store.addressHandler.apply({ resources: [addressResource(reviewsSvc)], removed: [] });
  assert.equal(store.config(), undefined);
  assert.equal(store.resolveTarget('198.19.0.10', 9080), undefined);
});

test('a bound Service port resolves by VIP and by hostname, with its routes', () => {
  const store = loaded();
  const byVip = store.resolveTarget('198.19.0.10', 9080);
  assert.equal(byVip?.kind, 'service');
  assert.ok(byVip?.kind === 'service');
  assert.equal(byVip.serviceKey, REVIEWS);
  assert.equal(byVip.serviceName, 'reviews');
  assert.equal(byVip.serviceNamespace, 'shop');
  assert.equal(byVip.hostname, 'reviews.shop.svc.cluster.local');
  assert.equal(byVip.routes.routes[0]?.name, 'HTTPRoute shop/reviews rule 0');
  assert.deepEqual(store.resolveTarget('reviews.shop.svc.cluster.local', 9080), byVip);
  assert.deepEqual(store.resolveTarget('::ffff:198.19.0.10', 9080), byVip);
});

test('unbound authorities resolve to nothing', () => {
  const store = loaded();
  assert.equal(store.resolveTarget('198.19.0.10', 80), undefined, 'a port of the Service that is not bound');
  assert.equal(store.resolveTarget('198.19.0.11', 80), undefined, 'a Service that is not bound');
  assert.equal(store.resolveTarget('ratings.shop.svc.cluster.local', 80), undefined);
  assert.equal(store.resolveTarget('198.18.1.5', 9081), undefined, 'a pod IP whose workload is not bound');
  assert.equal(store.resolveTarget('203.0.113.9', 80), undefined, 'an unknown address');
});

test('a bound workload resolves by pod IP with the protocol of its port', () => {
  const target = loaded().resolveTarget('198.18.1.7', 8080);
  assert.ok(target?.kind === 'workload');
  assert.equal(target.protocol, 'GRPC');
  assert.equal(target.port, 8080);
  assert.equal(target.endpoint.uid, ratings1.uid);
  assert.equal(target.endpoint.tunnel, 'NONE');
  assert.equal(target.endpoint.targetPort, 8080);
});

test('endpoints: target port from the mapping or the Service, 0 skipped, health and identity kept', () => {
  const store = loaded();
  const all = store.endpoints(store.backend(backendName(REVIEWS, 9080)) ?? assert.fail('backend'));
  assert.deepEqual(all.map((e) => [e.uid, e.ip, e.targetPort, e.healthy]), [
    [v1.uid, '198.18.1.5', 9081, true],
    [v2.uid, '198.18.2.5', 9080, false],
  ]);
  assert.equal(all[0]?.identity, 'spiffe://cluster.local/ns/shop/sa/reviews');
  assert.equal(all[0]?.canonicalRevision, 'v1');
  assert.equal(all[0]?.tunnel, 'HBONE');
  const subset = store.endpoints(store.backend(backendName(REVIEWS, 9080, 'v1')) ?? assert.fail('subset backend'));
  assert.deepEqual(subset.map((e) => e.uid), [v1.uid]);
});

test('endpoints follow address pushes', () => {
  const store = loaded();
  const b = store.backend(backendName(REVIEWS, 9080)) ?? assert.fail('backend');
  assert.equal(store.endpoints(b).length, 2);
  store.addressHandler.apply({ resources: [], removed: [v2.uid] });
  assert.deepEqual(store.endpoints(b).map((e) => e.uid), [v1.uid]);
});

test('an Address push with any bad resource is rejected whole, naming every problem', () => {
  const store = loaded();
  const fresh = workload('reviews-v4', { addresses: ['198.18.2.9'], services: { [REVIEWS]: [] } });
  const result = store.addressHandler.apply({
    resources: [addressResource(fresh), garbage('Kubernetes//Pod/shop/broken'), addressResource(v1, '2', 'wrong-name')],
    removed: [],
  });
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.match(result.error, /Kubernetes\/\/Pod\/shop\/broken/);
  assert.match(result.error, /"wrong-name": the resource name does not match its workload/);
  assert.equal(store.workloadByUid(fresh.uid), undefined, 'nothing of the push was applied');
  assert.equal(store.endpoints(store.backend(backendName(REVIEWS, 9080)) ?? assert.fail('backend')).length, 2);
});

test('an invalid WaypointConfig is NACKed and the last good one stays', () => {
  const store = loaded();
  const broken = rawConfigResource('shop/waypoint', {
    namespace: 'shop', name: 'waypoint', waypointFor: 'service',
    services: [{ key: RATINGS, ports: [{ port: 80, protocol: 1, defaultBackend: 'no-such-backend' }] }],
  }, '2');
  const result = store.configHandler.apply({ resources: [broken], removed: [] });
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.match(result.error, /"shop\/waypoint": .*no-such-backend/);
  assert.equal(store.config()?.services[0]?.key, REVIEWS);
  assert.equal(store.configHandler.versions().get('shop/waypoint'), '1');
  assert.ok(store.resolveTarget('198.19.0.10', 9080));
});

test('a config named for another waypoint is ignored; the config must carry its own name', () => {
  const store = loaded();
  const other = waypointConfig({ name: 'other' });
  assert.deepEqual(store.configHandler.apply({ resources: [configResource(other, '7')], removed: [] }), { ok: true });
  assert.equal(store.config()?.name, 'waypoint');
  const misnamed = store.configHandler.apply({ resources: [configResource(other, '8', 'shop/waypoint')], removed: [] });
  assert.equal(misnamed.ok, false);
  assert.deepEqual(store.configHandler.resourceNames, ['shop/waypoint']);
  assert.equal(store.configHandler.typeUrl, WAYPOINT_CONFIG_TYPE_URL);
});

test('removing the config unbinds everything; listeners hear of every applied push once', () => {
  const store = loaded();
  let calls = 0;
  const off = store.onChange(() => calls++);
  store.configHandler.apply({ resources: [], removed: ['shop/waypoint'] });
  assert.equal(calls, 1);
  assert.equal(store.config(), undefined);
  assert.equal(store.resolveTarget('198.19.0.10', 9080), undefined);
  store.addressHandler.apply({ resources: [garbage('x')], removed: [] });
  assert.equal(calls, 1, 'a rejected push changes nothing');
  off();
  store.configHandler.apply({ resources: [configResource(config, '3')], removed: [] });
  assert.equal(calls, 1);
  assert.ok(store.resolveTarget('198.19.0.10', 9080));
});
