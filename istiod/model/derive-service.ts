// Kubernetes Service → `istio.workload.Service` (pure): hostname `<name>.<ns>.svc.<suffix>`,
// ClusterIP(s) as VIPs (none for headless), ports with numeric target ports (0 for named ones,
// resolved per workload instead) and their application protocol, and the waypoint the Service is
// bound to (istio.io/use-waypoint on it or its namespace; a binding to a waypoint istiod does not
// know still applies, so ztunnel refuses the traffic rather than skipping the waypoint).
// ExternalName Services have no Address resource.

import { isIP } from 'node:net';
import type { GatewayAddress, Service, ServicePort } from '../../pkg/api/workload-types';
import type { Labels, MeshService, MeshServicePort } from '../kube/mesh-types';
import { boundWaypoint, waypointGatewayAddress, type BindingKind } from '../waypoint/binding';
import type { WaypointGateway } from '../waypoint/types';
import { appProtocolOf } from './app-protocol';
import { serviceHostname, type ModelSettings } from './settings';

export function servicePortOf(port: MeshServicePort): ServicePort {
  return {
    servicePort: port.port,
    targetPort: typeof port.targetPort === 'number' ? port.targetPort : 0,
    appProtocol: appProtocolOf(port),
  };
}

/** The xDS resource name of a Service: `<ns>/<hostname>`. */
export function serviceResourceName(namespace: string, name: string, settings: ModelSettings): string {
  return `${namespace}/${serviceHostname(namespace, name, settings)}`;
}

/** The waypoint Gateways istiod knows, by "<namespace>/<name>" (the waypoint controller's directory). */
export type WaypointGateways = ReadonlyMap<string, WaypointGateway>;

/** The `waypoint` of a Service or workload of `namespace` with `labels`, or undefined when it has none. */
export function waypointOf(kind: BindingKind, namespace: string, labels: Labels, namespaceLabels: Labels,
  gateways: WaypointGateways, settings: ModelSettings): GatewayAddress | undefined {
  const binding = boundWaypoint(kind, namespace, labels, namespaceLabels, gateways);
  return binding && waypointGatewayAddress(binding.waypoint, settings.domainSuffix);
}

/** `waypoints` (its namespace's labels and the known Gateways) binds the Service to a waypoint; without it none. */
export function deriveService(service: MeshService, settings: ModelSettings,
  waypoints?: { readonly namespaceLabels: Labels; readonly gateways: WaypointGateways }): Service | undefined {
  if (service.type === 'ExternalName') return undefined;
  const vips = [...new Set(service.clusterIPs.filter((ip) => isIP(ip) !== 0))];
  const waypoint = waypoints && waypointOf('service', service.namespace, service.labels, waypoints.namespaceLabels, waypoints.gateways, settings);
  return {
    name: service.name,
    namespace: service.namespace,
    hostname: serviceHostname(service.namespace, service.name, settings),
    addresses: vips.map((address) => ({ network: '', address })),
    ports: service.ports.map(servicePortOf),
    subjectAltNames: [],
    ...(waypoint ? { waypoint } : {}),
  };
}
