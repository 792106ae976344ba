// Store semantics a client of the API sees: uids and resourceVersions, conflicts, status
// subresource, watches that resume or answer 410, namespace and owner cascades, restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from './errors';
import { Registry } from './registry';
import { Store, StoreEvent } from './store';
import { KubeObject } from './types';

const reg = new Registry();
const NS = reg.find('', 'namespaces')!;
const PODS = reg.find('', 'pods')!;
const CM = reg.find('', 'configmaps')!;
const DEPLOY = reg.find('apps', 'deployments')!;

const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) }, data });

async function fresh(file?: string): Promise<Store> {
  const s = await Store.open({ file, historySize: 10 });
  if (!s.tryGet(NS, undefined, 'default')) s.create(NS, ns('default'));
  return s;
}

function code(fn: () => unknown): number {
  try { fn(); } catch (e) { if (e instanceof ApiError) return e.code; throw e; }
  return 0;
}

test('create assigns uid, resourceVersion, timestamps; duplicates and bad names are refused', async () => {
  const s = await fresh();
  const a = s.create(CM, cm('a', { k: 'v' }));
  assert.match(a.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.ok(Number(a.metadata.resourceVersion) > 0);
  assert.equal(code(() => s.create(CM, cm('a'))), 409);
  assert.equal(code(() => s.create(CM, cm('Bad_Name'))), 422);
  assert.equal(code(() => s.create(CM, { ...cm('x'), metadata: { name: 'x', namespace: 'nope' } })), 404);
  const g = s.create(CM, { ...cm(''), metadata: { generateName: 'gen-', namespace: 'default' } });
  assert.match(g.metadata.name!, /^gen-[a-z0-9]{5}$/);
  assert.throws(() => { (a.data as Record<string, string>).k = 'mutated'; }, TypeError);
});

test('update: stale resourceVersion conflicts, no-op keeps the version, generation follows spec', async () => {
  const s = await fresh();
  const a = s.create(DEPLOY, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: { replicas: 1 } });
  const b = s.update(DEPLOY, { ...structuredClone(a), spec: { replicas: 2 } });
  assert.equal(b.metadata.generation, 2);
  assert.equal(code(() => s.update(DEPLOY, { ...structuredClone(a), spec: { replicas: 3 } })), 409);
  assert.equal(s.update(DEPLOY, structuredClone(b)).metadata.resourceVersion, b.metadata.resourceVersion);
  const withStatus = s.update(DEPLOY, { ...structuredClone(b), status: { replicas: 9 } }, { subresource: 'status' });
  assert.deepEqual(withStatus.status, { replicas: 9 });
  assert.equal(withStatus.metadata.generation, 2);
  const main = s.update(DEPLOY, { ...structuredClone(withStatus), status: { replicas: 0 } });
  assert.deepEqual(main.status, { replicas: 9 }, 'a main-resource update does not change status');
});

test('watch resumes from a resourceVersion, filters, and answers 410 past the history', async () => {
  const s = await fresh();
  const start = s.resourceVersion();
  const seen: StoreEvent[] = [];
  const stop = s.watch(CM, { resourceVersion: start, predicate: (o) => o.metadata.labels?.app === 'x' }, (e) => seen.push(e));
  const a = s.create(CM, cm('w', {}, { app: 'x' }));
  const a2 = s.update(CM, { ...structuredClone(a), metadata: { ...structuredClone(a.metadata), labels: { app: 'y' } } });
  s.update(CM, { ...structuredClone(a2), metadata: { ...structuredClone(a2.metadata), labels: { app: 'x' } } });
  s.delete(CM, 'default', 'w');
  stop();
  assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'DELETED', 'ADDED', 'DELETED']);
  for (let i = 0; i < 12; i++) s.create(CM, cm(`n${i}`));
  assert.equal(code(() => s.watch(CM, { resourceVersion: start }, () => undefined)), 410);
});

test('deleting a namespace removes its objects; deleting an owner removes dependents', async () => {
  const s = await fresh();
  s.create(NS, ns('shop'));
  s.create(CM, { ...cm('c'), metadata: { name: 'c', namespace: 'shop' } });
  s.delete(NS, undefined, 'shop');
  assert.equal(s.tryGet(NS, undefined, 'shop'), undefined);
  assert.equal(s.tryGet(CM, 'shop', 'c'), undefined);
  const d = s.create(DEPLOY, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'o', namespace: 'default' }, spec: {} });
  s.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'o', uid: d.metadata.uid! }] }, spec: {} });
  s.delete(DEPLOY, 'default', 'o');
  assert.equal(s.tryGet(PODS, 'default', 'p'), undefined);
});

test('finalizers hold an object until they are removed', async () => {
  const s = await fresh();
  const a = s.create(CM, { ...cm('f'), metadata: { name: 'f', namespace: 'default', finalizers: ['x/y'] } });
  const marked = s.delete(CM, 'default', 'f');
  assert.ok(marked.metadata.deletionTimestamp);
  assert.ok(s.tryGet(CM, 'default', 'f'));
  s.update(CM, { ...structuredClone(marked), metadata: { ...structuredClone(marked.metadata), finalizers: [] } });
  assert.equal(s.tryGet(CM, 'default', 'f'), undefined);
  assert.ok(a);
});

test('state survives a restart; a torn temp file never replaces the state', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-store-'));
  try {
    const file = join(dir, 'state.json');
    const s1 = await fresh(file);
    const a = s1.create(CM, cm('keep', { k: 'v' }));
    await s1.flush();
    await writeFile(join(dir, '.state.json.1.2.tmp'), '{"torn":');
    const s2 = await Store.open({ file });
    assert.deepEqual(s2.get(CM, 'default', 'keep'), a);
    assert.equal(s2.resourceVersion(), s1.resourceVersion());
    assert.equal(code(() => s2.watch(CM, { resourceVersion: '1' }, () => undefined)), 410);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
