// Which namespaces hold objects that ask for a waypoint (pure bookkeeping): Services, pods and
// namespaces are recorded with the waypoint their own `istio.io/use-waypoint` labels name, so a
// change of one Gateway recomputes only the namespaces that may bind to it — those whose namespace
// label names it and those with a Service or pod labelled with it.

import type { Labels } from '../kube/mesh-types';
import { requestedWaypoint } from './binding';

export class WaypointRequests {
  private readonly byObject = new Map<string, { readonly gateway: string; readonly namespace: string }>();
  /** Gateway key → namespace → how many objects there ask for it. */
  private readonly byGateway = new Map<string, Map<string, number>>();

  /** Records the waypoint an object of `namespace` (or the namespace itself) asks for by its own labels. */
  set(objectKey: string, namespace: string, labels: Labels): void {
    const wanted = requestedWaypoint(namespace, labels, {});
    const gateway = wanted && `${wanted.waypoint.namespace}/${wanted.waypoint.name}`;
    const old = this.byObject.get(objectKey);
    if (old?.gateway === gateway && old?.namespace === namespace) return;
    this.delete(objectKey);
    if (!gateway) return;
    this.byObject.set(objectKey, { gateway, namespace });
    let counts = this.byGateway.get(gateway);
    if (!counts) this.byGateway.set(gateway, (counts = new Map()));
    counts.set(namespace, (counts.get(namespace) ?? 0) + 1);
  }

  delete(objectKey: string): void {
    const old = this.byObject.get(objectKey);
    if (!old) return;
    this.byObject.delete(objectKey);
    const counts = this.byGateway.get(old.gateway);
    const n = (counts?.get(old.namespace) ?? 0) - 1;
    if (n > 0) counts?.set(old.namespace, n);
    else counts?.delete(old.namespace);
    if (counts?.size === 0) this.byGateway.delete(old.gateway);
  }

  /** The namespaces with an object (or a namespace label) asking for any of these Gateways ("<ns>/<name>"). */
  namespacesOf(gateways: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const gateway of gateways) for (const ns of this.byGateway.get(gateway)?.keys() ?? []) out.add(ns);
    return out;
  }
}
