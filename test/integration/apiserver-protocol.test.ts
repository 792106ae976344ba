// The API server as a Kubernetes client sees it: @kubernetes/client-node informers (events,
// label selectors, relisting after a 410), optimistic concurrency, the four patch kinds, the
// status subresource, Status bodies for invalid objects, restarts, and TokenRequest/TokenReview.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiRequest, ClientNode, eventually, kubeConfigFor, loadClientNode, rawWatch, startTestApiServer, TestApiServer,
} from '../../localcluster/apiserver/test-support';
import { startApiServer } from '../../localcluster/apiserver/server';

let k8s: ClientNode;
let server: TestApiServer;

before(async () => {
  k8s = await loadClientNode();
  server = await startTestApiServer({ historySize: 5 });
});
after(async () => { await server.dispose(); });

type Meta = { name?: string; resourceVersion?: string; labels?: Record<string, string> };
type Obj = { metadata: Meta; [k: string]: unknown };
const cmPath = (ns: string, name = ''): string => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): unknown =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data });

async function namespace(name: string): Promise<void> {
  const r = await apiRequest(server, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  assert.equal(r.status, 201, r.text);
}

/**
 * A started informer on ConfigMaps of `ns` plus the names it reported, by event. `cache` is the
 * informer's object cache (a ListWatch); with a label selector the informer comes from makeInformer.
 */
async function configMapInformer(ns: string, labelSelector?: string) {
  const kc = kubeConfigFor(k8s, server);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const list = () => core.listNamespacedConfigMap({ namespace: ns, labelSelector });
  const cache = new k8s.ListWatch(cmPath(ns), new k8s.Watch(kc), list, false);
  const informer = labelSelector ? k8s.makeInformer(kc, cmPath(ns), list, labelSelector) : cache;
  const seen = { add: [] as string[], update: [] as string[], delete: [] as string[], errors: [] as unknown[] };
  informer.on('add', (o) => seen.add.push(o.metadata?.name ?? ''));
  informer.on('update', (o) => seen.update.push(o.metadata?.name ?? ''));
  informer.on('delete', (o) => seen.delete.push(o.metadata?.name ?? ''));
  informer.on('error', (e) => seen.errors.push(e));
  await informer.start();
  return { informer, cache, seen };
}

test('informers see adds, updates and deletes, and honour a label selector', async () => {
  await namespace('inf');
  const all = await configMapInformer('inf');
  const selected = await configMapInformer('inf', 'app=a');
  try {
    assert.equal((await apiRequest(server, 'POST', cmPath('inf'), { body: configMap('one', { k: '1' }, { app: 'a' }) })).status, 201);
    assert.equal((await apiRequest(server, 'POST', cmPath('inf'), { body: configMap('two', { k: '1' }, { app: 'b' }) })).status, 201);
    await eventually('adds', () => all.seen.add.length === 2 && selected.seen.add.length === 1);
    const patched = await apiRequest(server, 'PATCH', cmPath('inf', 'one'), { body: { data: { k: '2' } }, contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200, patched.text);
    await eventually('update', () => all.seen.update.includes('one') && selected.seen.update.includes('one'));
    assert.equal((await apiRequest(server, 'DELETE', cmPath('inf', 'one'))).status, 200);
    await eventually('delete', () => all.seen.delete.includes('one') && selected.seen.delete.includes('one'));
    assert.deepEqual(selected.seen.add, ['one'], 'the selector informer never saw the app=b object');
    assert.deepEqual(all.cache.list('inf').map((o) => o.metadata?.name), ['two']);
    assert.deepEqual([...all.seen.errors, ...selected.seen.errors], []);
  } finally {
    await all.informer.stop();
    await selected.informer.stop();
  }
});

test('a watch resumed past the history gets a 410 ERROR event and an informer relists', async () => {
  await namespace('relist');
  const { informer, cache, seen } = await configMapInformer('relist');
  try {
    await apiRequest(server, 'POST', cmPath('relist'), { body: configMap('first', {}) });
    await eventually('first add', () => seen.add.includes('first'));
    const oldRv = server.store.resourceVersion();
    // Drop the informer's watch and, before it reconnects, change more than the history holds.
    server.closeWatches();
    const cmType = server.registry.find('', 'configmaps')!;
    for (let i = 0; i < 12; i++) {
      server.store.create(cmType, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `burst-${i}`, namespace: 'relist' } });
    }
    const { events } = rawWatch(server, `${cmPath('relist')}?resourceVersion=${oldRv}`, 1);
    const [expired] = await events;
    assert.equal(expired.type, 'ERROR');
    assert.equal(expired.object.code, 410);
    await eventually('relist with the burst', () => cache.list('relist').length === 13);
    await apiRequest(server, 'POST', cmPath('relist'), { body: configMap('after', {}) });
    await eventually('watching again after the relist', () => seen.add.includes('after'));
    assert.deepEqual(seen.errors, []);
  } finally {
    await informer.stop();
  }
});

test('watch bookmarks carry the current resourceVersion', async () => {
  const bookmarking = await startTestApiServer({ watch: { bookmarkIntervalMs: 50 } });
  try {
    const { events } = rawWatch(bookmarking, '/api/v1/namespaces?allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan', 6);
    const got = await events;
    const initialEnd = got.find((e) => e.type === 'BOOKMARK' && e.object.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true');
    assert.ok(initialEnd, JSON.stringify(got.map((e) => e.type)));
    assert.equal(got.filter((e) => e.type === 'ADDED').length, 4, 'the four bootstrap namespaces');
    assert.ok(got.slice(5).every((e) => e.type === 'BOOKMARK' && e.object.metadata?.resourceVersion === bookmarking.store.resourceVersion()));
  } finally {
    await bookmarking.dispose();
  }
});

test('two updates from the same resourceVersion: one wins, the other gets 409', async () => {
  const created = await apiRequest(server, 'POST', cmPath('default'), { body: configMap('race', { v: '0' }) });
  const base = created.body as Obj;
  const put = (v: string) => apiRequest(server, 'PUT', cmPath('default', 'race'), { body: { ...base, data: { v } } });
  const results = await Promise.all([put('a'), put('b')]);
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
  const loser = results.find((r) => r.status === 409)!.body as { reason: string; message: string };
  assert.equal(loser.reason, 'Conflict');
  assert.match(loser.message, /the object has been modified/);
});

test('merge, JSON, strategic-merge and apply patches', async () => {
  const deploy = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'a:1' }, { name: 'side', image: 's:1' }] } } },
  };
  const path = '/apis/apps/v1/namespaces/default/deployments/web';
  assert.equal((await apiRequest(server, 'POST', '/apis/apps/v1/namespaces/default/deployments', { body: deploy })).status, 201);
  const smp = await apiRequest(server, 'PATCH', path, { contentType: 'application/strategic-merge-patch+json',
    body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'a:2' }] } } } } });
  assert.equal(smp.status, 200, smp.text);
  const containers = (smp.body as { spec: { template: { spec: { containers: { name: string; image: string }[] } } } }).spec.template.spec.containers;
  assert.deepEqual(containers.map((c) => `${c.name}=${c.image}`), ['app=a:2', 'side=s:1'], 'containers merge by name');

  const merge = await apiRequest(server, 'PATCH', path, { contentType: 'application/merge-patch+json', body: { spec: { replicas: 3 } } });
  assert.equal((merge.body as { spec: { replicas: number } }).spec.replicas, 3);
  const json = await apiRequest(server, 'PATCH', path, { contentType: 'application/json-patch+json',
    body: [{ op: 'replace', path: '/spec/replicas', value: 2 }, { op: 'add', path: '/metadata/labels', value: { tier: 'front' } }] });
  assert.equal(json.status, 200, json.text);
  assert.deepEqual((json.body as Obj).metadata.labels, { tier: 'front' });

  const applyPath = cmPath('default', 'applied');
  const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: "1"\n';
  const first = await apiRequest(server, 'PATCH', `${applyPath}?fieldManager=test&force=true`, { body: yaml, contentType: 'application/apply-patch+yaml' });
  assert.equal(first.status, 201, first.text);
  const second = await apiRequest(server, 'PATCH', `${applyPath}?fieldManager=test`, { body: yaml.replace('"1"', '"2"'), contentType: 'application/apply-patch+yaml' });
  assert.deepEqual((second.body as { data: unknown }).data, { a: '2' });

  const bad = await apiRequest(server, 'PATCH', path, { contentType: 'application/json-patch+json', body: [{ op: 'remove', path: '/spec/nope' }] });
  assert.equal(bad.status, 422);
  assert.equal((bad.body as { kind: string }).kind, 'Status');
});

test('the status subresource changes only status; the main resource keeps it', async () => {
  const base = '/apis/apps/v1/namespaces/default/deployments/web';
  const put = await apiRequest(server, 'PATCH', `${base}/status`, { contentType: 'application/merge-patch+json', body: { status: { readyReplicas: 2 }, spec: { replicas: 9 } } });
  assert.equal(put.status, 200, put.text);
  const got = (await apiRequest(server, 'GET', base)).body as { spec: { replicas: number }; status: { readyReplicas: number } };
  assert.equal(got.status.readyReplicas, 2);
  assert.equal(got.spec.replicas, 2, 'a status write leaves spec alone');
  const main = await apiRequest(server, 'PATCH', base, { contentType: 'application/merge-patch+json', body: { status: { readyReplicas: 0 } } });
  assert.equal((main.body as typeof got).status.readyReplicas, 2, 'a main-resource write leaves status alone');
  assert.equal((await apiRequest(server, 'GET', `${cmPath('default', 'race')}/status`)).status, 404);
});

test('an invalid name is refused with a 422 Status naming the field', async () => {
  const r = await apiRequest(server, 'POST', cmPath('default'), { body: configMap('Not_Valid', {}) });
  assert.equal(r.status, 422);
  const status = r.body as { kind: string; reason: string; details: { causes: { field: string; message: string }[] } };
  assert.equal(status.kind, 'Status');
  assert.equal(status.reason, 'Invalid');
  assert.equal(status.details.causes[0].field, 'metadata.name');
  assert.match(status.details.causes[0].message, /RFC 1123/);
});

test('TokenRequest and TokenReview: valid, wrong audience, deleted service account', async () => {
  await apiRequest(server, 'POST', '/api/v1/namespaces/default/serviceaccounts', { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } } });
  const issued = await apiRequest(server, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['mesh'], expirationSeconds: 3600 } },
  });
  assert.equal(issued.status, 201, issued.text);
  const token = (issued.body as { status: { token: string } }).status.token;
  const review = async (audiences: string[]) => ((await apiRequest(server, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } },
  })).body as { status: { authenticated: boolean; user?: { username: string }; error?: string } }).status;
  const ok = await review(['mesh']);
  assert.equal(ok.authenticated, true);
  assert.equal(ok.user?.username, 'system:serviceaccount:default:robot');
  assert.equal((await review(['other'])).authenticated, false);
  // A token for the API server's own audience authenticates requests.
  const apiToken = ((await apiRequest(server, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', { body: {} })).body as { status: { token: string } }).status.token;
  assert.equal((await apiRequest(server, 'GET', '/api/v1/namespaces', { token: apiToken })).status, 200);
  assert.equal((await apiRequest(server, 'GET', '/api/v1/namespaces', { token: '' })).status, 401);
  // A token bound to a pod lives only as long as the pod.
  const pod = (await apiRequest(server, 'POST', '/api/v1/namespaces/default/pods', { body: {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'i' }] },
  } })).body as Obj & { metadata: { uid: string } };
  const podToken = ((await apiRequest(server, 'POST', '/api/v1/namespaces/default/serviceaccounts/robot/token', {
    body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'bound', uid: pod.metadata.uid } } },
  })).body as { status: { token: string } }).status.token;
  assert.equal((await apiRequest(server, 'GET', '/api/v1/namespaces', { token: podToken })).status, 200);
  await apiRequest(server, 'DELETE', '/api/v1/namespaces/default/pods/bound');
  assert.equal((await apiRequest(server, 'GET', '/api/v1/namespaces', { token: podToken })).status, 401);

  await apiRequest(server, 'DELETE', '/api/v1/namespaces/default/serviceaccounts/robot');
  const gone = await review(['mesh']);
  assert.equal(gone.authenticated, false);
  assert.match(gone.error ?? '', /no longer exists/);
  assert.equal((await apiRequest(server, 'GET', '/api/v1/namespaces', { token: apiToken })).status, 401);
});

test('a restarted server keeps its objects, CA, admin token and token signing key', async () => {
  const first = await startTestApiServer();
  const dir = first.stateDir;
  try {
    await apiRequest(first, 'POST', cmPath('default'), { body: configMap('kept', { k: 'v' }) });
    await apiRequest(first, 'POST', '/api/v1/namespaces/default/serviceaccounts', { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'keeper' } } });
    const token = ((await apiRequest(first, 'POST', '/api/v1/namespaces/default/serviceaccounts/keeper/token', { body: {} })).body as { status: { token: string } }).status.token;
    await first.close();
    const second = await startApiServer({ stateDir: dir, listen: [{ host: '127.0.0.1', port: 0 }] });
    try {
      assert.equal(second.caPem, first.caPem);
      assert.equal(second.adminToken, first.adminToken);
      const kept = await apiRequest(second, 'GET', cmPath('default', 'kept'));
      assert.deepEqual((kept.body as { data: unknown }).data, { k: 'v' });
      assert.equal((await apiRequest(second, 'GET', '/api/v1/namespaces', { token })).status, 200, 'a token from before the restart');
    } finally {
      await second.close();
    }
  } finally {
    await first.dispose();
  }
});
