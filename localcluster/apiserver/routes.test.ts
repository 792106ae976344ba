// URL routing: which endpoint or resource a request path addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRoute, Route } from './routes';

test('resource paths: namespaced, cluster-wide, subresources, watch prefix', () => {
  assert.deepEqual(matchRoute('/api/v1/namespaces/shop/pods/web/status'), { kind: Route.Resource,
    target: { group: '', version: 'v1', namespace: 'shop', plural: 'pods', name: 'web', subresource: 'status', watchPrefix: false } });
  assert.deepEqual(matchRoute('/apis/apps/v1/deployments'), { kind: Route.Resource,
    target: { group: 'apps', version: 'v1', plural: 'deployments', name: undefined, subresource: undefined, watchPrefix: false } });
  assert.deepEqual(matchRoute('/api/v1/namespaces/shop'), { kind: Route.Resource,
    target: { group: '', version: 'v1', plural: 'namespaces', name: 'shop', subresource: undefined, watchPrefix: false } });
  assert.deepEqual(matchRoute('/api/v1/namespaces/shop/status'), { kind: Route.Resource,
    target: { group: '', version: 'v1', plural: 'namespaces', name: 'shop', subresource: 'status', watchPrefix: false } });
  const watched = matchRoute('/api/v1/watch/namespaces/shop/configmaps');
  assert.ok(watched.kind === Route.Resource && watched.target.watchPrefix && watched.target.namespace === 'shop');
});

test('discovery, OpenAPI, health and unknown paths', () => {
  assert.deepEqual(matchRoute('/api'), { kind: Route.CoreVersions });
  assert.deepEqual(matchRoute('/apis/apps/v1'), { kind: Route.ResourceList, group: 'apps', version: 'v1' });
  assert.deepEqual(matchRoute('/openapi/v3/apis/apps/v1'), { kind: Route.OpenApiDocument, groupVersion: 'apis/apps/v1' });
  assert.equal(matchRoute('/readyz').kind, Route.Health);
  assert.equal(matchRoute('/').kind, Route.NotFound);
  assert.equal(matchRoute('/api/v1/%E0%A4%A').kind, Route.NotFound);
  assert.equal(matchRoute('/api/v1/namespaces/a/pods/b/c/d').kind, Route.NotFound);
});
