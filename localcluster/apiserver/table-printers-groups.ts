// Server-side printers for the kinds outside the core group that the local cluster serves —
// Deployment, DaemonSet (apps), EndpointSlice, Lease, CustomResourceDefinition — plus the
// NAME/AGE printer used for anything without its own. Pure functions over stored objects.

import {
  AGE_COLUMN, age, column, formatLabelSelector, formatLabels, int, NAME_COLUMN, Printer, rec, recs, str, strings, truncatedList,
} from './table-format';
import type { KubeObject } from './types';

const CONTAINERS_COLUMN = column('Containers', 'string', 'Names of the containers of the pod template.', 1);
const IMAGES_COLUMN = column('Images', 'string', 'Images of the containers of the pod template.', 1);
const SELECTOR_COLUMN = column('Selector', 'string', 'Label selector of the pods the workload manages.', 1);

/** Containers, images and selector cells of a workload's pod template. */
function templateCells(obj: KubeObject): string[] {
  const spec = rec(obj.spec);
  const containers = recs(rec(rec(spec.template).spec).containers);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(','), formatLabelSelector(spec.selector)];
}

export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Ready replicas out of desired replicas.'),
    column('Up-to-date', 'integer', 'Replicas running the latest pod template.'),
    column('Available', 'integer', 'Replicas available to users (ready for at least minReadySeconds).'),
    AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  cells(d, now) {
    const spec = rec(d.spec);
    const status = rec(d.status);
    const desired = typeof spec.replicas === 'number' ? int(spec.replicas) : 1;
    return [
      d.metadata.name ?? '', `${int(status.readyReplicas)}/${desired}`, int(status.updatedReplicas), int(status.availableReplicas), age(d, now),
      ...templateCells(d),
    ];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'Nodes that should run the daemon pod.'),
    column('Current', 'integer', 'Nodes running at least one daemon pod.'),
    column('Ready', 'integer', 'Nodes whose daemon pod is ready.'),
    column('Up-to-date', 'integer', 'Nodes running the latest daemon pod template.'),
    column('Available', 'integer', 'Nodes whose daemon pod is available.'),
    column('Node Selector', 'string', 'Node labels the daemon pods are restricted to.'),
    AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  cells(ds, now) {
    const status = rec(ds.status);
    const nodeSelector = rec(rec(rec(rec(ds.spec).template).spec).nodeSelector);
    return [
      ds.metadata.name ?? '', int(status.desiredNumberScheduled), int(status.currentNumberScheduled), int(status.numberReady),
      int(status.updatedNumberScheduled), int(status.numberAvailable), formatLabels(nodeSelector), age(ds, now), ...templateCells(ds),
    ];
  },
};

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', 'IPv4, IPv6 or FQDN.'),
    column('Ports', 'string', 'Port numbers of the slice (at most three shown).'),
    column('Endpoints', 'string', 'Endpoint addresses (at most three shown).'),
    AGE_COLUMN,
  ],
  cells(slice, now) {
    const ports = recs(slice.ports).map((p) => (typeof p.port === 'number' ? String(int(p.port)) : str(p.name) || '*'));
    const addresses = recs(slice.endpoints).flatMap((e) => strings(e.addresses));
    return [slice.metadata.name ?? '', str(slice.addressType), truncatedList(ports, 3, '<unset>'), truncatedList(addresses, 3, '<unset>'), age(slice, now)];
  },
};

export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, column('Holder', 'string', 'The identity of the lease holder.'), AGE_COLUMN],
  cells: (lease, now) => [lease.metadata.name ?? '', str(rec(lease.spec).holderIdentity), age(lease, now)],
};

/** CRDs print like kube-apiserver's default table convertor: the creation time itself. */
export const crdPrinter: Printer = {
  columns: [NAME_COLUMN, column('Created At', 'date', 'When the object was created (metadata.creationTimestamp).')],
  cells: (crd) => [crd.metadata.name ?? '', crd.metadata.creationTimestamp ?? null],
};

export const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, AGE_COLUMN],
  cells: (obj, now) => [obj.metadata.name ?? '', age(obj, now)],
};
