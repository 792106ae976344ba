// The status each traffic resource should carry (pure over RouteInputs). HTTPRoute / GRPCRoute:
// one status.parents entry per Service parentRef (controller istio.io/mesh-controller) with
// Accepted (NotAllowedByListeners for another namespace's Service, UnsupportedValue when rejected,
// NoMatchingParent when the Service or a fitting port is missing) and ResolvedRefs (InvalidKind,
// RefNotPermitted, BackendNotFound). VirtualService / DestinationRule: status.conditions Accepted,
// ResolvedRefs (VirtualService destinations) and Applied (which Services it is used for, and why
// not: a Gateway API route or an older resource wins, the Service is not bound to a waypoint).

import type { FieldProblem } from '../policy/field-report';
import type { InForce, RouteInputs } from './inputs';
import { parentPorts, resolveBackendRef, serviceOfHost, serviceRef, type ServiceName } from './resolve';
import type { DestinationRuleSpec, GatewayRouteSpec, ParentRefSpec, RouteKind, RouteSpec, VirtualServiceSpec, VsDestination } from './types';

export interface RouteCondition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

export interface ParentStatusView {
  readonly parentRef: Readonly<Record<string, string | number>>;
  readonly conditions: readonly RouteCondition[];
}

export type StatusView =
  | { readonly shape: 'parents'; readonly generation: number; readonly parents: readonly ParentStatusView[] }
  | { readonly shape: 'conditions'; readonly generation: number; readonly conditions: readonly RouteCondition[] };

/** What the status computation needs to know about one object. */
export interface StatusEntry {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly problems: readonly FieldProblem[];
  readonly warnings: readonly FieldProblem[];
  /** Gateway routes: the Service parentRefs readable from the current version. */
  readonly parents: readonly ParentRefSpec[];
  /** VirtualService: whether it is for mesh traffic (else it is not ours to report on). */
  readonly mesh: boolean;
  readonly inForce?: InForce<RouteSpec>;
}

export const MAX_MESSAGE_CHARS = 8192;

function listed(items: readonly FieldProblem[]): string {
  return items.map((p) => (p.field ? `${p.field}: ${p.reason}` : p.reason)).join('; ');
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 3)}...` : text;
}

const cond = (type: string, ok: boolean, reason: string, message: string): RouteCondition => ({
  type, status: ok ? 'True' : 'False', reason, message: clip(message),
});

function withWarnings(text: string, warnings: readonly FieldProblem[]): string {
  return warnings.length > 0 ? `${text} Warnings: ${listed(warnings)}.` : text;
}

function rejection(e: StatusEntry, nothing: string): string {
  const kept = e.inForce ? `the last valid version (generation ${e.inForce.generation}) stays in force.` : nothing;
  return withWarnings(`Rejected: ${listed(e.problems)}. ${kept[0]?.toUpperCase()}${kept.slice(1)}`, e.warnings);
}

function acceptedCondition(e: StatusEntry): RouteCondition {
  if (e.problems.length > 0) return cond('Accepted', false, 'Invalid', rejection(e, `nothing of this ${e.kind} is applied.`));
  return cond('Accepted', true, e.warnings.length > 0 ? 'AcceptedWithWarnings' : 'Accepted', withWarnings('Valid.', e.warnings));
}

// ---- Gateway API routes

function resolvedRefs(inputs: RouteInputs, e: StatusEntry, spec: GatewayRouteSpec): RouteCondition {
  const lookup = (ns: string, name: string): ReturnType<RouteInputs['service']> => inputs.service(ns, name);
  const failures: { reason: string; message: string }[] = [];
  for (const rule of spec.rules) {
    for (const ref of [...rule.backendRefs, ...rule.mirrors.map((m) => m.ref)]) {
      const r = resolveBackendRef(ref, e.namespace, lookup);
      if (!r.ok) failures.push(r);
    }
  }
  if (failures.length === 0) return cond('ResolvedRefs', true, 'ResolvedRefs', 'All references resolved.');
  const tail = ' Requests for unresolved backends are answered 500 when no backend of the rule is left.';
  return cond('ResolvedRefs', false, failures[0]?.reason ?? 'BackendNotFound', `${failures.map((f) => f.message).join('; ')}.${tail}`);
}

function parentAccepted(inputs: RouteInputs, e: StatusEntry, parent: ParentRefSpec, spec: GatewayRouteSpec | undefined): RouteCondition {
  if (parent.namespace !== e.namespace) {
    return cond('Accepted', false, 'NotAllowedByListeners',
      `A ${e.kind} may attach only to Services of its own namespace (${e.namespace}); routes for another namespace's Service are not supported.`);
  }
  if (e.problems.length > 0) return cond('Accepted', false, 'UnsupportedValue', rejection(e, `nothing of this ${e.kind} is applied.`));
  const svc = inputs.service(parent.namespace, parent.name);
  if (!svc) return cond('Accepted', false, 'NoMatchingParent', `Service ${parent.namespace}/${parent.name} not found.`);
  const { ports, why } = parentPorts(spec?.kind ?? (e.kind === 'GRPCRoute' ? 'GRPCRoute' : 'HTTPRoute'), parent, svc);
  if (ports.length === 0) return cond('Accepted', false, 'NoMatchingParent', `${why}.`);
  const waypoint = inputs.serviceWaypoint(parent.namespace, parent.name);
  const on = `port${ports.length > 1 ? 's' : ''} ${ports.map((p) => p.port).join(', ')}`;
  const where = !waypoint
    ? `Service ${parent.namespace}/${parent.name} is not bound to a waypoint (label istio.io/use-waypoint): the route takes effect once it is.`
    : inputs.gateways().has(waypoint)
      ? `Applied by waypoint ${waypoint} on ${on}.`
      : `Service ${parent.namespace}/${parent.name} is bound to waypoint ${waypoint}, which does not exist: its traffic fails until the waypoint is created.`;
  return cond('Accepted', true, 'Accepted', withWarnings(where, e.warnings));
}

function gatewayRouteStatus(inputs: RouteInputs, e: StatusEntry): StatusView {
  const spec = e.inForce?.spec as GatewayRouteSpec | undefined;
  const parents = e.parents.length > 0 || !spec ? e.parents : spec.parents;
  return {
    shape: 'parents', generation: e.generation,
    parents: parents.map((p) => ({
      parentRef: p.written,
      conditions: [parentAccepted(inputs, e, p, spec), ...(spec ? [resolvedRefs(inputs, e, spec)] : [])],
    })),
  };
}

// ---- VirtualService / DestinationRule

function destinationProblem(inputs: RouteInputs, vsNamespace: string, d: VsDestination): string | undefined {
  const domain = inputs.settings.clusterDomain;
  const target = serviceOfHost(d.host, vsNamespace, domain);
  if (!target) return `${d.field}.host: "${d.host}" is not a Service of this cluster (requests get 503)`;
  const svc = inputs.service(target.namespace, target.name);
  if (!svc) return `${d.field}.host: Service ${serviceRef(target)} not found (requests get 503)`;
  if (d.port !== undefined && !svc.ports.some((p) => p.port === d.port)) return `${d.field}.port.number: Service ${serviceRef(target)} has no port ${d.port}`;
  if (d.subset !== undefined) {
    const dr = inputs.destinationRules(target.namespace, target.name)[0];
    if (!dr) return `${d.field}.subset: "${d.subset}" is not defined: no DestinationRule for ${serviceRef(target)} (requests get 503)`;
    if (!dr.spec.subsets.some((s) => s.name === d.subset)) {
      return `${d.field}.subset: DestinationRule ${dr.namespace}/${dr.name} defines no subset "${d.subset}" (requests get 503)`;
    }
  }
  return undefined;
}

interface HostOutcome { readonly applied: string[]; readonly overridden: string[]; readonly other: string[] }

function hostOutcomes(inputs: RouteInputs, e: StatusEntry, hosts: readonly string[],
  winnerOf: (svc: ServiceName) => InForce<unknown> | undefined, checkGatewayRoutes: boolean): HostOutcome {
  const out: HostOutcome = { applied: [], overridden: [], other: [] };
  for (const host of hosts) {
    const target = serviceOfHost(host, e.namespace, inputs.settings.clusterDomain);
    if (!target) { out.other.push(`host "${host}" is not a Service of this cluster`); continue; }
    const ref = serviceRef(target);
    if (!inputs.service(target.namespace, target.name)) { out.other.push(`Service ${ref} not found`); continue; }
    const gw = checkGatewayRoutes ? inputs.gatewayRoutes(target.namespace, target.name)[0] : undefined;
    if (gw) {
      out.overridden.push(`ignored for Service ${ref}: ${gw.kind} ${gw.namespace}/${gw.name} targets it, and Gateway API routes take precedence (do not mix them)`);
      continue;
    }
    const winner = winnerOf(target);
    if (winner && (winner.namespace !== e.namespace || winner.name !== e.name)) {
      out.overridden.push(`ignored for Service ${ref}: ${e.kind} ${winner.namespace}/${winner.name} is older and wins`);
      continue;
    }
    const waypoint = inputs.serviceWaypoint(target.namespace, target.name);
    if (e.kind === 'VirtualService' && !waypoint) {
      out.other.push(`Service ${ref} is not bound to a waypoint (label istio.io/use-waypoint): ztunnel does not apply VirtualServices`);
      continue;
    }
    if (waypoint && !inputs.gateways().has(waypoint)) {
      out.other.push(`Service ${ref} is bound to waypoint ${waypoint}, which does not exist`);
      continue;
    }
    out.applied.push(waypoint ? `Service ${ref} (waypoint ${waypoint})` : `Service ${ref}`);
  }
  return out;
}

function appliedCondition(o: HostOutcome): RouteCondition {
  const notes = [...o.overridden, ...o.other];
  if (o.applied.length > 0) {
    const head = `Applied for ${o.applied.join(', ')}.`;
    return notes.length > 0 ? cond('Applied', true, 'PartiallyApplied', `${head} Not applied: ${notes.join('; ')}.`) : cond('Applied', true, 'Applied', head);
  }
  return cond('Applied', false, o.overridden.length > 0 ? 'Overridden' : 'NotApplied', notes.length > 0 ? `${notes.join('; ')}.` : 'No host names a Service.');
}

function virtualServiceStatus(inputs: RouteInputs, e: StatusEntry): StatusView | undefined {
  if (!e.mesh) return undefined;
  const conditions: RouteCondition[] = [acceptedCondition(e)];
  const spec = e.inForce?.spec as VirtualServiceSpec | undefined;
  if (spec) {
    const problems: string[] = [];
    for (const http of spec.http) {
      for (const d of [...http.destinations.map((x) => x.destination), ...http.mirrors.map((m) => m.destination)]) {
        const p = destinationProblem(inputs, e.namespace, d);
        if (p) problems.push(p);
      }
    }
    conditions.push(problems.length === 0
      ? cond('ResolvedRefs', true, 'ResolvedRefs', 'All destinations resolved.')
      : cond('ResolvedRefs', false, 'BackendNotFound', `${problems.join('; ')}.`));
    conditions.push(appliedCondition(hostOutcomes(inputs, e, spec.hosts, (s) => inputs.virtualServices(s.namespace, s.name)[0], true)));
  }
  return { shape: 'conditions', generation: e.generation, conditions };
}

function destinationRuleStatus(inputs: RouteInputs, e: StatusEntry): StatusView {
  const conditions: RouteCondition[] = [acceptedCondition(e)];
  const spec = e.inForce?.spec as DestinationRuleSpec | undefined;
  if (spec) conditions.push(appliedCondition(hostOutcomes(inputs, e, [spec.host], (s) => inputs.destinationRules(s.namespace, s.name)[0], false)));
  return { shape: 'conditions', generation: e.generation, conditions };
}

/** The status an object should carry; undefined when it is not ours to report on. */
export function routeStatus(inputs: RouteInputs, e: StatusEntry): StatusView | undefined {
  if (e.kind === 'HTTPRoute' || e.kind === 'GRPCRoute') return gatewayRouteStatus(inputs, e);
  if (e.kind === 'VirtualService') return virtualServiceStatus(inputs, e);
  return destinationRuleStatus(inputs, e);
}
