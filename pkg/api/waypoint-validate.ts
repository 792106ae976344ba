// Strict validation of ambit's L7 model (waypoint-types.ts): known enum values, every backend a
// route, mirror or port refers to present in `backends` (names unique), ports, weights, percents,
// status codes, durations and retry conditions in range, HTTP header names/values and methods that
// are valid on the wire, safe regexes (safe-regex.ts), bounded counts and string sizes; the
// `security` part through waypoint-security-validate.ts. Used by the codec in both directions and
// by istiod before it pushes. Every problem names its field path
// (`services[0].ports[1].routes[2].matches[0].path.value: why`); all of them are reported (up to a
// cap), not only the first. Pure: no I/O, never throws.

import { APP_PROTOCOLS } from './workload-types';
import { HASH_SOURCES, LB_KINDS, WAYPOINT_FOR, type Backend, type BoundService, type PortRoutes, type WaypointConfig } from './waypoint-types';
import {
  DNS_LABEL, DNS_SUBDOMAIN, Problems, SERVICE_HOSTNAME, Stop, TOKEN, UINT32_MAX, WAYPOINT_LIMITS,
  duration, headerName, int, isObject, list, oneOf, show, text,
} from './waypoint-checks';
import { route } from './waypoint-validate-route';
import { checkSecurity } from './waypoint-security-validate';

export { WAYPOINT_LIMITS } from './waypoint-checks';

function serviceKey(p: Problems, v: string, field: string): void {
  if (!text(p, v, field, { required: true })) return;
  const slash = v.indexOf('/');
  const ns = v.slice(0, slash);
  const host = v.slice(slash + 1);
  if (slash < 0 || !DNS_LABEL.test(ns) || ns.length > 63 || !SERVICE_HOSTNAME.test(host) || host.length > 253) {
    p.add(field, `${show(v)} is not a Service key "<namespace>/<hostname>"`);
  }
}

function portRoutes(p: Problems, pr: PortRoutes, field: string, backends: ReadonlySet<string>): void {
  if (!isObject(pr)) return void p.add(field, 'not an object');
  int(p, pr.port, `${field}.port`, 1, 65535);
  oneOf(p, pr.protocol, `${field}.protocol`, APP_PROTOCOLS);
  const f = `${field}.defaultBackend`;
  if (text(p, pr.defaultBackend, f, { required: true }) && !backends.has(pr.defaultBackend)) {
    p.add(f, `unknown backend ${show(pr.defaultBackend)} (not in backends)`);
  }
  if (list(p, pr.routes, `${field}.routes`, WAYPOINT_LIMITS.routesPerPort)) {
    pr.routes.forEach((r, i) => route(p, r, `${field}.routes[${i}]`, backends));
  }
}

function boundService(p: Problems, s: BoundService, field: string, backends: ReadonlySet<string>): void {
  if (!isObject(s)) return void p.add(field, 'not an object');
  serviceKey(p, s.key, `${field}.key`);
  if (!list(p, s.ports, `${field}.ports`, WAYPOINT_LIMITS.portsPerService)) return;
  const seen = new Map<number, number>();
  s.ports.forEach((pr, i) => {
    portRoutes(p, pr, `${field}.ports[${i}]`, backends);
    if (!isObject(pr) || !Number.isInteger(pr.port)) return;
    const first = seen.get(pr.port);
    if (first !== undefined) p.add(`${field}.ports[${i}].port`, `${pr.port} duplicates ports[${first}]`);
    else seen.set(pr.port, i);
  });
}

function backend(p: Problems, b: Backend, field: string): void {
  text(p, b.name, `${field}.name`, { required: true });
  serviceKey(p, b.serviceKey, `${field}.serviceKey`);
  int(p, b.port, `${field}.port`, 1, 65535);
  if (b.subset !== undefined) text(p, b.subset, `${field}.subset`, { required: true, maxBytes: 63, pattern: DNS_LABEL, what: 'subset name' });
  if (b.workloadUids !== undefined && list(p, b.workloadUids, `${field}.workloadUids`, WAYPOINT_LIMITS.workloadUids)) {
    b.workloadUids.forEach((uid, i) => text(p, uid, `${field}.workloadUids[${i}]`, { required: true }));
  }
  const lb = b.lb;
  if (!isObject(lb)) p.add(`${field}.lb`, 'not an object');
  else if (oneOf(p, lb.kind, `${field}.lb.kind`, LB_KINDS)) {
    const f = `${field}.lb.hash`;
    const h = lb.hash;
    if (lb.kind === 'consistent_hash' && h === undefined) p.add(f, 'missing (lb.kind consistent_hash needs a hash)');
    else if (lb.kind !== 'consistent_hash' && h !== undefined) p.add(f, `set, but lb.kind is ${lb.kind}`);
    else if (h !== undefined) {
      if (!isObject(h)) p.add(f, 'not an object');
      else if (oneOf(p, h.source, `${f}.source`, HASH_SOURCES)) {
        if (h.source === 'source_ip') {
          if (h.name !== '') p.add(`${f}.name`, 'must be empty for source_ip');
        } else if (h.source === 'header') headerName(p, h.name, `${f}.name`);
        else if (h.source === 'cookie') text(p, h.name, `${f}.name`, { required: true, pattern: TOKEN, what: 'cookie name' });
        else text(p, h.name, `${f}.name`, { required: true });
      }
    }
  }
  if (!isObject(b.pool)) p.add(`${field}.pool`, 'not an object');
  else {
    for (const key of ['maxConnections', 'maxPendingRequests', 'maxRequests', 'maxRequestsPerConnection', 'maxRetries'] as const) {
      int(p, b.pool[key], `${field}.pool.${key}`, 0, UINT32_MAX);
    }
  }
  if (b.outlier !== undefined) {
    const o = b.outlier;
    const f = `${field}.outlier`;
    if (!isObject(o)) p.add(f, 'not an object');
    else {
      int(p, o.consecutive5xx, `${f}.consecutive5xx`, 0, UINT32_MAX);
      int(p, o.consecutiveGatewayErrors, `${f}.consecutiveGatewayErrors`, 0, UINT32_MAX);
      duration(p, o.intervalMs, `${f}.intervalMs`, 1);
      duration(p, o.baseEjectionMs, `${f}.baseEjectionMs`, 1);
      int(p, o.maxEjectionPercent, `${f}.maxEjectionPercent`, 0, 100);
    }
  }
  text(p, b.policySource, `${field}.policySource`);
}

function config(p: Problems, c: WaypointConfig): void {
  if (!isObject(c)) return void p.add('config', 'not an object');
  text(p, c.namespace, 'namespace', { required: true, maxBytes: 63, pattern: DNS_LABEL, what: 'namespace name' });
  text(p, c.name, 'name', { required: true, maxBytes: 253, pattern: DNS_SUBDOMAIN, what: 'Gateway name' });
  oneOf(p, c.waypointFor, 'waypointFor', WAYPOINT_FOR);
  if (list(p, c.workloads, 'workloads', WAYPOINT_LIMITS.workloads)) {
    c.workloads.forEach((uid, i) => text(p, uid, `workloads[${i}]`, { required: true }));
  }
  const names = new Map<string, number>();
  if (list(p, c.backends, 'backends', WAYPOINT_LIMITS.backends)) {
    c.backends.forEach((b, i) => {
      if (!isObject(b)) return void p.add(`backends[${i}]`, 'not an object');
      backend(p, b, `backends[${i}]`);
      const first = names.get(b.name);
      if (first !== undefined) p.add(`backends[${i}].name`, `${show(String(b.name))} duplicates backends[${first}]`);
      else names.set(b.name, i);
    });
  }
  const known: ReadonlySet<string> = new Set(names.keys());
  if (list(p, c.services, 'services', WAYPOINT_LIMITS.services)) {
    const keys = new Map<string, number>();
    c.services.forEach((s, i) => {
      boundService(p, s, `services[${i}]`, known);
      if (!isObject(s) || typeof s.key !== 'string') return;
      const first = keys.get(s.key);
      if (first !== undefined) p.add(`services[${i}].key`, `${show(String(s.key))} duplicates services[${first}]`);
      else keys.set(s.key, i);
    });
  }
  if (c.security !== undefined) checkSecurity(p, c.security, 'security');
}

/**
 * Every problem of a config (`field.path: why`); empty when it is valid. After `max` problems the
 * walk stops and a last line says so.
 */
export function waypointConfigProblems(c: WaypointConfig, max: number = WAYPOINT_LIMITS.problems): readonly string[] {
  const p = new Problems(Math.max(1, max));
  try {
    config(p, c);
  } catch (err) {
    if (!(err instanceof Stop)) {
      // A value of the wrong shape that slipped past the checks: still a refusal, never a throw.
      p.list.push(`config: malformed value (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return p.list;
}
