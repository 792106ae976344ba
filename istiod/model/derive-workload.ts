// Kubernetes Pod → `istio.workload.Workload` (pure): which pods get a workload at all, HBONE
// enrollment, identity, telemetry names, owner, health, and the Services the pod backs (selector
// Services in its namespace, plus selector-less Services whose EndpointSlices list it) with the
// target port each service port maps to on this pod, and the workload waypoint it is bound to.

import type { PortMapping, Workload } from '../../pkg/api/workload-types';
import type { MeshEndpointSlice, MeshNamespace, MeshPod, MeshService, MeshServicePort } from '../kube/mesh-types';
import { appProtocolOf } from './app-protocol';
import { waypointOf, type WaypointGateways } from './derive-service';
import { serviceHostname, type ModelSettings } from './settings';
import {
  canonicalName, canonicalRevision, hasSelector, isAmbientEnrolled, selects, workloadNameAndType,
} from './workload-meta';

const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

export function workloadUid(namespace: string, name: string, settings: ModelSettings): string {
  return `${settings.clusterId}//Pod/${namespace}/${name}`;
}

/** Whether a pod is represented at all: it has an IP, its own network, and is not finished or going away. */
export function hasWorkload(pod: MeshPod): boolean {
  return pod.podIPs.length > 0 && !pod.hostNetwork && !pod.deleting && !TERMINAL_PHASES.has(pod.phase ?? '');
}

function namedContainerPort(pod: MeshPod, name: string): number {
  return Object.hasOwn(pod.containerPorts, name) ? pod.containerPorts[name] ?? 0 : 0;
}

function mapPort(pod: MeshPod, port: MeshServicePort, slicePort?: number): PortMapping {
  const targetPort = slicePort ?? (typeof port.targetPort === 'number' ? port.targetPort : namedContainerPort(pod, port.targetPort));
  return { servicePort: port.port, targetPort, appProtocol: appProtocolOf(port) };
}

/** The endpoint of a selector-less Service's slices that stands for this pod (by targetRef, else by address). */
function listsPod(slice: MeshEndpointSlice, pod: MeshPod): boolean {
  return slice.endpoints.some((e) => (e.targetRef
    ? e.targetRef.kind === 'Pod' && e.targetRef.name === pod.name && e.targetRef.namespace === pod.namespace
    : e.addresses.some((a) => pod.podIPs.includes(a))));
}

function selectorlessMappings(pod: MeshPod, service: MeshService, slices: readonly MeshEndpointSlice[]): PortMapping[] | undefined {
  const mine = slices.filter((s) => s.namespace === service.namespace && s.serviceName === service.name && listsPod(s, pod));
  if (mine.length === 0) return undefined;
  // For hand-managed endpoints the slice's port (named like the service port) is the target.
  return service.ports.map((p) => {
    const slicePort = mine.flatMap((s) => s.ports).find((sp) => sp.name === p.name)?.port;
    return mapPort(pod, p, slicePort);
  });
}

export function podServices(pod: MeshPod, services: readonly MeshService[], settings: ModelSettings,
  endpointSlices: readonly MeshEndpointSlice[] = []): Record<string, PortMapping[]> {
  const entries: [string, PortMapping[]][] = [];
  for (const service of services) {
    if (service.type === 'ExternalName') continue;
    let mappings: PortMapping[] | undefined;
    if (hasSelector(service.selector)) {
      if (service.namespace === pod.namespace && selects(service.selector, pod.labels)) mappings = service.ports.map((p) => mapPort(pod, p));
    } else {
      mappings = selectorlessMappings(pod, service, endpointSlices);
    }
    if (mappings) entries.push([`${service.namespace}/${serviceHostname(service.namespace, service.name, settings)}`, mappings]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/**
 * The Workload for a pod, or undefined when the pod has none (no IP, host network, finished or
 * being deleted). `services` may hold any Services (non-matching ones are ignored);
 * `endpointSlices` are only read for selector-less Services; `authorizationPolicies` are the
 * names of the selector policies that select the pod; `gateways` (the known waypoint Gateways)
 * binds the pod to a workload waypoint — without it the pod has none.
 */
export function deriveWorkload(pod: MeshPod, namespace: MeshNamespace | undefined, services: readonly MeshService[],
  settings: ModelSettings, endpointSlices: readonly MeshEndpointSlice[] = [], authorizationPolicies: readonly string[] = [],
  gateways?: WaypointGateways): Workload | undefined {
  if (!hasWorkload(pod)) return undefined;
  const { workloadName, workloadType } = workloadNameAndType(pod);
  const waypoint = gateways && waypointOf('workload', pod.namespace, pod.labels, namespace?.labels ?? {}, gateways, settings);
  return {
    uid: workloadUid(pod.namespace, pod.name, settings),
    name: pod.name,
    namespace: pod.namespace,
    addresses: [...pod.podIPs],
    network: '',
    tunnelProtocol: isAmbientEnrolled(pod, namespace) ? 'HBONE' : 'NONE',
    trustDomain: settings.trustDomain,
    serviceAccount: pod.serviceAccountName,
    ...(waypoint ? { waypoint } : {}),
    node: pod.nodeName ?? '',
    canonicalName: canonicalName(pod.labels, workloadName),
    canonicalRevision: canonicalRevision(pod.labels),
    workloadType,
    workloadName,
    services: podServices(pod, services, settings, endpointSlices),
    authorizationPolicies: [...authorizationPolicies],
    status: pod.ready ? 'HEALTHY' : 'UNHEALTHY',
    clusterId: settings.clusterId,
  };
}
