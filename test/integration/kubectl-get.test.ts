// The machine's real kubectl (v1.32) printing server-side Tables: `get pods -o wide` with the
// pod columns, services, deployments, a custom resource's printer columns, CRDs, sorting (full
// row objects), `get -w` (Table watch events), and -o json/yaml still returning whole objects.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiRequest, eventually, startTestApiServer, TestApiServer } from '../../localcluster/apiserver/test-support';
import { writeKubeconfig } from '../../localcluster/apiserver/server';

const KUBECTL = '/usr/bin/kubectl';

let server: TestApiServer;
let env: NodeJS.ProcessEnv;

function kubectl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr}`));
      else resolve(stdout);
    });
  });
}

async function send(method: string, path: string, body: unknown): Promise<void> {
  const r = await apiRequest(server, method, path, { body });
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
}

/** Creates a pod, then sets its status through the status subresource. */
async function pod(name: string, ip: string, node: string, containerStatus: Record<string, unknown>): Promise<void> {
  const base = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop' }, spec: { nodeName: node, containers: [{ name: 'app', image: 'ambit/echo' }] } };
  await send('POST', '/api/v1/namespaces/shop/pods', base);
  await send('PUT', `/api/v1/namespaces/shop/pods/${name}/status`, {
    ...base, status: { phase: 'Running', podIP: ip, containerStatuses: [{ name: 'app', restartCount: 0, ...containerStatus }] },
  });
}

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, listKind: WidgetList }
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    additionalPrinterColumns:
    - { name: Size, type: integer, jsonPath: .spec.size }
    - { name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status' }
    - { name: Color, type: string, jsonPath: .spec.color, priority: 1 }
    - { name: Age, type: date, jsonPath: .metadata.creationTimestamp }
`;

const WIDGET = `apiVersion: example.com/v1
kind: Widget
metadata: { name: gear, namespace: shop }
spec: { size: 7, color: blue }
status:
  conditions: [{ type: Synced, status: "False" }, { type: Ready, status: "True" }]
`;

before(async () => {
  server = await startTestApiServer();
  const kubeconfig = join(server.stateDir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, server.urls[0], server.caPem, server.adminToken, 'test');
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', KUBECONFIG: kubeconfig, HOME: server.stateDir };
  await send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  await pod('web-1', '198.18.1.9', 'node-a', { ready: true, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } });
  await pod('web-2', '198.18.1.3', 'node-b', { ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } });
  await send('POST', '/api/v1/namespaces/shop/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' },
    spec: { type: 'NodePort', clusterIP: '198.19.0.20', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 31000 }, { port: 53, protocol: 'UDP' }] },
  });
  const deploy = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'ambit/echo' }] } } },
  };
  await send('POST', '/apis/apps/v1/namespaces/shop/deployments', deploy);
  await send('PUT', '/apis/apps/v1/namespaces/shop/deployments/web/status', { ...deploy, status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 } });
});
after(async () => { await server.dispose(); });

test('kubectl get pods -o wide prints the pod columns', async () => {
  const out = await kubectl('get', 'pods', '-n', 'shop', '-o', 'wide');
  assert.match(out, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/);
  assert.match(out, /^web-1\s+1\/1\s+Running\s+0\s+\d+s\s+198\.18\.1\.9\s+node-a\s+<none>\s+<none>$/m);
  assert.match(out, /^web-2\s+0\/1\s+CrashLoopBackOff\s+3\s+\d+s\s+198\.18\.1\.3\s+node-b\s+<none>\s+<none>$/m);
  const narrow = await kubectl('get', 'pods', '-n', 'shop');
  assert.match(narrow, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
  assert.doesNotMatch(narrow, /198\.18\.1\.9/);
});

test('kubectl get --sort-by sorts on fields outside the table (full row objects)', async () => {
  const out = await kubectl('get', 'pods', '-n', 'shop', '--sort-by=.status.podIP', '--no-headers');
  assert.deepEqual(out.trim().split('\n').map((l) => l.split(/\s+/)[0]), ['web-2', 'web-1']);
});

test('kubectl get svc and deploy print their columns', async () => {
  const svc = await kubectl('get', 'svc', '-n', 'shop', '-o', 'wide');
  assert.match(svc, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR\n/);
  assert.match(svc, /^web\s+NodePort\s+198\.19\.0\.20\s+<none>\s+80:31000\/TCP,53\/UDP\s+\S+\s+app=web$/m);
  const deploy = await kubectl('get', 'deploy', '-n', 'shop');
  assert.match(deploy, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
  assert.match(deploy, /^web\s+2\/2\s+2\s+2\s+\S+$/m);
});

test('custom resources print their CRD\'s printer columns', async () => {
  const dir = server.stateDir;
  await writeFile(join(dir, 'crd.yaml'), CRD);
  await writeFile(join(dir, 'widget.yaml'), WIDGET);
  await kubectl('apply', '-f', join(dir, 'crd.yaml'));
  await kubectl('apply', '-f', join(dir, 'widget.yaml'));
  const out = await kubectl('get', 'widgets', '-n', 'shop');
  assert.match(out, /^NAME\s+SIZE\s+READY\s+AGE\n/);
  assert.match(out, /^gear\s+7\s+True\s+\d+s$/m);
  const wide = await kubectl('get', 'widget', 'gear', '-n', 'shop', '-o', 'wide');
  assert.match(wide, /^gear\s+7\s+True\s+blue\s+\d+s$/m);
  assert.match(await kubectl('get', 'crd'), /^NAME\s+CREATED AT\nwidgets\.example\.com\s+\d{4}-\d\d-\d\dT/m);
});

test('kubectl get -o json and -o yaml still return whole objects', async () => {
  const list = JSON.parse(await kubectl('get', 'pods', '-n', 'shop', '-o', 'json')) as { items: Array<{ kind: string; spec: { nodeName: string }; status: { podIP: string } }> };
  assert.equal(list.items.length, 2);
  assert.deepEqual(list.items.map((p) => [p.kind, p.spec.nodeName, p.status.podIP]), [['Pod', 'node-a', '198.18.1.9'], ['Pod', 'node-b', '198.18.1.3']]);
  const one = JSON.parse(await kubectl('get', 'pod', 'web-1', '-n', 'shop', '-o', 'json')) as { kind: string; spec: { containers: unknown[] } };
  assert.equal(one.kind, 'Pod');
  assert.equal(one.spec.containers.length, 1);
  const yaml = await kubectl('get', 'pod', 'web-1', '-n', 'shop', '-o', 'yaml');
  assert.match(yaml, /^kind: Pod$/m);
  assert.match(yaml, /podIP: 198\.18\.1\.9/);
  assert.doesNotMatch(yaml, /Table|columnDefinitions/);
});

test('kubectl get -w prints new rows from Table watch events', async () => {
  const child = spawn(KUBECTL, ['get', 'configmaps', '-n', 'shop', '-w', '--output-watch-events'], { env });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  try {
    await send('POST', '/api/v1/namespaces/shop/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first' }, data: { a: '1' } });
    await eventually('the first row', () => /ADDED\s+first\s+1\s/.test(out), 10_000);
    await send('POST', '/api/v1/namespaces/shop/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second' }, data: { a: '1', b: '2' } });
    await eventually('a watched row', () => /ADDED\s+second\s+2\s/.test(out), 10_000);
    assert.match(out, /^EVENT\s+NAME\s+DATA\s+AGE\n/);
    assert.equal(out.match(/EVENT/g)?.length, 1, 'the header is printed once');
  } finally {
    child.kill();
  }
});
