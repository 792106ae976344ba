// Test-only (never import from production code): a small in-memory StateView built from plain
// lists of workloads and services, plus builders with sensible defaults, for the proxy unit and
// integration tests while the real store lives elsewhere.

import type { PortMapping, Service, Workload } from '../../pkg/api/workload-types';
import type { Endpoint, StateView } from '../state/types';

export function testWorkload(fields: Partial<Workload> & Pick<Workload, 'name' | 'addresses' | 'node'>): Workload {
  const namespace = fields.namespace ?? 'shop';
  return Object.freeze({
    uid: `Kubernetes//Pod/${namespace}/${fields.name}`,
    namespace,
    network: '',
    tunnelProtocol: 'HBONE',
    trustDomain: 'cluster.local',
    serviceAccount: fields.name,
    canonicalName: fields.name,
    canonicalRevision: 'v1',
    workloadType: 'DEPLOYMENT',
    workloadName: fields.name,
    services: {},
    authorizationPolicies: [],
    status: 'HEALTHY',
    clusterId: 'Kubernetes',
    ...fields,
  });
}

export function testService(fields: Partial<Service> & Pick<Service, 'name' | 'addresses' | 'ports'>): Service {
  const namespace = fields.namespace ?? 'shop';
  return Object.freeze({
    namespace,
    hostname: `${fields.name}.${namespace}.svc.cluster.local`,
    subjectAltNames: [],
    ...fields,
  });
}

/** `"<ns>/<hostname>"` of a Service. */
export function serviceKey(service: Service): string {
  return `${service.namespace}/${service.hostname}`;
}

/** The `services` entry that makes a workload an endpoint of `service`. */
export function backs(service: Service, ports: readonly PortMapping[]): Readonly<Record<string, readonly PortMapping[]>> {
  return { [serviceKey(service)]: ports };
}

export interface TestState extends StateView {
  /** Replaces the whole content (one "push"). */
  set(workloads: readonly Workload[], services: readonly Service[]): void;
}

export function testState(workloads: readonly Workload[] = [], services: readonly Service[] = []): TestState {
  let all = { workloads, services };
  let version = 1;
  const listeners = new Set<(version: number) => void>();
  const state: TestState = {
    get version() {
      return version;
    },
    workloadByUid: (uid) => all.workloads.find((w) => w.uid === uid),
    workloadByAddress: (ip) => all.workloads.find((w) => w.addresses.includes(ip)),
    serviceByVip: (ip) => all.services.find((s) => s.addresses.some((a) => a.address === ip)),
    serviceByKey: (key) => all.services.find((s) => serviceKey(s) === key),
    endpointsOf: (key): readonly Endpoint[] =>
      all.workloads.filter((w) => w.services[key] !== undefined).map((w) => ({ workload: w, ports: w.services[key] ?? [] })),
    workloadsOnNode: (node) => all.workloads.filter((w) => w.node === node),
    allWorkloads: () => all.workloads,
    allServices: () => all.services,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set: (nextWorkloads, nextServices) => {
      all = { workloads: nextWorkloads, services: nextServices };
      version++;
      for (const listener of listeners) listener(version);
    },
  };
  return state;
}
