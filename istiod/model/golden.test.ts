// Golden test: one realistic namespace (a Deployment's two pods behind a Service with a named
// target port, as the API server returns them) through the converters and the derivations, and
// through the whole AddressIndex, compared exactly with testdata/shop-addresses.golden.json.
// AMBIT_UPDATE_GOLDEN=1 rewrites the golden file instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Address } from '../../pkg/api/workload-types';
import { memoryLogger } from '../../pkg/log/logger';
import { memoryMeshKube } from '../kube/memory-kube';
import { toMeshEndpointSlice, toMeshNamespace, toMeshPod, toMeshService } from '../kube/mesh-convert';
import type { MeshEndpointSlice, MeshNamespace, MeshPod, MeshService } from '../kube/mesh-types';
import { deriveService, serviceResourceName } from './derive-service';
import { deriveWorkload } from './derive-workload';
import { startAddressIndex } from './index';
import { modelSettings } from './settings';

/** The source folder (tests run from dist/, testdata stays beside the source). */
function testdata(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'istiod', 'model', 'testdata');
    if (existsSync(join(candidate, 'shop-input.json'))) return candidate;
  }
  throw new Error('istiod/model/testdata not found');
}

interface Input { namespaces: unknown[]; pods: unknown[]; services: unknown[]; endpointSlices: unknown[] }
const defined = <T>(v: T | undefined): v is T => v !== undefined;

function load(): { namespaces: MeshNamespace[]; pods: MeshPod[]; services: MeshService[]; slices: MeshEndpointSlice[] } {
  const input = JSON.parse(readFileSync(join(testdata(), 'shop-input.json'), 'utf8')) as Input;
  return {
    namespaces: input.namespaces.map(toMeshNamespace).filter(defined),
    pods: input.pods.map(toMeshPod).filter(defined),
    services: input.services.map(toMeshService).filter(defined),
    slices: input.endpointSlices.map(toMeshEndpointSlice).filter(defined),
  };
}

const settings = modelSettings({ clusterId: 'Kubernetes', trustDomain: 'cluster.local', domainSuffix: 'cluster.local' });

function render(addresses: Iterable<[string, Address]>): string {
  const sorted = [...addresses].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, address]) => ({ name, address }));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

function compareWithGolden(actual: string): void {
  const file = join(testdata(), 'shop-addresses.golden.json');
  if (process.env.AMBIT_UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'));
}

test('golden: the shop namespace derives exactly the expected Workloads and Service', () => {
  const { namespaces, pods, services, slices } = load();
  const out: [string, Address][] = [];
  for (const svc of services) {
    const service = deriveService(svc, settings);
    if (service) out.push([serviceResourceName(svc.namespace, svc.name, settings), { kind: 'service', service }]);
  }
  for (const p of pods) {
    const workload = deriveWorkload(p, namespaces.find((n) => n.name === p.namespace), services, settings, slices);
    if (workload) out.push([workload.uid, { kind: 'workload', workload }]);
  }
  compareWithGolden(render(out));
});

test('golden: the AddressIndex over the same objects holds exactly the same resources', async () => {
  const { namespaces, pods, services, slices } = load();
  const kube = memoryMeshKube();
  namespaces.forEach((n) => kube.setNamespace(n));
  pods.forEach((p) => kube.setPod(p));
  services.forEach((s) => kube.setService(s));
  slices.forEach((s) => kube.setEndpointSlice(s));
  const index = startAddressIndex({ kube, settings, logger: memoryLogger() });
  try {
    await index.synced;
    compareWithGolden(render(index.addresses()));
  } finally {
    await index.stop();
  }
});
