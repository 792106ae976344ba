// `ambit waypoint list`, `status` and `delete` against a real API server: the table with what binds
// to each waypoint (a namespace, a pod, a Service from another namespace), the status report with
// conditions, Deployment readiness, bindings and a warning for a Service bound to a waypoint that
// does not exist, and delete --all with a warning for every binding left behind.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeConfigFor, loadClientNode } from '../localcluster/apiserver/test-support';
import { waypoint } from './waypoint';
import { KubeCallError, waypointApi, type WaypointApi } from './waypoint-kube';
import { GATEWAYS, programmedStatus, startWaypointFixture, type WaypointFixture } from './waypoint-test-support';

let f: WaypointFixture;

const pod = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'app', image: 'ambit/echo' }] },
});
const service = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, labels }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 9080 }] },
});

before(async () => {
  f = await startWaypointFixture();
  await f.namespace('shop', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' });
  await f.namespace('front', { 'istio.io/dataplane-mode': 'ambient' });
  await f.runStrict(['apply', '-n', 'shop', '--for', 'all']);
  await f.runStrict(['apply', '-n', 'front', '--name', 'edge']);
  await f.setStatus(`${GATEWAYS}/namespaces/shop/gateways/waypoint`, programmedStatus('shop', 'waypoint'));
  await f.create(`${GATEWAYS}/namespaces/shop/gateways`, {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'ingress' },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  });
  await f.create('/api/v1/namespaces/shop/pods', pod('ratings-1', { app: 'ratings', 'istio.io/use-waypoint': 'waypoint' }));
  await f.create('/api/v1/namespaces/shop/pods', pod('details-1', { app: 'details', 'istio.io/use-waypoint': 'none' }));
  await f.create('/api/v1/namespaces/shop/services', service('reviews', { 'istio.io/use-waypoint': 'missing' }));
  await f.create('/api/v1/namespaces/front/services', service('web', { 'istio.io/use-waypoint': 'waypoint', 'istio.io/use-waypoint-namespace': 'shop' }));
  const deployment = await f.create('/apis/apps/v1/namespaces/shop/deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'waypoint', labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
    spec: {
      replicas: 2, selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
      template: { metadata: { labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } }, spec: { containers: [{ name: 'istio-proxy', image: 'ambit/waypoint' }] } },
    },
  }) as { metadata: { generation: number } };
  await f.setStatus('/apis/apps/v1/namespaces/shop/deployments/waypoint', { observedGeneration: deployment.metadata.generation, replicas: 2, readyReplicas: 1 });
});
after(() => f.dispose());

test('list shows one namespace\'s waypoints with what binds to them, or every namespace\'s with -A', async () => {
  const one = await f.runStrict(['list', '-n', 'shop']);
  assert.deepEqual(one.out, [
    'NAMESPACE  NAME      FOR  PROGRAMMED  ADDRESS                          BOUND',
    'shop       waypoint  all  True        waypoint.shop.svc.cluster.local  3',
  ]);
  const all = await f.runStrict(['list', '-A']);
  assert.deepEqual(all.out, [
    'NAMESPACE  NAME      FOR      PROGRAMMED  ADDRESS                          BOUND',
    'front      edge      service  -           -                                0',
    'shop       waypoint  all      True        waypoint.shop.svc.cluster.local  3',
  ]);
  assert.deepEqual((await f.runStrict(['list', '-n', 'default'])).out, ['no waypoints in namespace default']);
});

test('status reports conditions, the Deployment, the bindings, and a binding to a missing waypoint', async () => {
  const r = await f.runStrict(['status', '-n', 'shop']);
  assert.equal(r.code, 0);
  assert.deepEqual(r.out, [
    'waypoint shop/waypoint',
    '  for:         all',
    '  address:     waypoint.shop.svc.cluster.local',
    '  deployment shop/waypoint: 1 of 2 replica(s) ready',
    '  conditions:',
    '    Accepted=True (Accepted): Resource accepted',
    '    Programmed=True (Programmed): Resource programmed',
    '  bound (3):',
    '    namespace shop',
    '    service front/web',
    '    pod shop/ratings-1',
    '',
    'warnings:',
    '  service shop/reviews uses waypoint shop/missing, which does not exist: its traffic is refused (fail closed)',
  ]);
});

test('status of a waypoint that is not programmed, and of one that does not exist', async () => {
  const edge = await f.runStrict(['status', '-n', 'front', '--name', 'edge']);
  assert.deepEqual(edge.out, [
    'waypoint front/edge',
    '  for:         service',
    '  address:     none yet',
    '  no waypoint Deployment yet (istiod creates front/edge once it accepts the Gateway)',
    '  conditions:',
    '    no status yet: istiod has not reported on this Gateway (is istiod running? kubectl get pods -n istio-system)',
    '  bound: nothing uses this waypoint',
  ]);
  const missing = await f.runStrict(['status', '-n', 'shop', '--name', 'missing']);
  assert.equal(missing.code, 1);
  assert.deepEqual(missing.out, [
    'waypoint shop/missing does not exist',
    '',
    'warnings:',
    '  service shop/reviews uses waypoint shop/missing, which does not exist: its traffic is refused (fail closed)',
  ]);
  const ingress = await f.runStrict(['status', '-n', 'shop', '--name', 'ingress']);
  assert.equal(ingress.code, 1);
  assert.deepEqual(ingress.out, ['gateway shop/ingress is not a waypoint (gatewayClassName istio)']);
});

test('without permission to list pods cluster-wide, list counts the namespace\'s own bindings and says so', async () => {
  const real = waypointApi(kubeConfigFor(await loadClientNode(), f.server));
  const api: WaypointApi = {
    ...real,
    listLabelled: (kind, namespace, selector) => (kind === 'pod' && namespace === undefined
      ? Promise.reject(new KubeCallError('listing pods failed (HTTP 403): pods is forbidden', 403))
      : real.listLabelled(kind, namespace, selector)),
  };
  const out: string[] = [];
  const err: string[] = [];
  const code = await waypoint(['list', '-n', 'shop'], { out: (l) => out.push(l), err: (l) => err.push(l), env: {} }, api);
  assert.equal(code, 0);
  assert.match(out.join('\n'), /^shop +waypoint +all +True +waypoint\.shop\.svc\.cluster\.local +3$/m, 'the pod in shop is still counted');
  assert.deepEqual(err, ['note: bindings from other namespaces are not shown (listing pods failed (HTTP 403): pods is forbidden)']);
});

test('delete refuses what is not a waypoint or does not exist; --all deletes every waypoint and warns about bindings left', async () => {
  const wrong = await f.runStrict(['delete', '-n', 'shop', 'ingress', 'nope']);
  assert.equal(wrong.code, 1);
  assert.deepEqual(wrong.out, []);
  assert.deepEqual(wrong.err, ['gateway shop/ingress is not a waypoint (gatewayClassName istio): not deleted', 'waypoint shop/nope not found']);

  const r = await f.runStrict(['delete', '-n', 'shop', '--all']);
  assert.equal(r.code, 0);
  assert.deepEqual(r.out, ['waypoint shop/waypoint deleted']);
  assert.deepEqual(r.err, [
    'warning: namespace shop still uses waypoint shop/waypoint: its traffic will be refused (fail closed) until the binding is removed (kubectl label namespace shop istio.io/use-waypoint-) or the waypoint is applied again',
    'warning: service front/web still uses waypoint shop/waypoint: its traffic will be refused (fail closed) until the binding is removed (kubectl label service -n front web istio.io/use-waypoint- istio.io/use-waypoint-namespace-) or the waypoint is applied again',
    'warning: pod shop/ratings-1 still uses waypoint shop/waypoint: its traffic will be refused (fail closed) until the binding is removed (kubectl label pod -n shop ratings-1 istio.io/use-waypoint-) or the waypoint is applied again',
  ]);
  assert.equal(await f.get(`${GATEWAYS}/namespaces/shop/gateways/waypoint`), undefined);
  assert.ok(await f.get(`${GATEWAYS}/namespaces/shop/gateways/ingress`), 'the non-waypoint Gateway stays');
  assert.deepEqual((await f.runStrict(['list', '-n', 'shop'])).out, ['no waypoints in namespace shop']);

  const status = await f.runStrict(['status', '-n', 'shop']);
  assert.equal(status.code, 1);
  assert.ok(status.out.includes('  pod shop/ratings-1 uses waypoint shop/waypoint, which does not exist: its traffic is refused (fail closed)'), status.out.join('\n'));
});
