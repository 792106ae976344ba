// The policy index on the in-memory MeshKube (the real list-watch loop) together with the address
// index: workloads list the policies that select them as policies come and go, Authorization
// changes are announced, and each object's status is written once per real change (a status write
// coming back as a watch event does not write again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from '../../pkg/api/workload-types';
import { memoryLogger } from '../../pkg/log/logger';
import { memoryMeshKube, type MemoryMeshKube } from '../kube/memory-kube';
import { startAddressIndex } from './index';
import { startPolicyIndex, type PolicyIndex } from './policy-index';
import { ns, pod, SETTINGS } from './test-fixtures';
import type { AddressIndex } from './types';

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const DB = 'Kubernetes//Pod/shop/db-0';
const policiesOf = (a: Address | undefined): readonly string[] => (a?.kind === 'workload' ? a.workload.authorizationPolicies : ['<none>']);

function ap(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { namespace: 'shop', name }, spec };
}

interface Fixture { kube: MemoryMeshKube; policies: PolicyIndex; index: AddressIndex; names: string[]; stop(): Promise<void> }

async function start(seed: (kube: MemoryMeshKube) => void): Promise<Fixture> {
  const kube = memoryMeshKube();
  kube.setNamespace(ns('shop'));
  kube.setPod(pod('shop', 'db-0', { labels: { app: 'db' }, podIPs: ['198.18.1.11'] }));
  kube.setPod(pod('shop', 'web-0', { labels: { app: 'web' }, podIPs: ['198.18.1.12'] }));
  seed(kube);
  const logger = memoryLogger();
  const policies = startPolicyIndex({ kube, conversion: { rootNamespace: 'istio-system', trustDomain: 'cluster.local' }, logger,
    now: () => new Date('2026-11-21T00:00:00Z') });
  const index = startAddressIndex({ kube, settings: SETTINGS, logger, policies });
  const names: string[] = [];
  policies.onChange((n) => names.push(...n));
  await index.synced;
  return { kube, policies, index, names, stop: async () => { await index.stop(); await policies.stop(); } };
}

test('the first build already lists the selecting policies; later policies re-list only what they select', async () => {
  const f = await start((kube) => kube.setPolicy('AuthorizationPolicy', ap('db-allow', { selector: { matchLabels: { app: 'db' } } })));
  try {
    assert.deepEqual(policiesOf(f.index.addresses().get(DB)), ['shop/db-allow']);
    assert.deepEqual(policiesOf(f.index.addresses().get('Kubernetes//Pod/shop/web-0')), []);
    assert.equal(f.policies.authorizations().get('shop/db-allow')?.action, 'ALLOW');

    f.kube.setPolicy('PeerAuthentication', {
      apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { namespace: 'shop', name: 'strict' }, spec: { mtls: { mode: 'STRICT' } },
    });
    await until('the STRICT policy is listed', () => policiesOf(f.index.addresses().get(DB)).length === 2);
    assert.deepEqual(policiesOf(f.index.addresses().get(DB)), ['istio-system/istio_converted_static_strict', 'shop/db-allow']);
    assert.deepEqual(policiesOf(f.index.addresses().get('Kubernetes//Pod/shop/web-0')), ['istio-system/istio_converted_static_strict']);
    assert.ok(f.names.includes('istio-system/istio_converted_static_strict'));

    f.kube.deletePolicy('AuthorizationPolicy', 'shop', 'db-allow');
    await until('the deleted policy is unlisted', () => policiesOf(f.index.addresses().get(DB)).length === 1);
    assert.equal(f.policies.authorizations().has('shop/db-allow'), false);
    assert.ok(f.names.includes('shop/db-allow'));
  } finally {
    await f.stop();
  }
});

test('status is written once per change, says why a policy is rejected, and keeps the transition time', async () => {
  const f = await start((kube) => kube.setPolicy('AuthorizationPolicy', ap('db-allow', { selector: { matchLabels: { app: 'db' } } })));
  try {
    await until('the first status write', () => f.kube.statusWrites.length === 1);
    const first = f.kube.getPolicy('AuthorizationPolicy', 'shop', 'db-allow')?.conditions;
    assert.deepEqual(first?.map((c) => [c.type, c.status, c.observedGeneration]), [['Accepted', 'True', 1], ['PartiallyEnforced', 'False', 1]]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(f.kube.statusWrites.length, 1, 'the written status coming back does not write again');

    f.kube.setPolicy('AuthorizationPolicy', ap('db-allow', { selector: { matchLabels: { app: 'db' } }, rules: [{ to: [{ operation: { ports: ['99999'] } }] }] }));
    await until('the rejection is written', () => f.kube.statusWrites.length === 2);
    const rejected = f.kube.getPolicy('AuthorizationPolicy', 'shop', 'db-allow')?.conditions[0];
    assert.equal(rejected?.status, 'False');
    assert.equal(rejected?.observedGeneration, 2);
    assert.match(rejected?.message ?? '', /generation 1\) stays in force.*spec\.rules\[0\]\.to\[0\]\.operation\.ports\[0\]/);
    assert.equal(f.policies.authorizations().get('shop/db-allow')?.rules.length, 0, 'the previous version is still pushed');
    assert.deepEqual(policiesOf(f.index.addresses().get(DB)), ['shop/db-allow']);
  } finally {
    await f.stop();
  }
});
