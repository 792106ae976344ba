// What the waypoint's admin port shows at /config_dump (JSON, camelCase): who it is, the
// WaypointConfig in force, the Services bound to it (with their VIPs and routes by name), every
// backend with its endpoints and their health, the bound workloads, the Authorization policies
// held, the JWKS key sets of RequestAuthentication (the L7 policies themselves are in the
// config), the certificate state, the loaded settings, and xDS, proxy and HBONE statistics. Pure.

import type { Backend, WaypointConfig } from '../../pkg/api/waypoint-types';
import type { Service, Workload } from '../../pkg/api/workload-types';
import type { CertificateSnapshot } from '../../pkg/certs/cert-manager';
import type { Endpoint } from '../state/view';

export interface DumpSources {
  readonly self: { readonly namespace: string; readonly name: string; readonly identity: string };
  readonly state: {
    config(): WaypointConfig | undefined;
    endpoints(backend: Backend): readonly Endpoint[];
    serviceByKey(key: string): Service | undefined;
    workloadByUid(uid: string): Workload | undefined;
    readonly version: number;
  };
  readonly certificates: { snapshot(): readonly CertificateSnapshot[] };
  /** The loaded settings (shown as is). */
  readonly settings: unknown;
  policies(): readonly unknown[];
  /** Key sets of the RequestAuthentication rules in force (source, keys, last fetch, error). */
  jwks?(): readonly unknown[];
  xds(): unknown;
  proxy(): unknown;
  hbone(): unknown;
}

function endpointView(e: Endpoint): Record<string, unknown> {
  return { uid: e.uid, workload: e.workloadName, namespace: e.namespace, address: e.ip, targetPort: e.targetPort, identity: e.identity, tunnel: e.tunnel, healthy: e.healthy };
}

export function configDump(sources: DumpSources): Record<string, unknown> {
  const { state } = sources;
  const config = state.config();
  const services = (config?.services ?? []).map((bound) => {
    const svc = state.serviceByKey(bound.key);
    return {
      key: bound.key,
      known: svc !== undefined,
      ...(svc ? { name: svc.name, namespace: svc.namespace, hostname: svc.hostname, vips: svc.addresses.map((a) => a.address) } : {}),
      ports: bound.ports.map((p) => ({ port: p.port, protocol: p.protocol, routes: p.routes.map((r) => r.name), defaultBackend: p.defaultBackend })),
    };
  });
  const backends = (config?.backends ?? []).map((b) => {
    const endpoints = state.endpoints(b);
    return { ...b, healthyEndpoints: endpoints.filter((e) => e.healthy).length, endpoints: endpoints.map(endpointView) };
  });
  const workloads = (config?.workloads ?? []).map((uid) => {
    const w = state.workloadByUid(uid);
    return { uid, known: w !== undefined, ...(w ? { addresses: w.addresses, healthy: w.status === 'HEALTHY' } : {}) };
  });
  return {
    waypoint: sources.self,
    config: config ?? null,
    services,
    backends,
    workloads,
    authorizationPolicies: sources.policies(),
    jwks: sources.jwks?.() ?? [],
    certificates: sources.certificates.snapshot(),
    settings: sources.settings,
    xds: sources.xds(),
    proxy: sources.proxy(),
    hbone: sources.hbone(),
    version: state.version,
  };
}
