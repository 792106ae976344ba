// `ambit install` as a user sees it: --dry-run prints YAML that parses into the expected objects
// (with the ztunnel token and root-cert mounts); against an API server it creates everything,
// says "unchanged" on a second run, waits until istiod and ztunnel report ready, and at the
// timeout names the pod that is not ready and why.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { writeKubeconfig } from '../localcluster/apiserver/server';
import { startTestApiServer, type TestApiServer } from '../localcluster/apiserver/test-support';
import type { KubeObject } from '../localcluster/apiserver/types';
import { install } from './install';
import { parseDuration } from './install-status';

const run = promisify(execFile);
const CLI = join(__dirname, 'main.js');

type Obj = { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };

test('--dry-run prints the CRDs, then istiod and ztunnel, as one YAML stream, without a cluster', async () => {
  const { stdout } = await run(process.execPath, [CLI, 'install', '--dry-run'], { env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' } });
  const docs = (loadAll(stdout) as (Obj | null)[]).filter((d): d is Obj => d !== null);
  const count = (kind: string) => docs.filter((d) => d.kind === kind).length;
  assert.equal(count('CustomResourceDefinition'), 11);
  assert.deepEqual(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service', 'DaemonSet'].map(count), [1, 2, 2, 2, 1, 1, 1]);
  assert.match(stdout, /^---\n# Source: manifests\/crds\//);
  const ds = docs.find((d) => d.kind === 'DaemonSet') as { spec: { template: { spec: Record<string, unknown> } } } & Obj;
  const pod = ds.spec.template.spec as { hostNetwork: boolean; containers: { env: { name: string }[]; volumeMounts: { mountPath: string }[] }[]; volumes: unknown[] };
  assert.equal(pod.hostNetwork, true);
  assert.deepEqual(pod.containers[0].volumeMounts.map((m) => m.mountPath), ['/var/run/secrets/tokens', '/var/run/secrets/istio']);
  assert.deepEqual(pod.containers[0].env.map((e) => e.name), [
    'NODE_NAME', 'INSTANCE_IP', 'POD_NAME', 'POD_NAMESPACE', 'SERVICE_ACCOUNT', 'XDS_ADDRESS', 'CA_ADDRESS', 'TRUST_DOMAIN', 'CLUSTER_ID', 'ROOT_CERT_PATH', 'TOKEN_PATH',
  ]);
  assert.deepEqual(pod.volumes[0], { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } });
});

test('--timeout takes Go durations; a bad one is a usage error', async () => {
  assert.deepEqual(['120s', '2m', '1m30s', '90', '500ms', '1h'].map(parseDuration), [120_000, 120_000, 90_000, 90_000, 500, 3_600_000]);
  assert.equal(parseDuration('soon'), undefined);
  assert.equal(parseDuration('1x'), undefined);
  await assert.rejects(run(process.execPath, [CLI, 'install', '--timeout', 'soon']), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 2);
    assert.match(err.stderr, /--timeout soon: not a duration/);
    return true;
  });
});

describe('against an API server', () => {
  let server: TestApiServer;
  let kubeconfig = '';
  before(async () => {
    server = await startTestApiServer();
    kubeconfig = join(server.stateDir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, server.urls[0], server.caPem, server.adminToken, 'test');
  });
  after(() => server.dispose());

  const get = (group: string, plural: string, namespace: string | undefined, name: string): KubeObject | undefined =>
    server.store.tryGet(server.registry.find(group, plural)!, namespace, name);
  const setStatus = (group: string, plural: string, name: string, status: Record<string, unknown>): void => {
    const t = server.registry.find(group, plural)!;
    const obj = server.store.get(t, 'istio-system', name);
    server.store.update(t, { ...obj, status: { observedGeneration: obj.metadata.generation, ...status } }, { subresource: 'status' });
  };

  test('creates every object, then a second run changes nothing', async () => {
    const lines: string[] = [];
    await install({ kubeconfig, wait: false, out: (l) => lines.push(l) });
    assert.ok(lines.includes('customresourcedefinition.apiextensions.k8s.io/authorizationpolicies.security.istio.io created'), lines.join('\n'));
    assert.ok(lines.includes('daemonset.apps/ztunnel created'));
    assert.ok(lines.includes('clusterrolebinding.rbac.authorization.k8s.io/istiod-istio-system created'));
    assert.ok(get('', 'namespaces', undefined, 'istio-system'));
    assert.ok(get('', 'serviceaccounts', 'istio-system', 'ztunnel'));
    assert.ok(get('rbac.authorization.k8s.io', 'clusterroles', undefined, 'istiod-istio-system'));
    const svc = get('', 'services', 'istio-system', 'istiod') as { spec: { ports: { name: string; port: number }[] } } & KubeObject;
    assert.deepEqual(svc.spec.ports.map((p) => `${p.name}:${p.port}`), ['grpc-xds:15010', 'https-dns:15012', 'http-monitoring:15014']);

    const rv = server.store.resourceVersion();
    const again: string[] = [];
    await install({ kubeconfig, wait: false, out: (l) => again.push(l) });
    const applied = again.filter((l) => / (created|configured|unchanged)$/.test(l));
    assert.equal(applied.length, 21);
    assert.deepEqual(applied.filter((l) => !l.endsWith(' unchanged')), [], 'nothing changed');
    assert.equal(server.store.resourceVersion(), rv);
  });

  test('waits until istiod is available and every ztunnel pod is ready', async () => {
    setStatus('apps', 'deployments', 'istiod', { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    setStatus('apps', 'daemonsets', 'ztunnel', { desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: 2, numberAvailable: 2 });
    const lines: string[] = [];
    await install({ kubeconfig, timeoutMs: 30_000, out: (l) => lines.push(l) });
    assert.ok(lines.includes('  deployment istio-system/istiod: 1 of 1 replica(s) available'), lines.join('\n'));
    assert.ok(lines.includes('  daemonset istio-system/ztunnel: 2 of 2 pod(s) ready'));
    assert.match(lines.join('\n'), /installed and ready/);
  });

  test('at the timeout, names the pod that is not ready and why', async () => {
    setStatus('apps', 'daemonsets', 'ztunnel', { desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: 1, numberAvailable: 1 });
    const pods = server.registry.find('', 'pods')!;
    const pod = server.store.create(pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ztunnel-abcde', namespace: 'istio-system', labels: { app: 'ztunnel' } },
      spec: { nodeName: 'node2', containers: [{ name: 'istio-proxy', image: 'ambit/ztunnel' }] },
    });
    const message = 'MountVolume.SetUp failed for volume "istiod-ca-cert" : configmap "istio-ca-root-cert" not found';
    server.store.update(pods, { ...pod, status: { phase: 'Pending', containerStatuses: [{ name: 'istio-proxy', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating', message } } }] } }, { subresource: 'status' });
    await assert.rejects(install({ kubeconfig, timeoutMs: 500, out: () => undefined }), (err: Error) => {
      assert.match(err.message, /not ready after 1 s:\n {2}daemonset istio-system\/ztunnel: 1 of 2 pod\(s\) ready/);
      assert.match(err.message, /pod istio-system\/ztunnel-abcde on node2: Pending, not ready/);
      assert.ok(err.message.includes(`container istio-proxy waiting: ContainerCreating: ${message}`), err.message);
      assert.match(err.message, /ambit local logs istio-system\/ztunnel-abcde/);
      assert.doesNotMatch(err.message, /istiod: /, 'istiod is ready and not blamed');
      return true;
    });
  });
});
