// The client-node MeshKube against the local API server on loopback: paged lists, watches, the
// AddressIndex over it (enrollment by namespace label, pod deletion), and a relist after 410 Gone
// that reports only the pod that changed while the watches were down.
// (It starts localcluster's API server as the integration tests do; it could live in test/integration.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from '../../pkg/api/workload-types';
import { memoryLogger } from '../../pkg/log/logger';
import type { KubeObject } from '../../localcluster/apiserver/types';
import {
  apiRequest, eventually, kubeConfigFor, loadClientNode, startTestApiServer, type TestApiServer,
} from '../../localcluster/apiserver/test-support';
import { startAddressIndex } from '../../istiod/model/index';
import { modelSettings } from '../../istiod/model/settings';
import type { AddressIndex } from '../../istiod/model/types';
import { keepAliveKubeConfig } from '../../istiod/kube/keep-alive-agent';
import { createMeshKubeClient } from '../../istiod/kube/mesh-client';

let server: TestApiServer;
before(async () => { server = await startTestApiServer({ historySize: 5 }); });
after(async () => { await server.dispose(); });

async function send(method: string, path: string, body: unknown, contentType?: string): Promise<void> {
  const r = await apiRequest(server, method, path, { body, ...(contentType ? { contentType } : {}) });
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
}
const podStatus = (ip: string, ready: boolean): unknown => ({
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const workloadOf = (a: Address | undefined) => (a?.kind === 'workload' ? a.workload : undefined);

async function seed(): Promise<void> {
  await send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  await send('POST', '/api/v1/namespaces/shop/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, clusterIP: '198.19.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  for (const [name, ip] of [['web-1', '198.18.1.5'], ['web-2', '198.18.1.6']] as const) {
    await send('POST', '/api/v1/namespaces/shop/pods', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } },
      spec: { nodeName: 'node-1', serviceAccountName: 'web', containers: [{ name: 'c', image: 'echo', ports: [{ name: 'http', containerPort: 8080 }] }] },
    });
    await send('PATCH', `/api/v1/namespaces/shop/pods/${name}/status`, podStatus(ip, true), 'application/merge-patch+json');
  }
}

test('the AddressIndex over the real API server follows labels, deletions and relists', async () => {
  await seed();
  const k8s = await loadClientNode();
  const kubeLog = memoryLogger();
  const kube = createMeshKubeClient(k8s, kubeConfigFor(k8s, server), kubeLog, { pageSize: 1, watchBackoff: { initialMs: 10, maxMs: 100 } });
  const index: AddressIndex = startAddressIndex({ kube, settings: modelSettings(), logger: memoryLogger() });
  const changes: string[][] = [];
  index.onChange((names) => changes.push([...names].sort()));
  const take = (): string[] => { const all = [...new Set(changes.flat())].sort(); changes.length = 0; return all; };
  try {
    await index.synced;
    const svc = index.addresses().get('shop/web.shop.svc.cluster.local');
    assert.equal(svc?.kind === 'service' ? svc.service.addresses.length : -1, 1, 'the Service has its VIP');
    const w1 = workloadOf(index.addresses().get('Kubernetes//Pod/shop/web-1'));
    assert.deepEqual(w1?.addresses, ['198.18.1.5']);
    assert.deepEqual(w1?.services, { 'shop/web.shop.svc.cluster.local': [{ servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' }] });
    assert.equal(w1?.tunnelProtocol, 'NONE');
    changes.length = 0;

    await send('PATCH', '/api/v1/namespaces/shop', { metadata: { labels: { 'istio.io/dataplane-mode': 'ambient' } } }, 'application/merge-patch+json');
    await eventually('enrollment', () => take().join(',') || undefined).then((names) =>
      assert.equal(names, 'Kubernetes//Pod/shop/web-1,Kubernetes//Pod/shop/web-2'));
    assert.equal(workloadOf(index.addresses().get('Kubernetes//Pod/shop/web-2'))?.tunnelProtocol, 'HBONE');

    await send('DELETE', '/api/v1/namespaces/shop/pods/web-2', undefined);
    await eventually('the deletion', () => take().join(',') || undefined).then((names) => assert.equal(names, 'Kubernetes//Pod/shop/web-2'));
    assert.equal(index.addresses().has('Kubernetes//Pod/shop/web-2'), false);

    // Watches end; while they are down the pod turns unready and enough else happens that the
    // old resourceVersion is out of the history: the watches get 410 and relist.
    server.closeWatches();
    const podType = server.registry.find('', 'pods');
    const cmType = server.registry.find('', 'configmaps');
    assert.ok(podType && cmType);
    const current = structuredClone(server.store.get(podType, 'shop', 'web-1')) as KubeObject;
    current.status = { ...(current.status as object), conditions: [{ type: 'Ready', status: 'False' }] };
    server.store.update(podType, current, { subresource: 'status' });
    for (let i = 0; i < 8; i++) server.store.create(cmType, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `filler-${i}`, namespace: 'default' } });
    await eventually('the relisted change', () => take().join(',') || undefined).then((names) => assert.equal(names, 'Kubernetes//Pod/shop/web-1'));
    assert.equal(workloadOf(index.addresses().get('Kubernetes//Pod/shop/web-1'))?.status, 'UNHEALTHY');
    assert.ok(kubeLog.lines.some((l) => /watch pods: resourceVersion \d+ is too old; relisting/.test(l)), kubeLog.lines.join('\n'));
  } finally {
    await index.stop();
  }
});

test('watch and list requests share one keep-alive agent per KubeConfig', async () => {
  const k8s = await loadClientNode();
  const kc = kubeConfigFor(k8s, server);
  const view = keepAliveKubeConfig(kc);
  assert.equal(keepAliveKubeConfig(kc), view, 'one view per KubeConfig');
  const a = await view.applyToFetchOptions({});
  const b = await view.applyToFetchOptions({});
  assert.ok(a.agent && a.agent === b.agent, 'the same agent for every watch');
  assert.equal((a.agent as { keepAlive?: boolean }).keepAlive, true);
  assert.notEqual((await kc.applyToFetchOptions({})).agent, a.agent, 'the original KubeConfig is untouched');
});
