// Kubernetes Service → `istio.workload.Service` (pure): hostname `<name>.<ns>.svc.<suffix>`,
// ClusterIP(s) as VIPs (none for headless), ports with numeric target ports (0 for named ones,
// resolved per workload instead) and their application protocol. ExternalName Services have no
// Address resource.

import { isIP } from 'node:net';
import type { Service, ServicePort } from '../../pkg/api/workload-types';
import type { MeshService, MeshServicePort } from '../kube/mesh-types';
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

export function deriveService(service: MeshService, settings: ModelSettings): Service | undefined {
  if (service.type === 'ExternalName') return undefined;
  const vips = [...new Set(service.clusterIPs.filter((ip) => isIP(ip) !== 0))];
  return {
    name: service.name,
    namespace: service.namespace,
    hostname: serviceHostname(service.namespace, service.name, settings),
    addresses: vips.map((address) => ({ network: '', address })),
    ports: service.ports.map(servicePortOf),
    subjectAltNames: [],
  };
}
