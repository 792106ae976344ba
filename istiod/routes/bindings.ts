// Which waypoint each Service and pod is bound to, kept with its reverse index (waypoint → bound
// objects) so a waypoint's config lists them without scanning the cluster. The decision itself is
// istiod/waypoint/binding.ts; this only remembers it and reports which waypoints gained or lost
// an object. Pure data structure.

import type { Labels } from '../kube/mesh-types';
import { boundWaypoint, type BindingKind } from '../waypoint/binding';
import type { WaypointGateway } from '../waypoint/types';

export class BindingTable {
  private readonly byObject = new Map<string, string>();
  private readonly byWaypoint = new Map<string, Set<string>>();

  constructor(private readonly kind: BindingKind) {}

  /** The waypoint key an object ("ns/name") is bound to. */
  waypointOf(ref: string): string | undefined {
    return this.byObject.get(ref);
  }

  /** Objects ("ns/name") bound to a waypoint, sorted. */
  boundTo(waypoint: string): string[] {
    return [...this.byWaypoint.get(waypoint) ?? []].sort();
  }

  /**
   * Decides the object's binding again (`labels` undefined: the object is gone); the waypoints
   * it left or joined go to `touched`.
   */
  update(namespace: string, name: string, labels: Labels | undefined, namespaceLabels: Labels,
    gateways: ReadonlyMap<string, WaypointGateway>, touched: Set<string>): void {
    const ref = `${namespace}/${name}`;
    const b = labels ? boundWaypoint(this.kind, namespace, labels, namespaceLabels, gateways) : undefined;
    const next = b ? `${b.waypoint.namespace}/${b.waypoint.name}` : undefined;
    const before = this.byObject.get(ref);
    if (before === next) return;
    if (before !== undefined) {
      const set = this.byWaypoint.get(before);
      set?.delete(ref);
      if (set?.size === 0) this.byWaypoint.delete(before);
      touched.add(before);
    }
    if (next === undefined) {
      this.byObject.delete(ref);
      return;
    }
    this.byObject.set(ref, next);
    let set = this.byWaypoint.get(next);
    if (!set) this.byWaypoint.set(next, (set = new Set()));
    set.add(ref);
    touched.add(next);
  }
}
