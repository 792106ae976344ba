// Failures as a client sees them — every one a Kubernetes Status with the right code — and
// hostile bodies that must be refused without harming the server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { apiRequest, eventually, startTestApiServer, TestApiServer } from '../../localcluster/apiserver/test-support';

let server: TestApiServer;
before(async () => { server = await startTestApiServer(); });
after(async () => { await server.dispose(); });

interface Status { kind: string; code: number; reason: string; message: string; details?: { causes?: { field?: string }[] } }

async function expectStatus(method: string, path: string, code: number, opts: Parameters<typeof apiRequest>[3] = {}): Promise<Status> {
  const r = await apiRequest(server, method, path, opts);
  assert.equal(r.status, code, `${method} ${path}: ${r.text}`);
  const status = r.body as Status;
  assert.equal(status.kind, 'Status');
  assert.equal(status.code, code);
  return status;
}

const cm = (name: string, extra: Record<string, unknown> = {}): unknown => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, ...extra });

test('401 without or with a wrong token; health and version need none', async () => {
  assert.equal((await expectStatus('GET', '/api/v1/namespaces', 401, { token: '' })).reason, 'Unauthorized');
  await expectStatus('GET', '/api/v1/namespaces', 401, { token: 'not-a-token' });
  assert.equal((await apiRequest(server, 'GET', '/healthz', { token: '' })).text, 'ok');
  assert.equal(((await apiRequest(server, 'GET', '/version', { token: '' })).body as { minor: string }).minor, '32');
});

test('404 for unknown types, versions, objects and namespaces', async () => {
  await expectStatus('GET', '/api/v1/widgets', 404);
  await expectStatus('GET', '/apis/apps/v2/deployments', 404);
  await expectStatus('GET', '/api/v1/namespaces/default/nodes', 404);
  const missing = await expectStatus('GET', '/api/v1/namespaces/default/configmaps/nope', 404);
  assert.equal(missing.message, 'configmaps "nope" not found');
  await expectStatus('POST', '/api/v1/namespaces/nowhere/configmaps', 404, { body: cm('x') });
  await expectStatus('GET', '/openapi/v2', 404);
  await expectStatus('GET', '/api/v1/namespaces/%E0%A4%A/configmaps', 404);
});

test('400, 405, 409, 413 and 415', async () => {
  await expectStatus('POST', '/api/v1/namespaces/default/configmaps', 400, { body: '{"kind": ' });
  await expectStatus('POST', '/api/v1/namespaces/default/configmaps', 400, { body: cm('x', { metadata: { name: 'x', namespace: 'other' } }) });
  await expectStatus('GET', '/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(', 400);
  await expectStatus('PUT', '/api/v1/namespaces/default/configmaps', 405, { body: cm('x') });
  await expectStatus('GET', '/apis/authentication.k8s.io/v1/tokenreviews', 405);
  assert.equal((await apiRequest(server, 'POST', '/api/v1/namespaces/default/configmaps', { body: cm('dup') })).status, 201);
  assert.equal((await expectStatus('POST', '/api/v1/namespaces/default/configmaps', 409, { body: cm('dup') })).reason, 'AlreadyExists');
  const big = JSON.stringify(cm('big', { data: { k: 'x'.repeat(4 * 1024 * 1024) } }));
  await expectStatus('POST', '/api/v1/namespaces/default/configmaps', 413, { body: big });
  await expectStatus('POST', '/api/v1/namespaces/default/configmaps', 415, { body: 'x', contentType: 'text/plain' });
  await expectStatus('PATCH', '/api/v1/namespaces/default/configmaps/dup', 415, { body: '{}', contentType: 'application/x-whatever' });
});

test('hostile bodies are refused and the server keeps serving', async () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 12; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  await expectStatus('POST', '/api/v1/namespaces/default/configmaps', 400, { body: bomb.join('\n'), contentType: 'application/yaml' });
  await expectStatus('POST', '/api/v1/namespaces/default/configmaps', 400, { body: `${'['.repeat(5000)}${']'.repeat(5000)}` });
  await expectStatus('PATCH', '/api/v1/namespaces/default/configmaps/dup', 400, { body: '{"data": ', contentType: 'application/merge-patch+json' });
  await apiRequest(server, 'PATCH', '/api/v1/namespaces/default/configmaps/dup', { body: '{"__proto__": {"polluted": true}, "data": {"__proto__": "x"}}', contentType: 'application/merge-patch+json' });
  await expectStatus('POST', '/api/v1/namespaces/default/configmaps', 400, { body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff]), contentType: 'application/vnd.kubernetes.protobuf' });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal((await apiRequest(server, 'GET', '/api/v1/namespaces/default/configmaps/dup')).status, 200);
});

test('fieldValidation: Strict names every unknown field, Warn sends a Warning header', async () => {
  const deploy = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'typo', bogus: 1 },
    spec: { selectr: {}, selector: { matchLabels: { app: 't' } }, template: { metadata: { labels: { app: 't' } }, spec: { containers: [{ name: 'c', imag: 'x' }] } } },
  };
  const strict = await expectStatus('POST', '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict', 422, { body: deploy });
  assert.deepEqual(strict.details?.causes?.map((c) => c.field).sort(), ['.metadata.bogus', '.spec.selectr', '.spec.template.spec.containers[0].imag']);
  const warned = await apiRequest(server, 'POST', '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Warn', { body: deploy });
  assert.equal(warned.status, 201);
  assert.match(String(warned.headers.warning), /unknown field \\"spec.selectr\\"/);
  await expectStatus('POST', '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Maybe', 400, { body: deploy });
});

test('403 when creating in a terminating namespace', async () => {
  await apiRequest(server, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'closing' } } });
  await apiRequest(server, 'POST', '/api/v1/namespaces/closing/configmaps', { body: cm('held', { metadata: { name: 'held', finalizers: ['example.com/hold'] } }) });
  const deleted = await apiRequest(server, 'DELETE', '/api/v1/namespaces/closing');
  assert.equal((deleted.body as { status: { phase: string } }).status.phase, 'Terminating');
  const refused = await expectStatus('POST', '/api/v1/namespaces/closing/configmaps', 403, { body: cm('late') });
  assert.match(refused.message, /being terminated/);
});

test('422 for a workload without a selector or with a template that does not match it', async () => {
  const base = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' } };
  const none = await expectStatus('POST', '/apis/apps/v1/namespaces/default/daemonsets', 422, { body: { ...base, spec: { template: {} } } });
  assert.equal(none.details?.causes?.[0].field, 'spec.selector');
  const mismatch = await expectStatus('POST', '/apis/apps/v1/namespaces/default/daemonsets', 422, {
    body: { ...base, spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } } } } },
  });
  assert.equal(mismatch.details?.causes?.[0].field, 'spec.template.metadata.labels');
});

test('an invalid CRD is refused with 422 naming the field', async () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
    spec: { group: 'example.com', scope: 'Sideways', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true }] },
  };
  const r = await expectStatus('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', 422, { body: crd });
  assert.equal(r.details?.causes?.[0].field, 'spec.scope');
  await expectStatus('GET', '/apis/example.com/v1/widgets', 404);
});

test('a watcher that stops reading is disconnected instead of buffering without bound', async () => {
  const small = await startTestApiServer({ watch: { maxBufferedBytes: 64 * 1024 } });
  try {
    let closed = false;
    let opened = false;
    const req = request(new URL('/api/v1/namespaces/default/configmaps?watch=true', small.urls[0]),
      { headers: { Authorization: `Bearer ${small.adminToken}` }, ca: small.caPem }, (res) => { opened = true; res.pause(); });
    req.on('close', () => { closed = true; });
    req.on('error', () => undefined);
    req.end();
    const cmType = small.registry.find('', 'configmaps')!;
    await eventually('the watch to open', () => opened);
    for (let i = 0; i < 100; i++) {
      small.store.create(cmType, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}`, namespace: 'default' }, data: { v: 'x'.repeat(20_000) } });
    }
    await eventually('the slow watcher to be cut off', () => closed);
    assert.equal((await apiRequest(small, 'GET', '/api/v1/namespaces/default/configmaps?limit=1')).status, 200);
  } finally {
    await small.dispose();
  }
});
