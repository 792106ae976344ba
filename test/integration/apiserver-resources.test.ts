// What the API server adds around the store, as a client sees it: discovery and OpenAPI,
// built-in defaults, CRD lifecycle (Established, served, objects deleted with it), list paging,
// dryRun, delete and deletecollection answers, and JSON answers to protobuf-preferring clients.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest, startTestApiServer, TestApiServer } from '../../localcluster/apiserver/test-support';

let server: TestApiServer;
before(async () => { server = await startTestApiServer(); });
after(async () => { await server.dispose(); });

type Json = Record<string, unknown> & { metadata?: { name?: string; labels?: Record<string, string>; continue?: string } };
const get = async (path: string): Promise<Json> => {
  const r = await apiRequest(server, 'GET', path);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.body as Json;
};
const post = async (path: string, body: unknown, code = 201): Promise<Json> => {
  const r = await apiRequest(server, 'POST', path, { body });
  assert.equal(r.status, code, `${path}: ${r.text}`);
  return r.body as Json;
};

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
    versions: [{
      name: 'v1', served: true, storage: true, subresources: { status: {} },
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
    }],
  },
};

test('discovery lists groups and resources, including status subresources', async () => {
  const core = await get('/api/v1');
  const names = (core.resources as { name: string }[]).map((r) => r.name);
  for (const n of ['pods', 'pods/status', 'namespaces', 'serviceaccounts/token', 'configmaps']) assert.ok(names.includes(n), n);
  const groups = (await get('/apis')).groups as { name: string }[];
  assert.ok(groups.some((g) => g.name === 'apps'));
  const apps = (await get('/apis/apps/v1')).resources as { name: string; shortNames?: string[]; namespaced: boolean }[];
  assert.deepEqual(apps.find((r) => r.name === 'deployments')?.shortNames, ['deploy']);
  assert.equal(((await get('/api')).versions as string[])[0], 'v1');
});

test('OpenAPI v3: an index entry per group-version and documents declaring fieldValidation', async () => {
  const index = (await get('/openapi/v3')).paths as Record<string, { serverRelativeURL: string }>;
  const url = index['api/v1'].serverRelativeURL;
  assert.match(url, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]+$/);
  const doc = await get(url);
  const post = (doc.paths as Record<string, { post?: { parameters: { name: string }[]; 'x-kubernetes-group-version-kind': unknown } }>)['/api/v1/namespaces/{namespace}/configmaps'].post;
  assert.ok(post?.parameters.some((p) => p.name === 'fieldValidation'));
  assert.deepEqual(post?.['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'ConfigMap' });
});

test('a CRD becomes Established, is served and discoverable, and takes its objects when deleted', async () => {
  const crd = await post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd);
  const conditions = (crd.status as { conditions: { type: string; status: string }[] }).conditions;
  assert.deepEqual(conditions.map((c) => `${c.type}=${c.status}`).sort(), ['Established=True', 'NamesAccepted=True']);
  const before = (await get('/openapi/v3')).paths as Record<string, { serverRelativeURL: string }>;
  assert.ok(before['apis/example.com/v1']);
  await post('/apis/example.com/v1/namespaces/default/widgets', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3, colour: 'red' } });
  const w = await get('/apis/example.com/v1/namespaces/default/widgets/w');
  assert.deepEqual(w.spec, { size: 3 }, 'undeclared fields are pruned');
  const wrongType = await apiRequest(server, 'POST', '/apis/example.com/v1/namespaces/default/widgets', { body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' }, spec: { size: 'big' } } });
  assert.equal(wrongType.status, 422);
  const smp = await apiRequest(server, 'PATCH', '/apis/example.com/v1/namespaces/default/widgets/w', { body: {}, contentType: 'application/strategic-merge-patch+json' });
  assert.equal(smp.status, 415);
  assert.ok(((await get('/apis/example.com/v1')).resources as { name: string }[]).some((r) => r.name === 'widgets/status'));
  assert.equal((await apiRequest(server, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status, 200);
  assert.equal((await apiRequest(server, 'GET', '/apis/example.com/v1/namespaces/default/widgets/w')).status, 404);
  await post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd);
  assert.deepEqual((await get('/apis/example.com/v1/widgets')).items, [], 'objects went with the CRD');
});

test('built-in defaults: namespace, pod, service, deployment, secret', async () => {
  const ns = await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'defaults' } });
  assert.equal(ns.metadata?.labels?.['kubernetes.io/metadata.name'], 'defaults');
  assert.equal((ns.status as { phase: string }).phase, 'Active');
  const pod = await post('/api/v1/namespaces/defaults/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  assert.equal((pod.spec as { serviceAccountName: string }).serviceAccountName, 'default');
  assert.equal((pod.spec as { restartPolicy: string }).restartPolicy, 'Always');
  assert.equal((pod.status as { phase: string }).phase, 'Pending');
  const svc = await post('/api/v1/namespaces/defaults/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'a' }, ports: [{ port: 80 }] } });
  assert.deepEqual(svc.spec, { selector: { app: 'a' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], type: 'ClusterIP', sessionAffinity: 'None' });
  const deploy = await post('/apis/apps/v1/namespaces/defaults/deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [] } } },
  });
  assert.equal((deploy.spec as { replicas: number }).replicas, 1);
  const secret = await post('/api/v1/namespaces/defaults/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'YQ==' }, stringData: { b: 'b' } });
  assert.deepEqual(secret.data, { a: 'YQ==', b: 'Yg==' });
  assert.equal(secret.stringData, undefined);
});

test('lists page with limit/continue and filter by label and field selectors', async () => {
  for (const name of ['a', 'b', 'c']) await post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `page-${name}`, labels: { page: name } } });
  const first = await get('/api/v1/namespaces/default/configmaps?labelSelector=page&limit=2');
  assert.deepEqual((first.items as Json[]).map((o) => o.metadata?.name), ['page-a', 'page-b']);
  const token = (first.metadata as { continue: string }).continue;
  const rest = await get(`/api/v1/namespaces/default/configmaps?labelSelector=page&limit=2&continue=${token}`);
  assert.deepEqual((rest.items as Json[]).map((o) => o.metadata?.name), ['page-c']);
  assert.equal((rest.metadata as { continue?: string }).continue, undefined);
  const byField = await get('/api/v1/configmaps?fieldSelector=metadata.name%3Dpage-b');
  assert.deepEqual((byField.items as Json[]).map((o) => o.metadata?.name), ['page-b']);
  const notA = await get('/api/v1/namespaces/default/configmaps?labelSelector=page%20notin%20(a)');
  assert.deepEqual((notA.items as Json[]).map((o) => o.metadata?.name), ['page-b', 'page-c']);
});

test('dryRun validates without storing; delete answers; deletecollection by selector', async () => {
  const dry = await post('/api/v1/namespaces/default/configmaps?dryRun=All', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } });
  assert.equal(dry.metadata?.name, 'dry');
  assert.equal((await apiRequest(server, 'GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  const deleted = await apiRequest(server, 'DELETE', '/api/v1/namespaces/default/configmaps/page-a', { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
  assert.deepEqual([deleted.status, (deleted.body as Json).status], [200, 'Success']);
  const stale = await apiRequest(server, 'DELETE', '/api/v1/namespaces/default/configmaps/page-b', { body: { preconditions: { resourceVersion: '1' } } });
  assert.equal(stale.status, 409);
  const all = await apiRequest(server, 'DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=page');
  assert.deepEqual(((all.body as Json).items as Json[]).map((o) => o.metadata?.name), ['page-b', 'page-c']);
  assert.deepEqual((await get('/api/v1/namespaces/default/configmaps?labelSelector=page')).items, []);
});

test('a protobuf-preferring client gets JSON', async () => {
  const r = await apiRequest(server, 'GET', '/api/v1/namespaces/default', { headers: { Accept: 'application/vnd.kubernetes.protobuf, */*' } });
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  assert.equal((r.body as Json).kind, 'Namespace');
});
