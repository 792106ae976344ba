// The `kubernetes` Service in `default`: ClusterIP = first Service address, port 443 `https` to the
// API server's port, no selector; plus the `kubernetes` EndpointSlice and Endpoints listing the
// API server endpoints. Recreated or repaired whenever they drift.

import { deepEqual } from '../apiserver/object-meta';
import { Store, StoreEvent } from '../apiserver/store';
import { KubeObject, ResourceType } from '../apiserver/types';
import { Controller } from './controller';
import { SERVICE_NAME_LABEL } from './endpoints-controller';
import { isDeleting, rec } from './object-access';
import { ControllerTypeKeys, ControllerTypes } from './resource-types';

export interface ApiServerEndpoint {
  ip: string;
  port: number;
}

const NAMESPACE = 'default';
const NAME = 'kubernetes';
const KEY = `${NAMESPACE}/${NAME}`;

/** The Service's port list for the API server's (first endpoint's) port. Pure. */
export const apiServicePorts = (targetPort: number): Record<string, unknown>[] =>
  [{ name: 'https', port: 443, protocol: 'TCP', targetPort }];

export class KubernetesServiceController implements Controller {
  readonly name = 'kubernetes-service';
  private readonly port: number;
  private readonly ips: string[];

  constructor(private readonly store: Store, private readonly types: ControllerTypes, private readonly keys: ControllerTypeKeys,
    private readonly clusterIp: string, endpoints: readonly ApiServerEndpoint[]) {
    this.port = endpoints[0]?.port ?? 443;
    this.ips = [...new Set(endpoints.filter((e) => e.port === this.port).map((e) => e.ip))];
  }

  keysFor(e: StoreEvent): string[] {
    if (e.typeKey === this.keys.namespaces) return e.object.metadata.name === NAMESPACE ? [KEY] : [];
    const watched = [this.keys.services, this.keys.endpoints, this.keys.endpointSlices];
    return watched.includes(e.typeKey) && e.object.metadata.namespace === NAMESPACE && e.object.metadata.name === NAME ? [KEY] : [];
  }

  allKeys(): string[] {
    return [KEY];
  }

  reconcile(): void {
    const ns = this.store.tryGet(this.types.namespaces, undefined, NAMESPACE);
    if (!ns || isDeleting(ns)) return;
    this.ensureService();
    const ports = [{ name: 'https', port: this.port, protocol: 'TCP' }];
    this.ensure(this.types.endpointSlices, {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: NAME, namespace: NAMESPACE, labels: { [SERVICE_NAME_LABEL]: NAME } },
      addressType: 'IPv4',
      endpoints: this.ips.map((ip) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } })),
      ports,
    }, ['addressType', 'endpoints', 'ports']);
    this.ensure(this.types.endpoints, {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: { name: NAME, namespace: NAMESPACE, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: this.ips.length ? [{ addresses: this.ips.map((ip) => ({ ip })), ports }] : [],
    }, ['subsets']);
  }

  private ensureService(): void {
    const existing = this.store.tryGet(this.types.services, NAMESPACE, NAME);
    const ports = apiServicePorts(this.port);
    if (!existing) {
      this.store.create(this.types.services, {
        apiVersion: 'v1', kind: 'Service',
        metadata: { name: NAME, namespace: NAMESPACE, labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: this.clusterIp, clusterIPs: [this.clusterIp], ports, sessionAffinity: 'None' },
      });
      return;
    }
    const spec = rec(existing.spec);
    if (deepEqual(spec.ports, ports) && spec.selector === undefined) return;
    const next = structuredClone(existing) as KubeObject;
    next.spec = { ...rec(next.spec), ports };
    delete rec(next.spec).selector;
    this.store.update(this.types.services, next);
  }

  /** Creates `desired` or rewrites the listed top-level fields of the existing object. */
  private ensure(type: ResourceType, desired: KubeObject, fields: string[]): void {
    const existing = this.store.tryGet(type, NAMESPACE, NAME);
    if (!existing) {
      this.store.create(type, desired);
      return;
    }
    const next = structuredClone(existing) as KubeObject;
    for (const f of fields) next[f] = structuredClone(desired[f]);
    next.metadata.labels = { ...(next.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) };
    if (!deepEqual(next, existing)) this.store.update(type, next);
  }
}
