// One waypoint's WaypointConfig from the cluster view (pure): the Services bound to the Gateway
// (each TCP port with its protocol from appProtocol / port name and its routes), the workloads
// bound to it, every backend those routes use, and the L7 security attached to it
// (security-config.ts; always present). Also returns the namespaces the config was read from, so
// the index rebuilds it only when one of them changes (policies live in the Gateway's or a bound
// Service's namespace; root-namespace GatewayClass policies rebuild every waypoint).

import type { BoundService, PortRoutes, WaypointConfig } from '../../pkg/api/waypoint-types';
import type { WaypointGateway } from '../waypoint/types';
import { BackendTable } from './backends';
import type { ConfigDeps, RouteInputs } from './inputs';
import { isTcpPort, portProtocol, serviceKey, serviceRef } from './resolve';
import { buildWaypointSecurity } from './security-config';
import { portRoutes } from './service-routes';

export interface BuiltConfig {
  readonly config: WaypointConfig;
  readonly deps: ConfigDeps;
}

export function buildWaypointConfig(inputs: RouteInputs, gateway: WaypointGateway): BuiltConfig {
  const key = `${gateway.namespace}/${gateway.name}`;
  const deps: ConfigDeps = { namespaces: new Set([gateway.namespace]), podNamespaces: new Set() };
  const table = new BackendTable(inputs, deps);
  const services: BoundService[] = [];
  const bound = inputs.boundServices(key);
  for (const svc of bound) {
    deps.namespaces.add(svc.namespace);
    const ports: PortRoutes[] = [];
    const seen = new Set<number>();
    for (const port of svc.ports) {
      if (!isTcpPort(port) || seen.has(port.port)) continue;
      seen.add(port.port);
      ports.push(portRoutes(inputs, table, deps, svc, port, portProtocol(port)));
    }
    services.push({ key: serviceKey(svc, inputs.settings.clusterDomain), ports });
  }
  const config: WaypointConfig = {
    namespace: gateway.namespace,
    name: gateway.name,
    waypointFor: gateway.waypointFor,
    services,
    workloads: [...inputs.boundWorkloads(key)],
    backends: table.list(),
    security: buildWaypointSecurity(inputs, gateway, bound.map(serviceRef)),
  };
  return { config, deps };
}
