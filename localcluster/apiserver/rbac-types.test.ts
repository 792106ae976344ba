// RBAC kinds over HTTP: ClusterRole, ClusterRoleBinding, Role and RoleBinding are discovered,
// created, listed and printed as kubectl's tables; strict field validation knows their fields.
// (Stored, not enforced: any service-account token may still do anything.)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRequest, startTestApiServer, type TestApiServer } from './test-support';

let server: TestApiServer;
before(async () => { server = await startTestApiServer(); });
after(() => server.dispose());

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

test('the rbac.authorization.k8s.io/v1 group serves the four kinds with the right scope', async () => {
  const groups = await apiRequest(server, 'GET', '/apis');
  const names = (groups.body as { groups: { name: string }[] }).groups.map((g) => g.name);
  assert.ok(names.includes('rbac.authorization.k8s.io'));
  const list = (await apiRequest(server, 'GET', RBAC)).body as { resources: { name: string; namespaced: boolean; kind: string }[] };
  const found = Object.fromEntries(list.resources.filter((r) => !r.name.includes('/')).map((r) => [r.name, [r.kind, r.namespaced]]));
  assert.deepEqual(found, {
    clusterroles: ['ClusterRole', false], clusterrolebindings: ['ClusterRoleBinding', false], roles: ['Role', true], rolebindings: ['RoleBinding', true],
  });
});

test('roles and bindings are stored, listed and printed like kubectl prints them', async () => {
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'istiod-istio-system' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
  };
  assert.equal((await apiRequest(server, 'POST', `${RBAC}/clusterroles`, { body: role })).status, 201);
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'istiod-istio-system' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'istiod-istio-system' },
    subjects: [{ kind: 'ServiceAccount', name: 'istiod', namespace: 'istio-system' }, { kind: 'User', name: 'alice' }],
  };
  assert.equal((await apiRequest(server, 'POST', `${RBAC}/clusterrolebindings`, { body: binding })).status, 201);
  const rb = { ...binding, kind: 'RoleBinding', metadata: { name: 'read', namespace: 'default' } };
  assert.equal((await apiRequest(server, 'POST', `${RBAC}/namespaces/default/rolebindings`, { body: rb })).status, 201);

  const got = (await apiRequest(server, 'GET', `${RBAC}/clusterroles/istiod-istio-system`)).body as typeof role;
  assert.deepEqual(got.rules, role.rules);
  const listed = (await apiRequest(server, 'GET', `${RBAC}/rolebindings`)).body as { items: { metadata: { name: string; namespace: string } }[] };
  assert.deepEqual(listed.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`), ['default/read']);

  const roles = (await apiRequest(server, 'GET', `${RBAC}/clusterroles`, { headers: { Accept: TABLE } })).body as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
  assert.deepEqual(roles.columnDefinitions.map((c) => c.name), ['Name', 'Created At']);
  assert.equal(roles.rows[0].cells[0], 'istiod-istio-system');
  const bindings = (await apiRequest(server, 'GET', `${RBAC}/clusterrolebindings`, { headers: { Accept: TABLE } })).body as typeof roles;
  assert.deepEqual(bindings.columnDefinitions.map((c) => c.name), ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
  const cells = bindings.rows[0].cells;
  assert.deepEqual([cells[0], cells[1], cells[3], cells[4], cells[5]], ['istiod-istio-system', 'ClusterRole/istiod-istio-system', 'alice', '', 'istio-system/istiod']);
});

test('strict field validation rejects a misspelt rule field', async () => {
  const bad = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'typo', namespace: 'default' },
    rules: [{ apiGroups: [''], resource: ['pods'], verbs: ['get'] }],
  };
  const r = await apiRequest(server, 'POST', `${RBAC}/namespaces/default/roles?fieldValidation=Strict`, { body: bad });
  assert.equal(r.status, 422, r.text);
  assert.match((r.body as { message: string }).message, /unknown field "rules\[0\]\.resource"/);
});
