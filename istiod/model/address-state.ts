// The ambient model's state (no I/O): caches of Namespaces, Pods, Services and EndpointSlices with
// the indexes that find what an event affects (pods by namespace and label, Services by namespace
// and selector, EndpointSlice references by pod and by IP), and the current Address resources.
// Each apply*/delete* call recomputes only the affected Addresses and adds the names that really
// changed (deep comparison) to the given set. Until `rebuild()` (after the first lists) it only
// fills the caches. The policy names each workload lists come from a lookup (the policy index), the
// waypoint Gateways Services and workloads bind to from another (the waypoint directory).

import type { Address } from '../../pkg/api/workload-types';
import type { MeshEndpointSlice, MeshNamespace, MeshPod, MeshService } from '../kube/mesh-types';
import { deepEqual } from './deep-equal';
import { deriveService, serviceResourceName, type WaypointGateways } from './derive-service';
import { deriveWorkload, workloadUid } from './derive-workload';
import { firstPair, PairIndex } from './label-index';
import type { ModelSettings } from './settings';
import { hasSelector, selects } from './workload-meta';

type Changed = Set<string>;

/** The selector policies that select a workload of `namespace` with `labels` (names, sorted). */
export type WorkloadPolicyLookup = (namespace: string, labels: Readonly<Record<string, string>>) => readonly string[];
const NO_POLICIES: WorkloadPolicyLookup = () => [];

const nsKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** A reference count per key (several slices may list the same pod or IP). */
class RefCounts {
  private readonly counts = new Map<string, Map<string, number>>();
  add(from: string, to: string, delta: number): void {
    let m = this.counts.get(from);
    if (!m) this.counts.set(from, (m = new Map()));
    const n = (m.get(to) ?? 0) + delta;
    if (n > 0) m.set(to, n);
    else m.delete(to);
    if (m.size === 0) this.counts.delete(from);
  }
  targets(from: string): Iterable<string> {
    return this.counts.get(from)?.keys() ?? [];
  }
}

function nested<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  return inner;
}

export class AddressState {
  private live = false;
  private readonly current = new Map<string, Address>();
  private readonly namespaces = new Map<string, MeshNamespace>();
  private readonly pods = new Map<string, Map<string, MeshPod>>();
  private readonly podLabels = new Map<string, PairIndex>();
  private readonly podsByIp = new Map<string, Set<string>>();
  private readonly services = new Map<string, Map<string, MeshService>>();
  private readonly serviceSelectors = new Map<string, PairIndex>();
  private readonly slices = new Map<string, MeshEndpointSlice>();
  private readonly slicesByService = new Map<string, Map<string, MeshEndpointSlice>>();
  /** EndpointSlice references: pod key → service keys, and IP → service keys. */
  private readonly podRefs = new RefCounts();
  private readonly ipRefs = new RefCounts();

  /** Without `gateways`, nothing is bound to a waypoint. */
  constructor(private readonly settings: ModelSettings, private readonly policiesFor: WorkloadPolicyLookup = NO_POLICIES,
    private readonly gateways?: () => WaypointGateways) {}

  addresses(): ReadonlyMap<string, Address> {
    return this.current;
  }

  /** Computes every Address from the caches and goes live (later events recompute incrementally). */
  rebuild(changed: Changed): void {
    this.live = true;
    const seen = new Set<string>();
    for (const byName of this.services.values()) {
      for (const svc of byName.values()) seen.add(this.recomputeService(svc.namespace, svc.name, changed));
    }
    for (const [ns, byName] of this.pods) for (const name of byName.keys()) seen.add(this.recomputePod(ns, name, changed));
    for (const name of [...this.current.keys()]) if (!seen.has(name)) this.setAddress(name, undefined, changed);
  }

  applyNamespace(ns: MeshNamespace, changed: Changed): void {
    const old = this.namespaces.get(ns.name);
    this.namespaces.set(ns.name, ns);
    if (!old || !deepEqual(old.labels, ns.labels)) this.recomputeNamespace(ns.name, changed);
  }

  deleteNamespace(name: string, changed: Changed): void {
    if (this.namespaces.delete(name)) this.recomputeNamespace(name, changed);
  }

  /** The waypoints the Services and workloads of these namespaces bind to may have changed. */
  waypointsChanged(namespaces: Iterable<string>, changed: Changed): void {
    for (const ns of namespaces) {
      for (const name of this.services.get(ns)?.keys() ?? []) this.recomputeService(ns, name, changed);
      this.recomputeNamespacePods(ns, changed);
    }
  }

  /** The policies selecting workloads of these namespaces (or of all) may have changed. */
  policiesChanged(namespaces: ReadonlySet<string> | 'all', changed: Changed): void {
    for (const ns of namespaces === 'all' ? [...this.pods.keys()] : namespaces) this.recomputeNamespacePods(ns, changed);
  }

  applyPod(pod: MeshPod, changed: Changed): void {
    const old = this.pods.get(pod.namespace)?.get(pod.name);
    if (old && deepEqual(old, pod)) return;
    if (old) this.unindexPod(old);
    nested(this.pods, pod.namespace).set(pod.name, pod);
    let labels = this.podLabels.get(pod.namespace);
    if (!labels) this.podLabels.set(pod.namespace, (labels = new PairIndex()));
    labels.add(pod.name, pod.labels);
    for (const ip of pod.podIPs) {
      let keys = this.podsByIp.get(ip);
      if (!keys) this.podsByIp.set(ip, (keys = new Set()));
      keys.add(nsKey(pod.namespace, pod.name));
    }
    this.recomputePod(pod.namespace, pod.name, changed);
  }

  deletePod(namespace: string, name: string, changed: Changed): void {
    const old = this.pods.get(namespace)?.get(name);
    if (!old) return;
    this.unindexPod(old);
    this.recomputePod(namespace, name, changed);
  }

  applyService(svc: MeshService, changed: Changed): void {
    const old = this.services.get(svc.namespace)?.get(svc.name);
    if (old && deepEqual(old, svc)) return;
    if (old) this.unindexService(old);
    nested(this.services, svc.namespace).set(svc.name, svc);
    if (hasSelector(svc.selector)) {
      let idx = this.serviceSelectors.get(svc.namespace);
      if (!idx) this.serviceSelectors.set(svc.namespace, (idx = new PairIndex()));
      idx.add(svc.name, firstPair(svc.selector));
    }
    this.serviceChanged(old, svc, changed);
  }

  deleteService(namespace: string, name: string, changed: Changed): void {
    const old = this.services.get(namespace)?.get(name);
    if (!old) return;
    this.unindexService(old);
    this.serviceChanged(old, undefined, changed);
  }

  applyEndpointSlice(slice: MeshEndpointSlice, changed: Changed): void {
    const key = nsKey(slice.namespace, slice.name);
    const old = this.slices.get(key);
    if (old && deepEqual(old, slice)) return;
    const affected = new Set<string>();
    if (old) this.unindexSlice(old, affected);
    this.slices.set(key, slice);
    const svcKey = nsKey(slice.namespace, slice.serviceName);
    nested(this.slicesByService, svcKey).set(slice.name, slice);
    this.countRefs(slice, 1);
    if (this.isSelectorless(svcKey)) this.collectSlicePods(slice, affected);
    for (const podKey of affected) this.recomputePodKey(podKey, changed);
  }

  deleteEndpointSlice(namespace: string, name: string, changed: Changed): void {
    const old = this.slices.get(nsKey(namespace, name));
    if (!old) return;
    const affected = new Set<string>();
    this.unindexSlice(old, affected);
    for (const podKey of affected) this.recomputePodKey(podKey, changed);
  }

  // ---- recomputation

  private setAddress(name: string, next: Address | undefined, changed: Changed): void {
    const old = this.current.get(name);
    if (next === undefined) {
      if (old !== undefined) { this.current.delete(name); changed.add(name); }
      return;
    }
    if (old !== undefined && deepEqual(old, next)) return;
    this.current.set(name, next);
    changed.add(name);
  }

  private recomputeService(namespace: string, name: string, changed: Changed): string {
    const resource = serviceResourceName(namespace, name, this.settings);
    if (!this.live) return resource;
    const svc = this.services.get(namespace)?.get(name);
    const waypoints = this.gateways && { namespaceLabels: this.namespaces.get(namespace)?.labels ?? {}, gateways: this.gateways() };
    const service = svc && deriveService(svc, this.settings, waypoints);
    this.setAddress(resource, service ? { kind: 'service', service } : undefined, changed);
    return resource;
  }

  private recomputePod(namespace: string, name: string, changed: Changed): string {
    const uid = workloadUid(namespace, name, this.settings);
    if (!this.live) return uid;
    const pod = this.pods.get(namespace)?.get(name);
    if (!pod) {
      this.setAddress(uid, undefined, changed);
      return uid;
    }
    const candidates = new Map<string, MeshService>();
    const inNs = this.services.get(namespace);
    for (const svcName of this.serviceSelectors.get(namespace)?.union(pod.labels) ?? []) {
      const svc = inNs?.get(svcName);
      if (svc) candidates.set(nsKey(namespace, svcName), svc);
    }
    const slices: MeshEndpointSlice[] = [];
    const refs = new Set([...this.podRefs.targets(nsKey(namespace, name)), ...pod.podIPs.flatMap((ip) => [...this.ipRefs.targets(ip)])]);
    for (const svcKey of refs) {
      const svc = this.serviceByKey(svcKey);
      if (!svc || hasSelector(svc.selector)) continue;
      candidates.set(svcKey, svc);
      slices.push(...(this.slicesByService.get(svcKey)?.values() ?? []));
    }
    const workload = deriveWorkload(pod, this.namespaces.get(namespace), [...candidates.values()], this.settings, slices,
      this.policiesFor(namespace, pod.labels), this.gateways?.());
    this.setAddress(uid, workload ? { kind: 'workload', workload } : undefined, changed);
    return uid;
  }

  private recomputePodKey(podKey: string, changed: Changed): void {
    const slash = podKey.indexOf('/');
    this.recomputePod(podKey.slice(0, slash), podKey.slice(slash + 1), changed);
  }

  /** Namespace labels enroll pods and (with waypoints) bind Services and pods to a waypoint. */
  private recomputeNamespace(namespace: string, changed: Changed): void {
    if (this.gateways) this.waypointsChanged([namespace], changed);
    else this.recomputeNamespacePods(namespace, changed);
  }

  private recomputeNamespacePods(namespace: string, changed: Changed): void {
    for (const name of this.pods.get(namespace)?.keys() ?? []) this.recomputePod(namespace, name, changed);
  }

  /** The Service itself, and every pod it selects or selected, or lists/listed by EndpointSlice. */
  private serviceChanged(old: MeshService | undefined, next: MeshService | undefined, changed: Changed): void {
    const svc = (next ?? old) as MeshService;
    this.recomputeService(svc.namespace, svc.name, changed);
    if (!this.live) return;
    const affected = new Set<string>();
    for (const s of [old, next]) {
      if (!s) continue;
      if (hasSelector(s.selector)) {
        const pods = this.pods.get(s.namespace);
        for (const name of this.podLabels.get(s.namespace)?.all(s.selector) ?? []) {
          const pod = pods?.get(name);
          if (pod && selects(s.selector, pod.labels)) affected.add(nsKey(s.namespace, name));
        }
      } else {
        for (const slice of this.slicesByService.get(nsKey(s.namespace, s.name))?.values() ?? []) this.collectSlicePods(slice, affected);
      }
    }
    for (const podKey of affected) this.recomputePodKey(podKey, changed);
  }

  // ---- indexes

  private serviceByKey(svcKey: string): MeshService | undefined {
    const slash = svcKey.indexOf('/');
    return this.services.get(svcKey.slice(0, slash))?.get(svcKey.slice(slash + 1));
  }

  private isSelectorless(svcKey: string): boolean {
    const svc = this.serviceByKey(svcKey);
    return svc !== undefined && !hasSelector(svc.selector);
  }

  private unindexPod(pod: MeshPod): void {
    this.pods.get(pod.namespace)?.delete(pod.name);
    if (this.pods.get(pod.namespace)?.size === 0) this.pods.delete(pod.namespace);
    this.podLabels.get(pod.namespace)?.remove(pod.name, pod.labels);
    const key = nsKey(pod.namespace, pod.name);
    for (const ip of pod.podIPs) {
      const keys = this.podsByIp.get(ip);
      if (keys?.delete(key) && keys.size === 0) this.podsByIp.delete(ip);
    }
  }

  private unindexService(svc: MeshService): void {
    this.services.get(svc.namespace)?.delete(svc.name);
    if (this.services.get(svc.namespace)?.size === 0) this.services.delete(svc.namespace);
    if (hasSelector(svc.selector)) this.serviceSelectors.get(svc.namespace)?.remove(svc.name, firstPair(svc.selector));
  }

  /** Forgets a slice; pods it listed are added to `affected` when its Service is selector-less. */
  private unindexSlice(slice: MeshEndpointSlice, affected: Set<string>): void {
    const svcKey = nsKey(slice.namespace, slice.serviceName);
    this.slices.delete(nsKey(slice.namespace, slice.name));
    const byName = this.slicesByService.get(svcKey);
    byName?.delete(slice.name);
    if (byName?.size === 0) this.slicesByService.delete(svcKey);
    this.countRefs(slice, -1);
    if (this.isSelectorless(svcKey)) this.collectSlicePods(slice, affected);
  }

  private countRefs(slice: MeshEndpointSlice, delta: number): void {
    const svcKey = nsKey(slice.namespace, slice.serviceName);
    for (const e of slice.endpoints) {
      if (e.targetRef) {
        if (e.targetRef.kind === 'Pod') this.podRefs.add(nsKey(e.targetRef.namespace, e.targetRef.name), svcKey, delta);
      } else {
        for (const ip of e.addresses) this.ipRefs.add(ip, svcKey, delta);
      }
    }
  }

  private collectSlicePods(slice: MeshEndpointSlice, into: Set<string>): void {
    for (const e of slice.endpoints) {
      if (e.targetRef) {
        if (e.targetRef.kind === 'Pod') into.add(nsKey(e.targetRef.namespace, e.targetRef.name));
      } else {
        for (const ip of e.addresses) for (const key of this.podsByIp.get(ip) ?? []) into.add(key);
      }
    }
  }
}
