// The Deployment scale subresource as kubectl uses it: GET a Scale, PATCH (merge) and PUT
// (with the resourceVersion read) to change replicas, conflicts, invalid values and dry runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors';
import { Registry } from './registry';
import type { ResourceCall } from './resource-handlers';
import { scaleDiscoveryEntry } from './scale-discovery';
import { handleScale, selectorString } from './scale-subresource';
import { Store } from './store';
import type { ResourceType } from './types';

const reg = new Registry();
const NS = reg.find('', 'namespaces')!;
const DEPLOY = reg.find('apps', 'deployments')!;
const DS = reg.find('apps', 'daemonsets')!;

async function storeWithDeployment(): Promise<Store> {
  const s = await Store.open({});
  s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  s.create(DEPLOY, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] },
      template: { metadata: { labels: { app: 'web', tier: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
  });
  return s;
}

function call(method: string, body?: unknown, contentType = 'application/json', type: ResourceType = DEPLOY, query = ''): ResourceCall {
  return {
    method, type, query: new URLSearchParams(query), contentType,
    target: { group: 'apps', version: 'v1', namespace: 'default', plural: type.plural, name: 'web', subresource: 'scale', watchPrefix: false },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  };
}

const code = (fn: () => unknown): number => {
  try { fn(); } catch (e) { if (e instanceof ApiError) return e.code; throw e; }
  return 0;
};

const replicasOf = (s: Store): unknown => (s.get(DEPLOY, 'default', 'web').spec as { replicas: unknown }).replicas;

test('GET answers an autoscaling/v1 Scale with the selector as a string', async () => {
  const s = await storeWithDeployment();
  const reply = handleScale({ store: s }, call('GET'));
  const body = reply.body as { kind: string; apiVersion: string; metadata: { name: string; resourceVersion: string }; spec: unknown; status: unknown };
  assert.equal(reply.status, 200);
  assert.equal(body.kind, 'Scale');
  assert.equal(body.apiVersion, 'autoscaling/v1');
  assert.equal(body.metadata.name, 'web');
  assert.equal(body.metadata.resourceVersion, s.get(DEPLOY, 'default', 'web').metadata.resourceVersion);
  assert.deepEqual(body.spec, { replicas: 2 });
  assert.deepEqual(body.status, { replicas: 0, selector: 'app=web,tier in (a,b)' });
});

test('a merge PATCH (kubectl scale) changes replicas and nothing else', async () => {
  const s = await storeWithDeployment();
  const before = s.get(DEPLOY, 'default', 'web');
  const reply = handleScale({ store: s }, call('PATCH', { spec: { replicas: 5 } }, 'application/merge-patch+json'));
  assert.deepEqual((reply.body as { spec: unknown }).spec, { replicas: 5 });
  const after = s.get(DEPLOY, 'default', 'web');
  assert.equal(replicasOf(s), 5);
  assert.deepEqual((after.spec as { template: unknown }).template, (before.spec as { template: unknown }).template);
  assert.equal(after.metadata.generation, 2);
  assert.equal(code(() => handleScale({ store: s }, call('PATCH', { spec: { replicas: 1 } }, 'application/apply-patch+yaml'))), 415);
});

test('PUT needs the current resourceVersion; replicas must be a non-negative integer', async () => {
  const s = await storeWithDeployment();
  const rv = s.get(DEPLOY, 'default', 'web').metadata.resourceVersion;
  const scale = (replicas: unknown, resourceVersion = rv): unknown =>
    ({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', resourceVersion }, spec: { replicas } });
  assert.equal(handleScale({ store: s }, call('PUT', scale(3))).status, 200);
  assert.equal(replicasOf(s), 3);
  assert.equal(code(() => handleScale({ store: s }, call('PUT', scale(4)))), 409, 'stale resourceVersion');
  const now = s.get(DEPLOY, 'default', 'web').metadata.resourceVersion;
  assert.equal(code(() => handleScale({ store: s }, call('PUT', scale(-1, now)))), 422);
  assert.equal(code(() => handleScale({ store: s }, call('PUT', scale('3', now)))), 422);
  assert.equal(code(() => handleScale({ store: s }, call('PUT', { kind: 'Deployment', spec: { replicas: 1 } }))), 400);
  // Go's ScaleSpec.replicas is omitempty, so a Scale without replicas means zero.
  handleScale({ store: s }, call('PUT', { metadata: { name: 'web' }, spec: {} }));
  assert.equal(replicasOf(s), 0);
});

test('dry runs change nothing; other kinds and methods are refused', async () => {
  const s = await storeWithDeployment();
  const reply = handleScale({ store: s }, call('PATCH', { spec: { replicas: 9 } }, 'application/merge-patch+json', DEPLOY, 'dryRun=All'));
  assert.deepEqual((reply.body as { spec: unknown }).spec, { replicas: 9 });
  assert.equal(replicasOf(s), 2);
  assert.equal(code(() => handleScale({ store: s }, call('GET', undefined, 'application/json', DS))), 404);
  assert.equal(code(() => handleScale({ store: s }, call('DELETE'))), 405);
});

test('discovery advertises deployments/scale only', () => {
  assert.deepEqual(scaleDiscoveryEntry(DEPLOY), {
    name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'],
  });
  assert.equal(scaleDiscoveryEntry(DS), undefined);
  assert.equal(selectorString({ matchExpressions: [{ key: 'b', operator: 'DoesNotExist' }, { key: 'a', operator: 'Exists' }] }), 'a,!b');
});
