// The machine's real kubectl (v1.32) against the API server, with only a kubeconfig: listing,
// creating and labelling namespaces, client-side apply (create, configure, strict validation of
// a typo), CRDs from manifests/crds and a custom resource, delete -f, and NotFound errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiRequest, startTestApiServer, TestApiServer } from '../../localcluster/apiserver/test-support';
import { writeKubeconfig } from '../../localcluster/apiserver/server';
import { kubectlRunner } from './kubectl-runner';

const CRD_DIR = join(__dirname, '..', '..', '..', 'manifests', 'crds');

let server: TestApiServer;
let env: NodeJS.ProcessEnv;
let dir: string;

const { kubectl, ok } = kubectlRunner(() => env, 30_000);

async function manifest(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const policy = (action: string, selectorKey = 'selector'): string => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  ${selectorKey}:
    matchLabels:
      app: web
  action: ${action}
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/shop/sa/web"]
`;

before(async () => {
  server = await startTestApiServer();
  dir = server.stateDir;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, server.urls[0], server.caPem, server.adminToken, 'test');
  // HOME keeps kubectl's discovery cache inside the test directory.
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', KUBECONFIG: kubeconfig, HOME: dir };
});
after(async () => { await server.dispose(); });

test('kubectl get, create and label namespaces', async () => {
  const ns = await ok('get', 'ns');
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(ns, new RegExp(`^${name}\\s`, 'm'));
  assert.match(await ok('create', 'namespace', 'shop'), /namespace\/shop created/);
  assert.match(await ok('label', 'namespace', 'shop', 'istio.io/dataplane-mode=ambient'), /namespace\/shop labeled/);
  assert.equal(await ok('get', 'ns', 'shop', '-o', 'jsonpath={.metadata.labels.istio\\.io/dataplane-mode}'), 'ambient');
});

test('kubectl get pods -A prints namespace and name columns', async () => {
  const created = await apiRequest(server, 'POST', '/api/v1/namespaces/shop/pods', {
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1' }, spec: { containers: [{ name: 'app', image: 'ambit/echo' }] } },
  });
  assert.equal(created.status, 201, created.text);
  const out = await ok('get', 'pods', '-A');
  assert.match(out, /^NAMESPACE\s+NAME\b/m);
  assert.match(out, /^shop\s+web-1\s/m);
});

test('kubectl apply creates then configures a ConfigMap', async () => {
  const file = await manifest('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  mode: one\n');
  assert.match(await ok('apply', '-f', file), /configmap\/settings created/);
  await manifest('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  mode: two\n');
  assert.match(await ok('apply', '-f', file), /configmap\/settings configured/);
  assert.equal(await ok('get', 'configmap', 'settings', '-n', 'shop', '-o', 'jsonpath={.data.mode}'), 'two');
  assert.match(await ok('delete', '-f', file), /configmap "settings" deleted/);
});

test('kubectl applies CRDs and custom resources, refuses a typo, deletes them', async () => {
  assert.match(await ok('apply', '-f', CRD_DIR), /authorizationpolicies\.security\.istio\.io created/);
  const file = await manifest('policy.yaml', policy('ALLOW'));
  assert.match(await ok('apply', '-f', file), /authorizationpolicy\.security\.istio\.io\/allow-web created/);
  await manifest('policy.yaml', policy('DENY'));
  assert.match(await ok('apply', '-f', file), /allow-web configured/);
  const listed = await ok('get', 'authorizationpolicies', '-A');
  assert.match(listed, /^shop\s+allow-web\s/m);
  assert.equal(await ok('get', 'ap', 'allow-web', '-n', 'shop', '-o', 'jsonpath={.spec.action}'), 'DENY');

  const typo = await kubectl('apply', '-f', await manifest('typo.yaml', policy('DENY', 'selectr')));
  assert.notEqual(typo.code, 0);
  assert.match(typo.stderr, /spec\.selectr/);
  assert.equal(await ok('get', 'ap', 'allow-web', '-n', 'shop', '-o', 'jsonpath={.spec.action}'), 'DENY', 'the refused apply changed nothing');

  assert.match(await ok('delete', '-f', file), /authorizationpolicy\.security\.istio\.io "allow-web" deleted/);
  const missing = await kubectl('get', 'ap', 'allow-web', '-n', 'shop');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /NotFound.*authorizationpolicies\.security\.istio\.io "allow-web" not found/);
});

test('kubectl get of a missing object prints NotFound', async () => {
  const r = await kubectl('get', 'configmap', 'nope', '-n', 'shop');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Error from server \(NotFound\): configmaps "nope" not found/);
});
