// The routes of one bound Service port (pure over RouteInputs). HTTPRoutes/GRPCRoutes attached to
// the Service win (Gateway API precedence across all of them, one Route per match, invalid
// backendRefs dropped, 500 when none is left); else the oldest mesh VirtualService naming the
// Service (its http routes in order); else — and on ports no resource covers — one "default" route
// to the Service port itself. Resource routes end with a 404 catch-all ("no route matched"); a
// port holds at most the wire limit of routes (the lowest-precedence ones beyond it are dropped).

import type { MeshService, MeshServicePort } from '../kube/mesh-types';
import type { AppProtocol } from '../../pkg/api/workload-types';
import type { Mirror, PortRoutes, Route, RouteMatch, WeightedBackend } from '../../pkg/api/waypoint-types';
import { WAYPOINT_LIMITS } from '../../pkg/api/waypoint-validate';
import type { BackendTable } from './backends';
import type { ConfigDeps, InForce, RouteInputs } from './inputs';
import { type RankedMatch, sortByPrecedence } from './precedence';
import {
  kindServesProtocol, parentSelectsPort, resolveBackendRef, resolveDestination, type ServiceName,
} from './resolve';
import { DEFAULT_RETRY, type GatewayRouteSpec, type GatewayRule, type VirtualServiceSpec, type VsHttpRoute } from './types';

export const NO_ROUTE_MATCHED = 'no route matched';
/** Routes per port before the catch-all: the wire limit leaves room for it. */
const MAX_ROUTES = WAYPOINT_LIMITS.routesPerPort - 1;

/** Route names stay within the wire limit (object names can be long). */
function routeName(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 480) out = out.slice(0, -8);
  return out === text ? text : `${out}...`;
}

export function defaultRoute(defaultBackend: string): Route {
  return { name: 'default', matches: [], mirrors: [], backends: [{ backend: defaultBackend, weight: 1 }], retry: DEFAULT_RETRY };
}

const notFound: Route = Object.freeze({
  name: NO_ROUTE_MATCHED, matches: [], mirrors: [], backends: [], directResponse: { status: 404, body: '' },
});

interface Ctx {
  readonly inputs: RouteInputs;
  readonly table: BackendTable;
  readonly deps: ConfigDeps;
  readonly svc: MeshService;
  readonly port: MeshServicePort;
}

interface GatewayCandidate extends RankedMatch {
  readonly entry: InForce<GatewayRouteSpec>;
  readonly ruleSpec: GatewayRule;
}

function gatewayRoute(ctx: Ctx, c: GatewayCandidate): Route {
  const { entry, ruleSpec: rule } = c;
  const lookup = (ns: string, name: string): MeshService | undefined => ctx.inputs.service(ns, name);
  const backends: WeightedBackend[] = [];
  for (const ref of rule.backendRefs) {
    const r = resolveBackendRef(ref, entry.namespace, lookup);
    if (!r.ok) continue;
    backends.push({
      backend: ctx.table.ref(r.service, r.port), weight: ref.weight,
      ...(ref.requestHeaders ? { requestHeaders: ref.requestHeaders } : {}),
      ...(ref.responseHeaders ? { responseHeaders: ref.responseHeaders } : {}),
    });
  }
  const mirrors: Mirror[] = [];
  for (const m of rule.mirrors) {
    const r = resolveBackendRef(m.ref, entry.namespace, lookup);
    if (r.ok) mirrors.push({ backend: ctx.table.ref(r.service, r.port), percent: m.percent });
  }
  const split = rule.matches.length > 1 ? ` match ${c.matchIndex}` : '';
  const base = {
    name: routeName(`${entry.kind} ${entry.namespace}/${entry.name} rule ${rule.index}${split}`),
    matches: [c.match],
    ...(rule.requestHeaders ? { requestHeaders: rule.requestHeaders } : {}),
    ...(rule.responseHeaders ? { responseHeaders: rule.responseHeaders } : {}),
  };
  if (rule.redirect) return { ...base, redirect: rule.redirect, mirrors: [], backends: [] };
  if (backends.every((b) => b.weight === 0)) {
    // No usable backend (all invalid, none listed, or every weight 0): Gateway API answers 500.
    return { ...base, mirrors: [], backends: [], directResponse: { status: 500, body: '' } };
  }
  return {
    ...base, mirrors, backends,
    ...(rule.rewrite ? { rewrite: rule.rewrite } : {}),
    ...(rule.timeoutMs !== undefined ? { timeoutMs: rule.timeoutMs } : {}),
    retry: rule.retry,
  };
}

function gatewayRoutes(ctx: Ctx, protocol: AppProtocol, entries: readonly InForce<GatewayRouteSpec>[]): Route[] {
  const candidates: GatewayCandidate[] = [];
  for (const entry of entries) {
    if (!kindServesProtocol(entry.spec.kind, protocol)) continue;
    if (!entry.spec.parents.some((p) => p.namespace === entry.namespace && parentSelectsPort(p, ctx.svc, ctx.port))) continue;
    for (const rule of entry.spec.rules) {
      rule.matches.forEach((match, matchIndex) => candidates.push({
        match, matchIndex, rule: rule.index, route: `${entry.namespace}/${entry.name}`, kind: entry.spec.kind,
        ...(entry.createdAt !== undefined ? { createdAt: entry.createdAt } : {}), entry, ruleSpec: rule,
      }));
    }
  }
  return sortByPrecedence(candidates).map((c) => gatewayRoute(ctx, c));
}

function vsRoutes(ctx: Ctx, vs: InForce<VirtualServiceSpec>, http: VsHttpRoute): Route[] {
  const applicable = http.matches.filter((m) => m.port === undefined || m.port === ctx.port.port);
  if (http.matches.length > 0 && applicable.length === 0) return [];
  const incoming = { service: { namespace: ctx.svc.namespace, name: ctx.svc.name } as ServiceName, port: ctx.port.port };
  const lookup = (ns: string, name: string): MeshService | undefined => ctx.inputs.service(ns, name);
  const domain = ctx.inputs.settings.clusterDomain;
  const ref = (d: VsHttpRoute['destinations'][number]['destination']): string | undefined => {
    const r = resolveDestination(d, vs.namespace, incoming, domain, lookup);
    return r.ok ? ctx.table.ref(r.service, r.port, d.subset) : undefined;
  };
  const backends: WeightedBackend[] = [];
  for (const d of http.destinations) {
    const backend = ref(d.destination);
    if (backend === undefined) continue;
    backends.push({
      backend, weight: d.weight,
      ...(d.requestHeaders ? { requestHeaders: d.requestHeaders } : {}),
      ...(d.responseHeaders ? { responseHeaders: d.responseHeaders } : {}),
    });
  }
  const mirrors: Mirror[] = [];
  for (const m of http.mirrors) {
    const backend = ref(m.destination);
    if (backend !== undefined) mirrors.push({ backend, percent: m.percent });
  }
  const label = routeName(`VirtualService ${vs.namespace}/${vs.name} http ${http.index}${http.name ? ` (${http.name})` : ''}`);
  const common = {
    ...(http.requestHeaders ? { requestHeaders: http.requestHeaders } : {}),
    ...(http.responseHeaders ? { responseHeaders: http.responseHeaders } : {}),
    ...(http.fault ? { fault: http.fault } : {}),
    ...(http.timeoutMs !== undefined ? { timeoutMs: http.timeoutMs } : {}),
  };
  let action: Pick<Route, 'backends' | 'mirrors' | 'redirect' | 'directResponse' | 'retry'>;
  if (http.redirect) action = { redirect: http.redirect, backends: [], mirrors: [] };
  else if (http.directResponse) action = { directResponse: http.directResponse, backends: [], mirrors: [] };
  else if (backends.every((b) => b.weight === 0)) action = { directResponse: { status: 503, body: 'no route to a known Service' }, backends: [], mirrors: [] };
  else action = { backends, mirrors, retry: http.retry };
  const matches: RouteMatch[] = applicable.map((m) => m.match);
  const rewriting = http.rewriteUri !== undefined && action.backends.length > 0;
  if (!rewriting) {
    const hostname = http.rewriteAuthority !== undefined && action.backends.length > 0 ? { rewrite: { hostname: http.rewriteAuthority } } : {};
    return [{ name: label, matches, ...common, ...action, ...hostname }];
  }
  // rewrite.uri replaces the matched prefix of a prefix match, else the whole path: one Route per match.
  const perMatch: RouteMatch[] = matches.length > 0 ? matches : [{ path: { kind: 'prefix', value: '/' }, headers: [], queryParams: [] }];
  return perMatch.map((match, i) => ({
    name: perMatch.length > 1 ? `${label} match ${i}` : label,
    matches: [match], ...common, ...action,
    rewrite: {
      path: { kind: match.path === undefined || match.path.kind === 'prefix' ? 'prefix' as const : 'full' as const, value: http.rewriteUri ?? '/' },
      ...(http.rewriteAuthority !== undefined ? { hostname: http.rewriteAuthority } : {}),
    },
  }));
}

/** The PortRoutes of one Service port. */
export function portRoutes(inputs: RouteInputs, table: BackendTable, deps: ConfigDeps, svc: MeshService, port: MeshServicePort,
  protocol: AppProtocol): PortRoutes {
  const ctx: Ctx = { inputs, table, deps, svc, port };
  const defaultBackend = table.ref({ namespace: svc.namespace, name: svc.name }, port.port);
  let routes: Route[] = [];
  const attached = inputs.gatewayRoutes(svc.namespace, svc.name);
  if (attached.length > 0) {
    routes = gatewayRoutes(ctx, protocol, attached);
  } else {
    const vs = inputs.virtualServices(svc.namespace, svc.name);
    for (const v of vs) deps.namespaces.add(v.namespace);
    const winner = vs[0];
    if (winner) routes = winner.spec.http.flatMap((h) => vsRoutes(ctx, winner, h));
  }
  return {
    port: port.port, protocol, defaultBackend,
    routes: routes.length > 0 ? [...routes.slice(0, MAX_ROUTES), notFound] : [defaultRoute(defaultBackend)],
  };
}
