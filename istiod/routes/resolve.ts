// Resolving what traffic resources name against the cluster (pure): a host ("reviews",
// "reviews.shop", "reviews.shop.svc", "reviews.shop.svc.cluster.local") to a Service name, the
// Address Service key of a Service, which Service ports a route may apply to (HTTP-ish ports for
// HTTPRoute, gRPC-capable ones for GRPCRoute), a Gateway API backendRef to a Service port (with the
// Gateway API reason when it cannot be), and a VirtualService destination to a Service port.

import type { AppProtocol } from '../../pkg/api/workload-types';
import type { MeshService, MeshServicePort } from '../kube/mesh-types';
import { appProtocolOf } from '../model/app-protocol';
import { isServiceRef } from './gateway-common';
import type { BackendRefSpec, GatewayRouteKind, ParentRefSpec, VsDestination } from './types';

export interface ServiceName {
  readonly namespace: string;
  readonly name: string;
}

export const serviceRef = (s: ServiceName): string => `${s.namespace}/${s.name}`;

/** "<ns>/<name>.<ns>.svc.<domain>": the Address Service key. */
export function serviceKey(s: ServiceName, clusterDomain: string): string {
  return `${s.namespace}/${s.name}.${s.namespace}.svc.${clusterDomain}`;
}

/** The Service a host names, or undefined (wildcards and hosts outside the cluster). */
export function serviceOfHost(host: string, defaultNamespace: string, clusterDomain: string): ServiceName | undefined {
  if (host.includes('*')) return undefined;
  const labels = host.split('.');
  const [name, namespace] = labels;
  if (labels.length === 1 && name) return { namespace: defaultNamespace, name };
  if (!name || !namespace) return undefined;
  if (labels.length === 2) return { namespace, name };
  const rest = labels.slice(2).join('.');
  if (rest === 'svc' || rest === `svc.${clusterDomain}`) return { namespace, name };
  return undefined;
}

/** Transport TCP (ztunnel captures nothing else). */
export function isTcpPort(port: MeshServicePort): boolean {
  return (port.protocol || 'TCP').toUpperCase() === 'TCP';
}

export function portProtocol(port: MeshServicePort): AppProtocol {
  return appProtocolOf(port);
}

const HTTP_ISH: readonly AppProtocol[] = ['HTTP11', 'HTTP2', 'GRPC', 'UNKNOWN'];
const GRPC_ISH: readonly AppProtocol[] = ['GRPC', 'HTTP2'];

/** Whether routes of this kind apply to a port of this protocol. */
export function kindServesProtocol(kind: GatewayRouteKind, protocol: AppProtocol): boolean {
  return (kind === 'HTTPRoute' ? HTTP_ISH : GRPC_ISH).includes(protocol);
}

/** Whether a parentRef selects this Service port (name, port, sectionName = port name). */
export function parentSelectsPort(parent: ParentRefSpec, svc: MeshService, port: MeshServicePort): boolean {
  if (parent.namespace !== svc.namespace || parent.name !== svc.name) return false;
  if (parent.port !== undefined && parent.port !== port.port) return false;
  if (parent.sectionName !== undefined && parent.sectionName !== port.name) return false;
  return true;
}

/** The Service ports a parentRef attaches a route to, or why none. */
export function parentPorts(kind: GatewayRouteKind, parent: ParentRefSpec, svc: MeshService): { readonly ports: MeshServicePort[]; readonly why: string } {
  const selected = svc.ports.filter((p) => isTcpPort(p) && parentSelectsPort(parent, svc, p));
  const ports = selected.filter((p) => kindServesProtocol(kind, portProtocol(p)));
  if (ports.length > 0) return { ports, why: '' };
  if (selected.length === 0) {
    const which = parent.port !== undefined ? `port ${parent.port}` : parent.sectionName !== undefined ? `port named "${parent.sectionName}"` : 'TCP port';
    return { ports, why: `Service ${serviceRef(svc)} has no ${which}` };
  }
  const wants = kind === 'HTTPRoute' ? 'HTTP, HTTP/2, gRPC or undeclared' : 'gRPC or HTTP/2';
  return { ports, why: `a ${kind} applies to ${wants} ports; ${selected.map((p) => `${p.port} is ${portProtocol(p)}`).join(', ')} (set appProtocol or the port name)` };
}

export type RefResolution =
  | { readonly ok: true; readonly service: ServiceName; readonly port: number }
  | { readonly ok: false; readonly reason: 'InvalidKind' | 'RefNotPermitted' | 'BackendNotFound'; readonly message: string };

/** A Gateway API backendRef: a Service of the route's namespace with that port. */
export function resolveBackendRef(ref: BackendRefSpec, routeNamespace: string, lookup: (ns: string, name: string) => MeshService | undefined): RefResolution {
  const what = `${ref.field}: ${ref.kind} ${ref.namespace}/${ref.name}`;
  if (!isServiceRef(ref.group, ref.kind)) {
    return { ok: false, reason: 'InvalidKind', message: `${what}: only Services (core group) can be backends` };
  }
  if (ref.namespace !== routeNamespace) {
    return { ok: false, reason: 'RefNotPermitted', message: `${what}: a backend in another namespace needs a ReferenceGrant, which ambit does not support` };
  }
  const svc = lookup(ref.namespace, ref.name);
  if (!svc) return { ok: false, reason: 'BackendNotFound', message: `${what} not found` };
  if (ref.port === undefined || !svc.ports.some((p) => p.port === ref.port && isTcpPort(p))) {
    return { ok: false, reason: 'BackendNotFound', message: `${what} has no TCP port ${ref.port ?? '(none given)'}` };
  }
  return { ok: true, service: { namespace: ref.namespace, name: ref.name }, port: ref.port };
}

export type DestinationResolution =
  | { readonly ok: true; readonly service: ServiceName; readonly port: number; readonly exists: boolean }
  | { readonly ok: false; readonly message: string };

/**
 * A VirtualService destination, for a request that came to `incoming` (the Service and port the
 * route belongs to). The port defaults to the incoming port for the same Service, else to the
 * target's only port, else to the incoming port number when the target has it. A Service that does
 * not exist still resolves (its backend has no endpoints: 503), flagged `exists: false`.
 */
export function resolveDestination(dest: VsDestination, vsNamespace: string, incoming: { readonly service: ServiceName; readonly port: number } | undefined,
  clusterDomain: string, lookup: (ns: string, name: string) => MeshService | undefined): DestinationResolution {
  const target = serviceOfHost(dest.host, vsNamespace, clusterDomain);
  if (!target) return { ok: false, message: `${dest.field}.host: "${dest.host}" is not a Service of this cluster` };
  const svc = lookup(target.namespace, target.name);
  const tcpPorts = svc ? svc.ports.filter(isTcpPort) : [];
  let port = dest.port;
  if (port === undefined && incoming && serviceRef(incoming.service) === serviceRef(target)) port = incoming.port;
  if (port === undefined && tcpPorts.length === 1) port = tcpPorts[0]?.port;
  if (port === undefined && incoming && (!svc || tcpPorts.some((p) => p.port === incoming.port))) port = incoming.port;
  if (port === undefined) return { ok: false, message: `${dest.field}: Service ${serviceRef(target)} has several ports; set port.number` };
  if (svc && !tcpPorts.some((p) => p.port === port)) {
    return { ok: false, message: `${dest.field}.port.number: Service ${serviceRef(target)} has no TCP port ${port}` };
  }
  return { ok: true, service: target, port, exists: svc !== undefined };
}
