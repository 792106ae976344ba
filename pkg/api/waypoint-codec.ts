// Wire codec of ambit's L7 xDS type `ambit.waypoint.v1.WaypointConfig` (proto/ambit/waypoint/v1):
// the model of waypoint-types.ts to and from protobuf. Encoding omits defaults; absent optional
// values travel as 0 / "" / an unset message (with has_* flags where 0 is a real value). Decoding
// is strict and never throws: what only the wire can get wrong (an unknown protocol number, a flag
// contradicting its value, a missing load balancer) is checked here, everything else by
// waypoint-validate.ts; every problem is reported with its field path. Decoded values are frozen.
// The `security` part's mapping lives in waypoint-security-codec.ts.

import type * as protobuf from 'protobufjs';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import { messageType } from './proto-root';
import { securityFromWire, securityObject } from './waypoint-security-codec';
import { waypointConfigProblems, WAYPOINT_LIMITS } from './waypoint-validate';
import { APP_PROTOCOLS, type AppProtocol } from './workload-types';
import type { Backend, HeaderMutation, PathModifier, Route, RouteMatch, WaypointConfig } from './waypoint-types';
import type { WireBackend, WireConfig, WireMutation, WirePathModifier, WireRoute, WireRouteMatch } from './waypoint-wire';

/** The protobuf message name of the WaypointConfig type. */
export const WAYPOINT_CONFIG_MESSAGE = 'ambit.waypoint.v1.WaypointConfig';
/** The largest encoded WaypointConfig decodeWaypointConfig accepts. */
export const MAX_WAYPOINT_CONFIG_BYTES = 64 * 1024 * 1024;

export type DecodeWaypointConfigResult =
  | { readonly ok: true; readonly value: WaypointConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

let configType: protobuf.Type | undefined;
function type(): protobuf.Type {
  configType ??= messageType(WAYPOINT_CONFIG_MESSAGE);
  return configType;
}

// ---- encoding ----

type Obj = Record<string, unknown>;

/** An object without the entries that are the proto3 default (0, "", false, [], undefined). */
function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === 0 || v === '' || v === false || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

const mutationObject = (m: HeaderMutation | undefined): Obj | undefined =>
  m && compact({ set: m.set.map((h) => compact({ ...h })), add: m.add.map((h) => compact({ ...h })), remove: [...m.remove] });

const pathModObject = (m: PathModifier | undefined): Obj | undefined => m && compact({ kind: m.kind, value: m.value });

function matchObject(m: RouteMatch): Obj {
  return compact({
    path: m.path && compact({ kind: m.path.kind, value: m.path.value }),
    headers: m.headers.map((h) => compact({ ...h })),
    queryParams: m.queryParams.map((q) => compact({ ...q })),
    method: m.method,
  });
}

function routeObject(r: Route): Obj {
  const abort = r.fault?.abort;
  return compact({
    name: r.name,
    matches: r.matches.map(matchObject),
    requestHeaders: mutationObject(r.requestHeaders),
    responseHeaders: mutationObject(r.responseHeaders),
    redirect: r.redirect && compact({ ...r.redirect, path: pathModObject(r.redirect.path) }),
    directResponse: r.directResponse && compact({ ...r.directResponse }),
    rewrite: r.rewrite && compact({ hostname: r.rewrite.hostname, path: pathModObject(r.rewrite.path) }),
    mirrors: r.mirrors.map((m) => compact({ ...m })),
    backends: r.backends.map((b) => compact({
      backend: b.backend, weight: b.weight,
      requestHeaders: mutationObject(b.requestHeaders), responseHeaders: mutationObject(b.responseHeaders),
    })),
    timeoutMs: r.timeoutMs,
    retry: r.retry && compact({ ...r.retry, retryOn: [...r.retry.retryOn] }),
    fault: r.fault && compact({
      delay: r.fault.delay && compact({ ...r.fault.delay }),
      abort: abort && compact({
        httpStatus: abort.httpStatus, grpcStatus: abort.grpcStatus, hasGrpcStatus: abort.grpcStatus !== undefined, percent: abort.percent,
      }),
    }),
  });
}

function backendObject(b: Backend): Obj {
  return compact({
    name: b.name, serviceKey: b.serviceKey, port: b.port, subset: b.subset,
    workloadUids: b.workloadUids && [...b.workloadUids], hasWorkloadUids: b.workloadUids !== undefined,
    lb: compact({ kind: b.lb.kind, hash: b.lb.hash && compact({ ...b.lb.hash }) }),
    pool: compact({ ...b.pool }),
    outlier: b.outlier && compact({
      consecutive_5xx: b.outlier.consecutive5xx, consecutiveGatewayErrors: b.outlier.consecutiveGatewayErrors,
      intervalMs: b.outlier.intervalMs, baseEjectionMs: b.outlier.baseEjectionMs, maxEjectionPercent: b.outlier.maxEjectionPercent,
    }),
    policySource: b.policySource,
  });
}

/**
 * The wire form of a config (an Any's value for WAYPOINT_CONFIG_TYPE_URL). Throws MeshError
 * (InvalidArgument) listing every problem when the config is not valid (waypointConfigProblems).
 */
export function encodeWaypointConfig(c: WaypointConfig): Uint8Array {
  const problems = waypointConfigProblems(c);
  if (problems.length > 0) {
    throw new MeshError(ErrorCode.InvalidArgument, `waypoint config ${String(c?.namespace)}/${String(c?.name)}: ${problems.join('; ')}`);
  }
  const o = compact({
    namespace: c.namespace, name: c.name, waypointFor: c.waypointFor,
    services: c.services.map((s) => compact({
      key: s.key,
      ports: s.ports.map((p) => compact({
        port: p.port, protocol: APP_PROTOCOLS.indexOf(p.protocol), routes: p.routes.map(routeObject), defaultBackend: p.defaultBackend,
      })),
    })),
    workloads: [...c.workloads],
    backends: c.backends.map(backendObject),
    security: c.security && securityObject(c.security),
  });
  const t = type();
  return t.encode(t.fromObject(o)).finish();
}

// ---- decoding ----

/** Wire-only problems, with the model's field paths. */
type Issues = string[];

const mutation = (w: WireMutation | null): HeaderMutation | undefined => w ? {
  set: w.set.map((h) => ({ name: h.name, value: h.value })),
  add: w.add.map((h) => ({ name: h.name, value: h.value })),
  remove: [...w.remove],
} : undefined;

const pathMod = (w: WirePathModifier | null): PathModifier | undefined =>
  w ? { kind: w.kind as PathModifier['kind'], value: w.value } : undefined;

/** Copies `entries` whose value is not undefined onto `base` (optional fields stay absent). */
function withOptional<T extends object>(base: T, entries: Obj): T {
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) (base as Obj)[k] = v;
  return base;
}

function routeMatch(w: WireRouteMatch): RouteMatch {
  const vm = (v: WireRouteMatch['headers'][number]): RouteMatch['headers'][number] =>
    ({ name: v.name, kind: v.kind as RouteMatch['headers'][number]['kind'], value: v.value, invert: v.invert });
  return withOptional<RouteMatch>({ headers: w.headers.map(vm), queryParams: w.queryParams.map(vm) }, {
    path: w.path ? { kind: w.path.kind, value: w.path.value } : undefined,
    method: w.method || undefined,
  });
}

function route(w: WireRoute, field: string, issues: Issues): Route {
  const f = w.fault;
  const abort = f?.abort;
  if (abort && !abort.hasGrpcStatus && abort.grpcStatus !== 0) {
    issues.push(`${field}.fault.abort.grpcStatus: ${abort.grpcStatus} set without hasGrpcStatus`);
  }
  return withOptional<Route>({
    name: w.name,
    matches: w.matches.map(routeMatch),
    mirrors: w.mirrors.map((m) => ({ backend: m.backend, percent: m.percent })),
    backends: w.backends.map((b) => withOptional({ backend: b.backend, weight: b.weight }, {
      requestHeaders: mutation(b.requestHeaders), responseHeaders: mutation(b.responseHeaders),
    })),
  }, {
    requestHeaders: mutation(w.requestHeaders),
    responseHeaders: mutation(w.responseHeaders),
    redirect: w.redirect ? withOptional({ statusCode: w.redirect.statusCode }, {
      scheme: w.redirect.scheme || undefined, hostname: w.redirect.hostname || undefined,
      path: pathMod(w.redirect.path), port: w.redirect.port || undefined,
    }) : undefined,
    directResponse: w.directResponse ? { status: w.directResponse.status, body: w.directResponse.body } : undefined,
    rewrite: w.rewrite ? withOptional({}, { hostname: w.rewrite.hostname || undefined, path: pathMod(w.rewrite.path) }) : undefined,
    timeoutMs: w.timeoutMs || undefined,
    retry: w.retry ? withOptional({ attempts: w.retry.attempts, retryOn: [...w.retry.retryOn], backoffBaseMs: w.retry.backoffBaseMs }, {
      perTryTimeoutMs: w.retry.perTryTimeoutMs || undefined,
    }) : undefined,
    fault: f ? withOptional({}, {
      delay: f.delay ? { delayMs: f.delay.delayMs, percent: f.delay.percent } : undefined,
      abort: abort ? withOptional({ percent: abort.percent }, {
        httpStatus: abort.httpStatus || undefined, grpcStatus: abort.hasGrpcStatus ? abort.grpcStatus : undefined,
      }) : undefined,
    }) : undefined,
  });
}

function backend(w: WireBackend, field: string, issues: Issues): Backend {
  if (!w.hasWorkloadUids && w.workloadUids.length > 0) issues.push(`${field}.workloadUids: ${w.workloadUids.length} entries without hasWorkloadUids`);
  if (!w.lb) issues.push(`${field}.lb: missing`);
  const lb = w.lb ?? { kind: 'round_robin', hash: null };
  const pool = w.pool ?? { maxConnections: 0, maxPendingRequests: 0, maxRequests: 0, maxRequestsPerConnection: 0, maxRetries: 0 };
  const o = w.outlier;
  return withOptional<Backend>({
    name: w.name,
    serviceKey: w.serviceKey,
    port: w.port,
    lb: withOptional<Backend['lb']>({ kind: lb.kind as Backend['lb']['kind'] }, {
      hash: lb.hash ? { source: lb.hash.source, name: lb.hash.name } : undefined,
    }),
    pool: {
      maxConnections: pool.maxConnections, maxPendingRequests: pool.maxPendingRequests, maxRequests: pool.maxRequests,
      maxRequestsPerConnection: pool.maxRequestsPerConnection, maxRetries: pool.maxRetries,
    },
    policySource: w.policySource,
  }, {
    subset: w.subset || undefined,
    workloadUids: w.hasWorkloadUids ? [...w.workloadUids] : undefined,
    outlier: o ? {
      consecutive5xx: o.consecutive_5xx, consecutiveGatewayErrors: o.consecutiveGatewayErrors, intervalMs: o.intervalMs,
      baseEjectionMs: o.baseEjectionMs, maxEjectionPercent: o.maxEjectionPercent,
    } : undefined,
  });
}

/** The model, or undefined when a top-level list is too long to be worth building. */
function wireToModel(w: WireConfig, issues: Issues): WaypointConfig | undefined {
  const tooMany = (n: number, max: number, field: string): boolean => n > max && issues.push(`${field}: ${n} entries (max ${max})`) > 0;
  const over = [
    tooMany(w.services.length, WAYPOINT_LIMITS.services, 'services'),
    tooMany(w.backends.length, WAYPOINT_LIMITS.backends, 'backends'),
    tooMany(w.workloads.length, WAYPOINT_LIMITS.workloads, 'workloads'),
  ];
  if (over.includes(true)) return undefined;
  return withOptional<WaypointConfig>({
    namespace: w.namespace,
    name: w.name,
    waypointFor: w.waypointFor as WaypointConfig['waypointFor'],
    services: w.services.map((s, i) => ({
      key: s.key,
      ports: s.ports.map((p, j) => {
        const field = `services[${i}].ports[${j}]`;
        const protocol: AppProtocol | undefined = APP_PROTOCOLS[p.protocol];
        if (protocol === undefined) issues.push(`${field}.protocol: unknown protocol number ${p.protocol}`);
        return {
          port: p.port, protocol: protocol ?? 'UNKNOWN', defaultBackend: p.defaultBackend,
          routes: p.routes.map((r, k) => route(r, `${field}.routes[${k}]`, issues)),
        };
      }),
    })),
    workloads: [...w.workloads],
    backends: w.backends.map((b, i) => backend(b, `backends[${i}]`, issues)),
  }, {
    security: w.security ? securityFromWire(w.security, 'security', issues) : undefined,
  });
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

/** Parses and validates one WaypointConfig; never throws. The value is deeply frozen. */
export function decodeWaypointConfig(bytes: Uint8Array): DecodeWaypointConfigResult {
  if (bytes.length > MAX_WAYPOINT_CONFIG_BYTES) {
    return { ok: false, errors: [`waypoint config: ${bytes.length} bytes (max ${MAX_WAYPOINT_CONFIG_BYTES})`] };
  }
  let wire: WireConfig;
  try {
    // A plain Uint8Array view: protobufjs' Buffer reader would accept a string cut short by the end
    // of the input; the plain reader refuses it.
    wire = type().decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as unknown as WireConfig;
  } catch (err) {
    return { ok: false, errors: [`waypoint config: malformed protobuf (${err instanceof Error ? err.message : String(err)})`] };
  }
  try {
    const issues: Issues = [];
    const value = wireToModel(wire, issues);
    if (value === undefined) return { ok: false, errors: issues };
    // Wire issues first; the placeholders they leave (round_robin, UNKNOWN) are valid values.
    const all = [...issues, ...waypointConfigProblems(value)];
    if (all.length === 0) return { ok: true, value: deepFreeze(value) };
    const cap = WAYPOINT_LIMITS.problems;
    const errors = all.length > cap + 1 ? [...all.slice(0, cap), `(stopped after ${cap} problems)`] : all;
    return { ok: false, errors };
  } catch (err) {
    // A throw here is a bug; still reported as a refusal, never thrown.
    return { ok: false, errors: [`waypoint config: ${err instanceof Error ? err.message : String(err)}`] };
  }
}
