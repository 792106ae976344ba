import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import type { WaypointConfig } from '../../pkg/api/waypoint-types';
import { memoryLogger } from '../../pkg/log/logger';
import { memoryMeshKube, type MemoryMeshKube } from '../kube/memory-kube';
import type { WaypointDirectory, WaypointGateway } from '../waypoint/types';
import { pod, service } from './test-fixtures';
import { startWaypointConfigIndex } from './waypoint-config-index';

interface MapDirectory extends WaypointDirectory {
  set(g: WaypointGateway): void;
  remove(key: string): void;
}

function mapDirectory(...initial: WaypointGateway[]): MapDirectory {
  const map = new Map(initial.map((g) => [`${g.namespace}/${g.name}`, g]));
  const listeners = new Set<(keys: ReadonlySet<string>) => void>();
  const notify = (key: string): void => { for (const l of listeners) l(new Set([key])); };
  return {
    synced: Promise.resolve(),
    gateways: () => map,
    onChange: (l) => { listeners.add(l); return () => { listeners.delete(l); }; },
    stop: async () => undefined,
    set: (g) => { map.set(`${g.namespace}/${g.name}`, g); notify(`${g.namespace}/${g.name}`); },
    remove: (key) => { map.delete(key); notify(key); },
  };
}

const gateway = (namespace: string, name: string): WaypointGateway => ({
  namespace, name, uid: `uid-${name}`, generation: 1, waypointFor: 'service', ready: true, problems: [],
});

const http = [{ name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' }];

function cluster(): MemoryMeshKube {
  const kube = memoryMeshKube();
  kube.setNamespace({ name: 'shop', labels: { 'istio.io/use-waypoint': 'waypoint' } });
  kube.setService(service('shop', 'reviews', { selector: { app: 'reviews' }, ports: http }));
  kube.setService(service('shop', 'reviews-v1', { selector: { app: 'reviews', version: 'v1' }, ports: http }));
  kube.setService(service('shop', 'reviews-v2', { selector: { app: 'reviews', version: 'v2' }, ports: http }));
  kube.setService(service('shop', 'ratings', { selector: { app: 'ratings' }, ports: http }));
  return kube;
}

const canary = {
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute',
  metadata: { namespace: 'shop', name: 'reviews', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }],
    rules: [{ backendRefs: [{ name: 'reviews-v1', port: 9080, weight: 90 }, { name: 'reviews-v2', port: 9080, weight: 10 }] }],
  },
};

/** Waits (event-loop turns, no clock) until `ok()` holds. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (ok()) return;
    await tick();
  }
  assert.fail(`never happened: ${what}`);
}

function routesOf(config: WaypointConfig | undefined, service: string): { name: string; backends: string[] }[] {
  const port = config?.services.find((s) => s.key === `shop/${service}.shop.svc.cluster.local`)?.ports[0];
  return (port?.routes ?? []).map((r) => ({ name: r.name, backends: r.backends.map((b) => `${b.backend}=${b.weight}`) }));
}

test('a Service bound by namespace label gets an HTTPRoute\'s 90/10 split, its status once, and the default back on delete', async () => {
  const kube = cluster();
  const logger = memoryLogger();
  const index = startWaypointConfigIndex({ kube, directory: mapDirectory(gateway('shop', 'waypoint')), settings: { clusterId: 'Kubernetes', clusterDomain: 'cluster.local' }, logger });
  try {
    await index.synced;
    const config = (): WaypointConfig | undefined => index.current().get('shop/waypoint');
    assert.deepEqual(routesOf(config(), 'reviews'), [{ name: 'default', backends: ['shop/reviews.shop.svc.cluster.local:9080=1'] }]);
    const changes: string[][] = [];
    index.onChange((names) => changes.push([...names]));

    kube.setObject('HTTPRoute', canary);
    await until(() => routesOf(config(), 'reviews').length === 2, 'the HTTPRoute applied');
    assert.deepEqual(routesOf(config(), 'reviews'), [
      { name: 'HTTPRoute shop/reviews rule 0', backends: ['shop/reviews-v1.shop.svc.cluster.local:9080=90', 'shop/reviews-v2.shop.svc.cluster.local:9080=10'] },
      { name: 'no route matched', backends: [] },
    ]);
    assert.deepEqual(changes, [['shop/waypoint']]);

    const writes = (): number => kube.objectStatusWrites.filter((w) => w.kind === 'HTTPRoute').length;
    await until(() => writes() === 1, 'the status written');
    const stored = kube.getObject('HTTPRoute', 'shop', 'reviews')?.object as { status: { parents: { controllerName: string; conditions: { type: string; status: string; message: string }[] }[] } };
    const parent = stored.status.parents[0];
    assert.equal(parent?.controllerName, 'istio.io/mesh-controller');
    assert.deepEqual(parent?.conditions.map((c) => [c.type, c.status]), [['Accepted', 'True'], ['ResolvedRefs', 'True']]);
    assert.equal(parent?.conditions[0]?.message, 'Applied by waypoint shop/waypoint on port 9080.');
    // Another Service event re-checks every status: nothing new to write.
    kube.setService(service('shop', 'extra', { ports: http }));
    await until(() => (index.current().get('shop/waypoint')?.services.length ?? 0) === 5, 'the new Service bound');
    for (let i = 0; i < 50; i++) await tick();
    assert.equal(writes(), 1);

    kube.deleteObject('HTTPRoute', 'shop', 'reviews');
    await until(() => routesOf(config(), 'reviews').length === 1, 'the HTTPRoute removed');
    assert.deepEqual(routesOf(config(), 'reviews'), [{ name: 'default', backends: ['shop/reviews.shop.svc.cluster.local:9080=1'] }]);
    assert.deepEqual(logger.lines.filter((l) => l.startsWith('warn') || l.startsWith('error')), []);
  } finally {
    await index.stop();
  }
});

test('subset workloads follow pod churn; an invalid update is logged and reported while the last valid one stays', async () => {
  const kube = cluster();
  kube.setObject('DestinationRule', {
    apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { namespace: 'shop', name: 'ratings' },
    spec: { host: 'ratings', subsets: [{ name: 'v2', labels: { version: 'v2' } }] },
  });
  const vs = (timeout: string): Record<string, unknown> => ({
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { namespace: 'shop', name: 'ratings' },
    spec: { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratings', subset: 'v2' } }], timeout }] },
  });
  kube.setObject('VirtualService', vs('2s'));
  const logger = memoryLogger();
  const index = startWaypointConfigIndex({ kube, directory: mapDirectory(gateway('shop', 'waypoint')), settings: { clusterId: 'c1', clusterDomain: 'cluster.local' }, logger });
  try {
    await index.synced;
    const subset = (): readonly string[] | undefined => index.current().get('shop/waypoint')?.backends.find((b) => b.subset === 'v2')?.workloadUids;
    assert.deepEqual(subset(), []);
    kube.setPod(pod('shop', 'ratings-v2-a', { labels: { app: 'ratings', version: 'v2' } }));
    kube.setPod(pod('shop', 'ratings-v1-a', { labels: { app: 'ratings', version: 'v1' } }));
    await until(() => subset()?.length === 1, 'the v2 pod in the subset');
    assert.deepEqual(subset(), ['c1//Pod/shop/ratings-v2-a']);
    kube.deletePod('shop', 'ratings-v2-a');
    await until(() => subset()?.length === 0, 'the v2 pod gone from the subset');

    kube.setObject('VirtualService', vs('later'));
    const accepted = (): { status: string; message: string } | undefined => {
      const o = kube.getObject('VirtualService', 'shop', 'ratings')?.object as { status?: { conditions?: { type: string; status: string; message: string; observedGeneration: number }[] } };
      return o.status?.conditions?.find((c) => c.type === 'Accepted' && c.observedGeneration === 2);
    };
    await until(() => accepted() !== undefined, 'the rejection reported');
    assert.equal(accepted()?.status, 'False');
    assert.match(accepted()?.message ?? '', /spec\.http\[0\]\.timeout: "later" is not a duration.*The last valid version \(generation 1\) stays in force\./);
    assert.equal(logger.lines.filter((l) => l.includes('VirtualService shop/ratings (generation 2) rejected')).length, 1);
    const route = index.current().get('shop/waypoint')?.services.find((s) => s.key.startsWith('shop/ratings.'))?.ports[0]?.routes[0];
    assert.equal(route?.timeoutMs, 2000);
  } finally {
    await index.stop();
  }
});

test('a waypoint that goes away is reported and removed; one that appears is built', async () => {
  const kube = cluster();
  const directory = mapDirectory(gateway('shop', 'waypoint'));
  const index = startWaypointConfigIndex({ kube, directory, settings: { clusterId: 'Kubernetes', clusterDomain: 'cluster.local' }, logger: memoryLogger(), writeStatus: false });
  try {
    await index.synced;
    const changes: string[][] = [];
    index.onChange((names) => changes.push([...names].sort()));
    directory.set(gateway('other', 'wp'));
    directory.remove('shop/waypoint');
    assert.deepEqual([...index.current().keys()], ['other/wp']);
    assert.deepEqual(index.current().get('other/wp')?.services, []);
    assert.deepEqual(changes, [['other/wp'], ['shop/waypoint']]);
    assert.equal(kube.objectStatusWrites.length, 0);
  } finally {
    await index.stop();
  }
});

test('security: targetRefs policies reach only their waypoint, PATH_NORMALIZATION is in every config, RequestAuthentication status is written', async () => {
  const kube = cluster();
  kube.setNamespace({ name: 'books', labels: {} });
  kube.setService(service('books', 'catalog', { labels: { 'istio.io/use-waypoint': 'wp' }, selector: { app: 'catalog' }, ports: http }));
  const logger = memoryLogger();
  const index = startWaypointConfigIndex({
    kube, directory: mapDirectory(gateway('shop', 'waypoint'), gateway('books', 'wp')), logger,
    settings: { clusterId: 'Kubernetes', clusterDomain: 'cluster.local', pathNormalization: 'MERGE_SLASHES', rootNamespace: 'istio-system', trustDomain: 'cluster.local' },
  });
  try {
    await index.synced;
    const security = (name: string): WaypointConfig['security'] => index.current().get(name)?.security;
    assert.deepEqual(security('shop/waypoint'), { pathNormalization: 'MERGE_SLASHES', authorization: [], authentication: [] });
    assert.deepEqual(security('books/wp'), { pathNormalization: 'MERGE_SLASHES', authorization: [], authentication: [] });
    const changes: string[][] = [];
    index.onChange((names) => changes.push([...names]));

    kube.setObject('AuthorizationPolicy', {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { namespace: 'books', name: 'no-delete' },
      spec: { targetRefs: [{ kind: 'Service', group: '', name: 'catalog' }], action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] },
    });
    await until(() => (security('books/wp')?.authorization.length ?? 0) === 1, 'the policy in books/wp');
    assert.deepEqual(security('books/wp')?.authorization[0]?.targets, { all: false, services: ['books/catalog.books.svc.cluster.local'] });
    assert.deepEqual(changes, [['books/wp']]);
    assert.deepEqual(security('shop/waypoint')?.authorization, []);

    const ra = (jwtRule: Record<string, unknown>): Record<string, unknown> => ({
      apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { namespace: 'shop', name: 'jwt' },
      spec: { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }], jwtRules: [jwtRule] },
    });
    type Conditions = { type: string; status: string; message: string; observedGeneration: number }[];
    const conditions = (): Conditions | undefined =>
      (kube.getObject('RequestAuthentication', 'shop', 'jwt')?.object as { status?: { conditions?: Conditions } } | undefined)?.status?.conditions;
    kube.setObject('RequestAuthentication', ra({ issuer: 'https://issuer.example', jwksUri: 'http://localhost/keys' }));
    await until(() => conditions() !== undefined, 'the rejection written to status');
    assert.deepEqual(conditions()?.map((c) => [c.type, c.status, c.observedGeneration]), [['Accepted', 'False', 1]]);
    assert.match(conditions()?.[0]?.message ?? '', /jwksUri/);
    assert.equal(logger.lines.filter((l) => l.includes('RequestAuthentication shop/jwt (generation 1) rejected')).length, 1);
    assert.deepEqual(security('shop/waypoint')?.authentication, [], 'never valid: not sent');

    kube.setObject('RequestAuthentication', ra({ issuer: 'https://issuer.example', jwksUri: 'https://issuer.example/keys' }));
    await until(() => conditions()?.[0]?.status === 'True', 'the fixed version accepted');
    await until(() => (security('shop/waypoint')?.authentication.length ?? 0) === 1, 'the JWT rules sent');
    assert.deepEqual(security('shop/waypoint')?.authentication[0]?.targets, { all: true, services: [] });
    const writes = (): number => kube.objectStatusWrites.filter((w) => w.kind === 'RequestAuthentication').length;
    for (let i = 0; i < 50; i++) await tick();
    assert.equal(writes(), 2, 'a status write coming back as an event writes nothing more');
    assert.equal(kube.objectStatusWrites.filter((w) => w.kind === 'AuthorizationPolicy').length, 0, 'AuthorizationPolicy status belongs to the policy index');
    assert.deepEqual(logger.lines.filter((l) => l.startsWith('error')), []);
  } finally {
    await index.stop();
  }
});
