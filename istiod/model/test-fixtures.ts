// Test support: builders for MeshKube plain data (pods, services, namespaces, EndpointSlices) with
// realistic defaults, so tests state only what they are about.

import type { MeshEndpointSlice, MeshNamespace, MeshPod, MeshService } from '../kube/mesh-types';
import { modelSettings, type ModelSettings } from './settings';

export const SETTINGS: ModelSettings = modelSettings({ trustDomain: 'cluster.local' });

export function ns(name: string, labels: Record<string, string> = {}): MeshNamespace {
  return { name, labels };
}

export function pod(namespace: string, name: string, over: Partial<MeshPod> = {}): MeshPod {
  return {
    namespace, name, uid: `uid-${namespace}-${name}`,
    labels: { app: 'web' }, annotations: {},
    serviceAccountName: 'web', nodeName: 'node-1', hostNetwork: false,
    podIPs: ['198.18.1.10'], phase: 'Running', ready: true,
    containerPorts: { http: 8080 }, ownerReferences: [], deleting: false,
    ...over,
  };
}

export function service(namespace: string, name: string, over: Partial<MeshService> = {}): MeshService {
  return {
    namespace, name, labels: {}, selector: { app: 'web' }, clusterIPs: ['198.19.0.10'], type: 'ClusterIP',
    ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    ...over,
  };
}

export function slice(namespace: string, name: string, serviceName: string, over: Partial<MeshEndpointSlice> = {}): MeshEndpointSlice {
  return { namespace, name, serviceName, addressType: 'IPv4', endpoints: [], ports: [], ...over };
}
