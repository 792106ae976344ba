// Test support (not used by the waypoint itself): Workload, Service and WaypointConfig values with
// sensible defaults, and their xDS resources encoded with the real codecs, so store, build and
// integration tests feed the waypoint what istiod sends.

import { messageType } from '../../pkg/api/proto-root';
import { WAYPOINT_CONFIG_MESSAGE, encodeWaypointConfig } from '../../pkg/api/waypoint-codec';
import {
  backendName, DEFAULT_CONNECTION_POOL, waypointConfigName,
  type Backend, type BoundService, type PortRoutes, type Route, type WaypointConfig,
} from '../../pkg/api/waypoint-types';
import { encodeAddress } from '../../pkg/api/workload-codec';
import { addressResourceName, type Address, type Service, type Workload } from '../../pkg/api/workload-types';
import { ADDRESS_TYPE_URL, WAYPOINT_CONFIG_TYPE_URL, type XdsResource } from '../../pkg/xds/types';

export function workload(name: string, overrides: Partial<Workload> = {}): Workload {
  const namespace = overrides.namespace ?? 'shop';
  return {
    uid: `Kubernetes//Pod/${namespace}/${name}`,
    name,
    namespace,
    addresses: [],
    network: '',
    tunnelProtocol: 'HBONE',
    trustDomain: 'cluster.local',
    serviceAccount: 'default',
    node: 'node1',
    canonicalName: name,
    canonicalRevision: 'v1',
    workloadType: 'POD',
    workloadName: name,
    services: {},
    authorizationPolicies: [],
    status: 'HEALTHY',
    clusterId: 'Kubernetes',
    ...overrides,
  };
}

export function service(name: string, overrides: Partial<Service> = {}): Service {
  const namespace = overrides.namespace ?? 'shop';
  return {
    name,
    namespace,
    hostname: `${name}.${namespace}.svc.cluster.local`,
    addresses: [],
    ports: [{ servicePort: 80, targetPort: 8080, appProtocol: 'HTTP11' }],
    subjectAltNames: [],
    ...overrides,
  };
}

/** The Address resource istiod would send for a workload or service. */
export function addressResource(value: Workload | Service, version = '1', name?: string): XdsResource {
  const address: Address = 'uid' in value ? { kind: 'workload', workload: value } : { kind: 'service', service: value };
  return { name: name ?? addressResourceName(address), version, aliases: [], resource: { typeUrl: ADDRESS_TYPE_URL, value: encodeAddress(address) } };
}

export function serviceKey(name: string, namespace = 'shop'): string {
  return `${namespace}/${name}.${namespace}.svc.cluster.local`;
}

/** A backend for a Service port (and subset) with default policy. */
export function backend(key: string, port: number, overrides: Partial<Backend> = {}): Backend {
  return {
    name: backendName(key, port, overrides.subset),
    serviceKey: key,
    port,
    lb: { kind: 'round_robin' },
    pool: DEFAULT_CONNECTION_POOL,
    policySource: '',
    ...overrides,
  };
}

/** A route sending every request (or the matched ones) to `backends` by weight. */
export function route(name: string, backends: readonly { readonly backend: string; readonly weight: number }[], overrides: Partial<Route> = {}): Route {
  return { name, matches: [], mirrors: [], backends, ...overrides };
}

export function portRoutes(key: string, port: number, routes: readonly Route[] = [], overrides: Partial<PortRoutes> = {}): PortRoutes {
  return { port, protocol: 'HTTP11', routes, defaultBackend: backendName(key, port), ...overrides };
}

export function boundService(key: string, ports: readonly PortRoutes[]): BoundService {
  return { key, ports };
}

export function waypointConfig(overrides: Partial<WaypointConfig> = {}): WaypointConfig {
  return { namespace: 'shop', name: 'waypoint', waypointFor: 'service', services: [], workloads: [], backends: [], ...overrides };
}

export function configResource(config: WaypointConfig, version = '1', name?: string): XdsResource {
  return {
    name: name ?? waypointConfigName(config),
    version,
    aliases: [],
    resource: { typeUrl: WAYPOINT_CONFIG_TYPE_URL, value: Buffer.from(encodeWaypointConfig(config)) },
  };
}

/** A WaypointConfig resource encoded from a raw protobuf object, unchecked (for invalid configs). */
export function rawConfigResource(name: string, wire: Record<string, unknown>, version = '1'): XdsResource {
  const type = messageType(WAYPOINT_CONFIG_MESSAGE);
  return { name, version, aliases: [], resource: { typeUrl: WAYPOINT_CONFIG_TYPE_URL, value: Buffer.from(type.encode(type.fromObject(wire)).finish()) } };
}

/** A resource whose bytes decode as nothing valid of `typeUrl`. */
export function garbage(name: string, typeUrl: string = ADDRESS_TYPE_URL): XdsResource {
  return { name, version: '1', aliases: [], resource: { typeUrl, value: Buffer.from([0x0a, 0xff, 0xff]) } };
}
