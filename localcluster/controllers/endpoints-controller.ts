// The EndpointSlice controller: for each Service with a selector, keeps one EndpointSlice per
// distinct resolved port set (updated in place) and the legacy Endpoints object. Pod changes
// requeue the Services whose selector matches the pod before or after the change.

import { Store, StoreEvent } from '../apiserver/store';
import { deepEqual } from '../apiserver/object-meta';
import { KubeObject } from '../apiserver/types';
import { Controller } from './controller';
import {
  assignSlices, endpointPod, EndpointPod, endpointsSubsets, existingPortsKey, groupByPorts, servicePorts, sliceEndpoints,
} from './endpoint-slices';
import { matchesLabels } from './label-selector';
import { isControlledBy, isDeleting, labelsOf, objectKey, ownerRefTo, rec, splitKey, str, stringMap } from './object-access';
import { ControllerTypeKeys, ControllerTypes } from './resource-types';
import { deleteIfPresent } from './store-writes';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** The selector the controller manages endpoints for; undefined when the Service has none. */
export function serviceSelector(svc: KubeObject): Record<string, string> | undefined {
  const spec = rec(svc.spec);
  if (spec.type === 'ExternalName') return undefined;
  const selector = stringMap(spec.selector);
  return Object.keys(selector).length ? selector : undefined;
}

export class EndpointsController implements Controller {
  readonly name = 'endpointslices';

  constructor(private readonly store: Store, private readonly types: ControllerTypes, private readonly keys: ControllerTypeKeys) {}

  keysFor(e: StoreEvent): string[] {
    const ns = e.object.metadata.namespace ?? '';
    switch (e.typeKey) {
      case this.keys.services:
      case this.keys.endpoints:
        return [objectKey(e.object)];
      case this.keys.endpointSlices:
        return [e.object, e.old].flatMap((o) => {
          const svc = o ? labelsOf(o)[SERVICE_NAME_LABEL] : undefined;
          return o && svc && labelsOf(o)[MANAGED_BY_LABEL] === MANAGED_BY ? [`${ns}/${svc}`] : [];
        });
      case this.keys.pods: {
        const before = e.old ? labelsOf(e.old) : undefined;
        const after = labelsOf(e.object);
        return this.store.list(this.types.services, { namespace: ns }).items.filter((svc) => {
          const sel = serviceSelector(svc);
          return sel !== undefined && (matchesLabels(sel, after) || (before !== undefined && matchesLabels(sel, before)));
        }).map(objectKey);
      }
      default:
        return [];
    }
  }

  allKeys(): string[] {
    return this.store.list(this.types.services).items.map(objectKey);
  }

  reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    if (namespace === 'default' && name === 'kubernetes') return; // kept by the kubernetes-service controller
    const svc = this.store.tryGet(this.types.services, namespace, name);
    const managed = this.store.list(this.types.endpointSlices, {
      namespace,
      predicate: (s) => labelsOf(s)[SERVICE_NAME_LABEL] === name && labelsOf(s)[MANAGED_BY_LABEL] === MANAGED_BY,
    }).items;
    const selector = svc && !isDeleting(svc) ? serviceSelector(svc) : undefined;
    if (!svc || !selector) {
      for (const s of managed) deleteIfPresent(this.store, this.types.endpointSlices, s);
      const ep = svc ? undefined : this.store.tryGet(this.types.endpoints, namespace, name);
      if (ep) deleteIfPresent(this.store, this.types.endpoints, ep);
      return;
    }
    const spec = rec(svc.spec);
    const publishNotReady = spec.publishNotReadyAddresses === true;
    const pods = this.store.list(this.types.pods, { namespace, predicate: (p) => matchesLabels(selector, labelsOf(p)) }).items
      .map((p) => endpointPod(p, publishNotReady))
      .filter((p): p is EndpointPod => p !== undefined);
    const groups = groupByPorts(servicePorts(svc), pods);
    const labels = { ...labelsOf(svc) };
    if (str(spec.clusterIP) === 'None') labels[HEADLESS_LABEL] = '';
    const sliceLabels = { ...labels, [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };

    const ours = managed.filter((s) => isControlledBy(s, svc.metadata.uid));
    for (const s of managed) if (!ours.includes(s)) deleteIfPresent(this.store, this.types.endpointSlices, s);
    const { assign, remove } = assignSlices(ours.map((s) => ({ name: s.metadata.name ?? '', key: existingPortsKey(s) })), groups);
    for (const g of groups) {
      const body = { addressType: 'IPv4', endpoints: sliceEndpoints(g), ports: g.ports };
      const existing = ours.find((s) => s.metadata.name === assign.get(g.key));
      if (existing) {
        const next = { ...structuredClone(existing), ...structuredClone(body) } as KubeObject;
        next.metadata.labels = sliceLabels;
        next.metadata.ownerReferences = [ownerRefTo(svc)];
        if (!deepEqual(next, existing)) this.store.update(this.types.endpointSlices, next);
      } else {
        this.store.create(this.types.endpointSlices, {
          apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
          metadata: { generateName: `${name}-`, namespace, labels: sliceLabels, ownerReferences: [ownerRefTo(svc)] },
          ...structuredClone(body),
        });
      }
    }
    for (const s of ours) if (remove.includes(s.metadata.name ?? '')) deleteIfPresent(this.store, this.types.endpointSlices, s);
    this.writeEndpoints(namespace ?? '', name, labels, endpointsSubsets(groups));
  }

  private writeEndpoints(namespace: string, name: string, labels: Record<string, string>, subsets: Record<string, unknown>[]): void {
    const existing = this.store.tryGet(this.types.endpoints, namespace, name);
    if (!existing) {
      this.store.create(this.types.endpoints, {
        apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, ...(Object.keys(labels).length ? { labels } : {}) }, subsets,
      });
      return;
    }
    const next = structuredClone(existing) as KubeObject;
    next.subsets = subsets;
    if (Object.keys(labels).length) next.metadata.labels = labels;
    else delete next.metadata.labels;
    if (!deepEqual(next, existing)) this.store.update(this.types.endpoints, next);
  }
}
