// The lookups a WaypointConfig implies, built once per applied config (pure): bound Service ports
// by Service key, bound Services by hostname (for hostname authorities), bound workload uids, and
// backends by name.

import type { Backend, PortRoutes, WaypointConfig } from '../../pkg/api/waypoint-types';

export interface Bindings {
  /** Service key → Service port → its routes. */
  readonly ports: ReadonlyMap<string, ReadonlyMap<number, PortRoutes>>;
  /** Lower-case hostname → Service key (the first bound Service with that hostname). */
  readonly hostnames: ReadonlyMap<string, string>;
  readonly workloads: ReadonlySet<string>;
  readonly backends: ReadonlyMap<string, Backend>;
}

export const NO_BINDINGS: Bindings = Object.freeze({
  ports: new Map(),
  hostnames: new Map(),
  workloads: new Set<string>(),
  backends: new Map(),
});

/** "<namespace>/<hostname>" → its hostname part. */
export function hostnameOfKey(serviceKey: string): string {
  const slash = serviceKey.indexOf('/');
  return slash < 0 ? serviceKey : serviceKey.slice(slash + 1);
}

export function bindingsOf(config: WaypointConfig | undefined): Bindings {
  if (!config) return NO_BINDINGS;
  const ports = new Map<string, Map<number, PortRoutes>>();
  const hostnames = new Map<string, string>();
  for (const svc of config.services) {
    let byPort = ports.get(svc.key);
    if (!byPort) ports.set(svc.key, (byPort = new Map()));
    for (const p of svc.ports) if (!byPort.has(p.port)) byPort.set(p.port, p);
    const host = hostnameOfKey(svc.key).toLowerCase();
    if (!hostnames.has(host)) hostnames.set(host, svc.key);
  }
  return {
    ports,
    hostnames,
    workloads: new Set(config.workloads),
    backends: new Map(config.backends.map((b) => [b.name, b])),
  };
}
