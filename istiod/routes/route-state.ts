// The traffic model behind the waypoint config index (pure, no I/O): namespaces, Services, pods,
// waypoint Gateways and which Service / pod is bound to which waypoint; every HTTPRoute, GRPCRoute,
// VirtualService and DestinationRule as last seen, with the version in force (an invalid update is
// rejected and the last valid version stays in force, as for security policies), indexed by the
// Service it concerns; the L7 security policies live in `security` (security-state.ts). Each
// apply/delete records what it touched (namespaces, pod namespaces, waypoints) so only the
// waypoints built from those are rebuilt; builds remember what they read.

import type { MeshNamespace, MeshPod, MeshPolicy, MeshService } from '../kube/mesh-types';
import { deepEqual } from '../model/deep-equal';
import type { FieldProblem } from '../policy/field-report';
import type { WaypointGateway } from '../waypoint/types';
import type { WaypointConfig } from '../../pkg/api/waypoint-types';
import { BindingTable } from './bindings';
import { buildWaypointConfig } from './build-config';
import { convertObject, identityOf } from './convert';
import {
  type ConfigDeps, DEFAULT_ROOT_NAMESPACE, DEFAULT_TRUST_DOMAIN, type InForce, olderFirst, type RouteInputs, type RouteSettings,
} from './inputs';
import { serviceOfHost, serviceRef } from './resolve';
import { routeStatus, type StatusEntry, type StatusView } from './route-status';
import { type AttachedSecurity, SecurityState } from './security-state';
import type { Touched } from './touched';
import type {
  DestinationRuleSpec, GatewayRouteSpec, Labels, RouteKind, RouteSpec, VirtualServiceSpec,
} from './types';

interface ObjectEntry extends StatusEntry {
  /** The object as last seen (its stored status is compared before writing). */
  readonly object: unknown;
  /** spec + creationTimestamp as JSON: a status-only update leaves it unchanged. */
  readonly identity: string;
}

const listed = (problems: readonly FieldProblem[]): string => problems.map((p) => (p.field ? `${p.field}: ${p.reason}` : p.reason)).join('; ');
export { emptyTouched, type Touched } from './touched';
export const routeStatusKey = (kind: RouteKind, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;
const podUid = (settings: RouteSettings, ref: string): string => `${settings.clusterId}//Pod/${ref}`;

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

export class RouteState implements RouteInputs {
  private readonly nsLabels = new Map<string, Labels>();
  private readonly services = new Map<string, MeshService>();
  private readonly servicesByNs = new Map<string, Set<string>>();
  private readonly podsByNs = new Map<string, Map<string, MeshPod>>();
  private gatewayMap: ReadonlyMap<string, WaypointGateway> = new Map();
  private readonly serviceBindings = new BindingTable('service');
  private readonly podBindings = new BindingTable('workload');
  private readonly objects = new Map<string, ObjectEntry>();
  /** Service ("ns/name") → object keys, per kind family. */
  private readonly bySvc: Readonly<Record<'gateway' | 'vs' | 'dr', Map<string, Set<string>>>> = { gateway: new Map(), vs: new Map(), dr: new Map() };
  private readonly deps = new Map<string, ConfigDeps>();
  /** AuthorizationPolicies and RequestAuthentications (apply / delete them here). */
  readonly security: SecurityState;

  constructor(readonly settings: RouteSettings) {
    this.security = new SecurityState({
      rootNamespace: settings.rootNamespace ?? DEFAULT_ROOT_NAMESPACE, trustDomain: settings.trustDomain ?? DEFAULT_TRUST_DOMAIN,
    });
  }

  // ---- RouteInputs

  service(namespace: string, name: string): MeshService | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  pods(namespace: string): Iterable<MeshPod> {
    return this.podsByNs.get(namespace)?.values() ?? [];
  }

  gateways(): ReadonlyMap<string, WaypointGateway> {
    return this.gatewayMap;
  }

  serviceWaypoint(namespace: string, name: string): string | undefined {
    return this.serviceBindings.waypointOf(`${namespace}/${name}`);
  }

  boundServices(waypoint: string): readonly MeshService[] {
    return this.serviceBindings.boundTo(waypoint).map((k) => this.services.get(k)).filter((s): s is MeshService => s !== undefined);
  }

  boundWorkloads(waypoint: string): readonly string[] {
    return this.podBindings.boundTo(waypoint).map((ref) => podUid(this.settings, ref)).sort();
  }

  gatewayRoutes(namespace: string, name: string): readonly InForce<GatewayRouteSpec>[] {
    return this.inForce<GatewayRouteSpec>('gateway', `${namespace}/${name}`);
  }

  virtualServices(namespace: string, name: string): readonly InForce<VirtualServiceSpec>[] {
    return this.inForce<VirtualServiceSpec>('vs', `${namespace}/${name}`);
  }

  destinationRules(namespace: string, name: string): readonly InForce<DestinationRuleSpec>[] {
    return this.inForce<DestinationRuleSpec>('dr', `${namespace}/${name}`);
  }

  attachedSecurity(gatewayNamespace: string, gatewayName: string, services: readonly string[]): AttachedSecurity {
    return this.security.near(gatewayNamespace, gatewayName, services);
  }

  // ---- cluster objects

  applyNamespace(ns: MeshNamespace, t: Touched): void {
    if (deepEqual(this.nsLabels.get(ns.name), ns.labels)) return;
    this.nsLabels.set(ns.name, ns.labels);
    this.namespaceChanged(ns.name, t);
  }

  deleteNamespace(name: string, t: Touched): void {
    if (!this.nsLabels.delete(name)) return;
    this.namespaceChanged(name, t);
  }

  applyService(s: MeshService, t: Touched): void {
    const key = `${s.namespace}/${s.name}`;
    if (deepEqual(this.services.get(key), s)) return;
    this.services.set(key, s);
    addTo(this.servicesByNs, s.namespace, s.name);
    t.namespaces.add(s.namespace);
    t.statuses = true;
    this.rebindService(key, t);
  }

  deleteService(namespace: string, name: string, t: Touched): void {
    const key = `${namespace}/${name}`;
    if (!this.services.delete(key)) return;
    removeFrom(this.servicesByNs, namespace, name);
    t.namespaces.add(namespace);
    t.statuses = true;
    this.rebindService(key, t);
  }

  applyPod(p: MeshPod, t: Touched): void {
    let pods = this.podsByNs.get(p.namespace);
    if (deepEqual(pods?.get(p.name), p)) return;
    if (!pods) this.podsByNs.set(p.namespace, (pods = new Map()));
    pods.set(p.name, p);
    t.podNamespaces.add(p.namespace);
    this.rebindPod(p.namespace, p.name, t);
  }

  deletePod(namespace: string, name: string, t: Touched): void {
    const pods = this.podsByNs.get(namespace);
    if (!pods?.delete(name)) return;
    if (pods.size === 0) this.podsByNs.delete(namespace);
    t.podNamespaces.add(namespace);
    this.rebindPod(namespace, name, t);
  }

  /** The directory's Gateways now; `changed` are the keys it reported. */
  setGateways(gateways: ReadonlyMap<string, WaypointGateway>, changed: Iterable<string>, t: Touched): void {
    this.gatewayMap = new Map(gateways);
    for (const k of changed) t.waypoints.add(k);
    t.statuses = true;
    for (const key of [...this.services.keys()]) this.rebindService(key, t);
    for (const [ns, pods] of this.podsByNs) for (const name of [...pods.keys()]) this.rebindPod(ns, name, t);
  }

  // ---- traffic resources

  applyObject(kind: RouteKind, obj: MeshPolicy, t: Touched): void {
    const key = routeStatusKey(kind, obj.namespace, obj.name);
    const previous = this.objects.get(key);
    const identity = identityOf(obj.object);
    if (previous && previous.generation === obj.generation && previous.identity === identity) {
      // Only the stored status (or other metadata) changed: re-check this object's status alone.
      this.objects.set(key, { ...previous, object: obj.object });
      t.statusKeys.add(key);
      return;
    }
    t.statuses = true;
    const c = convertObject(kind, obj.object);
    const valid = c.problems.length === 0 && c.spec !== undefined;
    const inForce: InForce<RouteSpec> | undefined = valid && c.spec
      ? { kind, namespace: obj.namespace, name: obj.name, generation: obj.generation, spec: c.spec, ...(c.createdAt !== undefined ? { createdAt: c.createdAt } : {}) }
      : previous?.inForce;
    if (!valid && (!previous || previous.generation !== obj.generation || !deepEqual(previous.problems, c.problems))) {
      t.log.push(`${kind} ${obj.namespace}/${obj.name} (generation ${obj.generation}) rejected: ${listed(c.problems)}; `
        + (inForce ? `generation ${inForce.generation} stays in force` : 'nothing of it is applied'));
    }
    this.objects.set(key, {
      kind, namespace: obj.namespace, name: obj.name, generation: obj.generation, problems: c.problems, warnings: c.warnings,
      parents: c.parents, mesh: c.mesh, object: obj.object, identity, ...(inForce ? { inForce } : {}),
    });
    t.namespaces.add(obj.namespace);
    if (previous?.inForce !== inForce) {
      this.index(key, previous?.inForce, 'remove', t);
      this.index(key, inForce, 'add', t);
    }
  }

  deleteObject(kind: RouteKind, namespace: string, name: string, t: Touched): void {
    const key = routeStatusKey(kind, namespace, name);
    const previous = this.objects.get(key);
    if (!previous) return;
    this.objects.delete(key);
    t.namespaces.add(namespace);
    t.statuses = true;
    this.index(key, previous.inForce, 'remove', t);
  }

  // ---- outputs

  /** The object's kind, name and last seen body; undefined once deleted. */
  object(key: string): { readonly kind: RouteKind; readonly namespace: string; readonly name: string; readonly object: unknown } | undefined {
    return this.objects.get(key);
  }

  objectKeys(): string[] {
    return [...this.objects.keys()];
  }

  status(key: string): StatusView | undefined {
    const e = this.objects.get(key);
    return e ? routeStatus(this, e) : undefined;
  }

  /** Builds a waypoint's config (undefined when the Gateway is gone) and remembers what it read. */
  build(waypoint: string): WaypointConfig | undefined {
    const gateway = this.gatewayMap.get(waypoint);
    if (!gateway) {
      this.deps.delete(waypoint);
      return undefined;
    }
    const built = buildWaypointConfig(this, gateway);
    this.deps.set(waypoint, built.deps);
    return built.config;
  }

  /** Waypoint keys to rebuild after `t` (including ones that may have gone away). */
  affected(t: Touched): Set<string> {
    const out = new Set<string>(t.waypoints);
    for (const key of this.gatewayMap.keys()) {
      if (t.all) { out.add(key); continue; }
      const d = this.deps.get(key);
      if (!d || [...t.namespaces].some((n) => d.namespaces.has(n)) || [...t.podNamespaces].some((n) => d.podNamespaces.has(n))) out.add(key);
    }
    return out;
  }

  // ---- internals

  private inForce<T>(family: 'gateway' | 'vs' | 'dr', svc: string): InForce<T>[] {
    const out: InForce<T>[] = [];
    for (const key of this.bySvc[family].get(svc) ?? []) {
      const f = this.objects.get(key)?.inForce;
      if (f) out.push(f as InForce<T>);
    }
    return out.sort(olderFirst);
  }

  /** The Services ("ns/name") a version in force is about. */
  private targets(f: InForce<RouteSpec>): { family: 'gateway' | 'vs' | 'dr'; services: string[] } {
    const domain = this.settings.clusterDomain;
    const of = (host: string): string | undefined => {
      const s = serviceOfHost(host, f.namespace, domain);
      return s ? serviceRef(s) : undefined;
    };
    if (f.kind === 'HTTPRoute' || f.kind === 'GRPCRoute') {
      const spec = f.spec as GatewayRouteSpec;
      return { family: 'gateway', services: spec.parents.filter((p) => p.namespace === f.namespace).map((p) => `${p.namespace}/${p.name}`) };
    }
    if (f.kind === 'VirtualService') {
      const spec = f.spec as VirtualServiceSpec;
      return { family: 'vs', services: spec.mesh ? spec.hosts.map(of).filter((s): s is string => s !== undefined) : [] };
    }
    const host = of((f.spec as DestinationRuleSpec).host);
    return { family: 'dr', services: host ? [host] : [] };
  }

  private index(key: string, f: InForce<RouteSpec> | undefined, op: 'add' | 'remove', t: Touched): void {
    if (!f) return;
    const { family, services } = this.targets(f);
    for (const svc of services) {
      if (op === 'add') addTo(this.bySvc[family], svc, key);
      else removeFrom(this.bySvc[family], svc, key);
      t.namespaces.add(svc.slice(0, svc.indexOf('/')));
    }
  }

  private namespaceChanged(name: string, t: Touched): void {
    t.namespaces.add(name);
    t.statuses = true;
    for (const svc of this.servicesByNs.get(name) ?? []) this.rebindService(`${name}/${svc}`, t);
    for (const pod of [...this.podsByNs.get(name)?.keys() ?? []]) this.rebindPod(name, pod, t);
  }

  private rebindService(key: string, t: Touched): void {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const labels = this.services.get(key)?.labels;
    this.serviceBindings.update(namespace, key.slice(slash + 1), labels, this.nsLabels.get(namespace) ?? {}, this.gatewayMap, t.waypoints);
  }

  private rebindPod(namespace: string, name: string, t: Touched): void {
    const labels = this.podsByNs.get(namespace)?.get(name)?.labels;
    this.podBindings.update(namespace, name, labels, this.nsLabels.get(namespace) ?? {}, this.gatewayMap, t.waypoints);
  }
}
