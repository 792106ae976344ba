// The outbound decision (pure, no sockets): given the state, this node and a captured connection
// (client IP → original destination), say what to do with it — an HBONE tunnel to another node,
// in-process delivery to a pod on this node, plain TCP passthrough, or a refusal with a reason.
// Follows ztunnel's outbound procedure (reference/istio-ambient.md §2.5) minus multi-network: a
// destination bound to a waypoint (a Service VIP whose Service has one, or a pod IP whose Workload
// has one) is tunnelled to a waypoint pod with the original address as `:authority`, and refused —
// never delivered directly — when the waypoint cannot be resolved (we fail closed; Istio bypasses).

import { isIPv4, isIPv6 } from 'node:net';
import type { GatewayAddress, Service, Workload } from '../../pkg/api/workload-types';
import { formatAuthority, unmapIpv4 } from '../../pkg/hbone/authority';
import type { SpiffeId } from '../../pkg/identity/spiffe';
import type { ProxySettings } from './types';
import type { StateView } from '../state/types';
import { resolveWaypoint, isWaypointOf } from './waypoint-plan';
import { serviceSubjectAltNames, workloadAddress, workloadIdentity } from './workload-info';

/** ztunnel's own well-known ports: a target on one of them would be a call to ourselves. */
export const WELL_KNOWN_ILLEGAL_PORTS: readonly number[] = Object.freeze([15001, 15006, 15008, 15080]);
/** Node-agent ports never reachable through the proxy on the node's own addresses (admin, metrics, readiness, DNS). */
const AGENT_PORTS: readonly number[] = Object.freeze([15000, 15020, 15021, 15053]);

/** What the planner needs from the settings, derived once. */
export interface PlanSettings {
  readonly nodeName: string;
  readonly nodeIP: string;
  /** Port HBONE is dialled on at the destination. */
  readonly hbonePort: number;
  /** Ports no tunnel or delivery may target (our own listeners). */
  readonly illegalPorts: ReadonlySet<number>;
  /** Ports refused on loopback and on the node's own IP: the illegal ones plus admin/metrics/readiness/DNS. */
  readonly agentPorts: ReadonlySet<number>;
}

/** The planner's settings; `boundPorts` adds the ports the listeners actually got (when configured as 0). */
export function planSettingsFrom(settings: ProxySettings, boundPorts: readonly number[] = []): PlanSettings {
  const illegal = new Set<number>(WELL_KNOWN_ILLEGAL_PORTS);
  for (const port of [settings.ports.outbound, settings.ports.inboundPlaintext, settings.ports.inbound, settings.ports.socks5, ...boundPorts]) {
    if (port !== undefined && port > 0) illegal.add(port);
  }
  const agent = new Set<number>([...illegal, ...AGENT_PORTS]);
  return Object.freeze({ nodeName: settings.nodeName, nodeIP: unmapIpv4(settings.nodeIP), hbonePort: settings.hbonePort, illegalPorts: illegal, agentPorts: agent });
}

export interface OutboundConnection {
  readonly sourceIP: string;
  readonly destIP: string;
  readonly destPort: number;
}

/** The waypoint a connection is sent through: `<ns>/<name>` and what bound it. */
export interface WaypointHop {
  readonly name: string;
  /** `service`: the Service's waypoint (VIP dialled); `workload`: the pod's own waypoint (pod IP dialled). */
  readonly scope: 'service' | 'workload';
}

/** Why a waypoint-bound destination was refused (the words of the log line, and its rate-limit key). */
export interface WaypointFailure {
  /** What the client dialled, e.g. `shop/reviews.shop.svc.cluster.local:9080`. */
  readonly subject: string;
  /** The Service key or workload `<ns>/<name>` the binding belongs to (port left out). */
  readonly bound: string;
  /** The waypoint as named by the binding, `<ns>/<name-or-host>` (or its IP). */
  readonly waypoint: string;
  /** e.g. `has no ready endpoints`. */
  readonly problem: string;
}

export type OutboundPlan =
  /** Tunnel to the destination's node (or its waypoint): HBONE to `hboneAddress`, CONNECT `authority`. */
  | {
      readonly kind: 'hbone';
      readonly source: Workload;
      readonly sourceIdentity: SpiffeId;
      /** The next hop's workload: the destination pod, or the waypoint pod when `waypoint` is set. */
      readonly destination: Workload;
      /** The Service the client dialled (by VIP), if any — also when going through its waypoint. */
      readonly service?: Service;
      readonly hboneAddress: { readonly address: string; readonly port: number };
      /** `podIP:targetPort`; through a waypoint, the original `VIP:port` or `podIP:port`. */
      readonly authority: string;
      readonly targetAddress: string;
      readonly targetPort: number;
      /** The next hop's identity (the waypoint's when going through one). */
      readonly expectedIdentity: SpiffeId;
      /** The identity first, then the Service's subject alt names: the peer must present one of them. */
      readonly expectedIdentities: readonly SpiffeId[];
      /** Set when the connection goes through a waypoint. */
      readonly waypoint?: WaypointHop;
    }
  /** The destination is an HBONE workload on this node: deliver in-process (no network hop). */
  | {
      readonly kind: 'local';
      readonly source: Workload;
      readonly sourceIdentity: SpiffeId;
      readonly destination: Workload;
      readonly service?: Service;
      readonly targetAddress: string;
      readonly targetPort: number;
      readonly expectedIdentity: SpiffeId;
    }
  /** Not in the mesh (unknown address, or a workload without HBONE): plain TCP to the target. */
  | {
      readonly kind: 'passthrough';
      readonly source: Workload;
      readonly address: string;
      readonly port: number;
      readonly destination?: Workload;
      readonly service?: Service;
    }
  | {
      readonly kind: 'deny';
      readonly reason: string;
      readonly source?: Workload;
      readonly service?: Service;
      /** The workload dialled by pod IP, when known (telemetry). */
      readonly destination?: Workload;
      /** Set when the destination is bound to a waypoint that cannot be reached (fail closed). */
      readonly waypoint?: WaypointFailure;
    };

const SELF_CALL = 'attempted recursive call to ourselves';

function isLoopback(ip: string): boolean {
  return (isIPv4(ip) && ip.startsWith('127.')) || ip === '::1';
}

function isUnspecified(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::' || !(isIPv4(ip) || isIPv6(ip));
}

/** The target port of `servicePort` on one endpoint: its own mapping, else the Service's number. */
function endpointTargetPort(service: Service, mappings: readonly { servicePort: number; targetPort: number }[], servicePort: number): number {
  const own = mappings.find((m) => m.servicePort === servicePort);
  if (own) return own.targetPort; // 0: a named port this workload does not resolve
  return service.ports.find((p) => p.servicePort === servicePort)?.targetPort ?? 0;
}

type Upstream = { readonly workload: Workload; readonly address: string; readonly port: number } | { readonly deny: string };

/** Picks an endpoint of `service` for `port`: healthy ones with a resolvable port, at random. */
function pickEndpoint(state: StateView, service: Service, port: number, random: () => number): Upstream {
  const key = `${service.namespace}/${service.hostname}`;
  const healthy = state.endpointsOf(key).filter((ep) => ep.workload.status === 'HEALTHY');
  if (healthy.length === 0) return { deny: `no healthy upstream for ${service.hostname}:${port}` };
  const candidates: { workload: Workload; address: string; port: number }[] = [];
  for (const ep of healthy) {
    const address = workloadAddress(ep.workload);
    const target = endpointTargetPort(service, ep.ports, port);
    if (address !== undefined && target > 0) candidates.push({ workload: ep.workload, address, port: target });
  }
  if (candidates.length === 0) return { deny: `service ${service.hostname} found, but cannot resolve port ${port}` };
  const index = Math.min(candidates.length - 1, Math.floor(random() * candidates.length));
  return candidates[index] as Upstream;
}

/** Decides what to do with one captured outbound connection. `random` ∈ [0, 1) picks endpoints. */
export function planOutbound(state: StateView, settings: PlanSettings, conn: OutboundConnection, random: () => number = Math.random): OutboundPlan {
  const sourceIP = unmapIpv4(conn.sourceIP);
  const destIP = unmapIpv4(conn.destIP);
  const source = state.workloadByAddress(sourceIP);
  if (!source) return { kind: 'deny', reason: `no workload is known for source address ${sourceIP}` };
  if (source.node !== settings.nodeName) return { kind: 'deny', source, reason: `source workload ${source.namespace}/${source.name} is not on this node` };
  if (isUnspecified(destIP)) return { kind: 'deny', source, reason: `destination ${destIP} is not a usable address` };
  // Loopback is never captured; it only comes in through SOCKS5, and must not reach the agent itself.
  if ((isLoopback(destIP) || destIP === settings.nodeIP) && settings.agentPorts.has(conn.destPort)) return { kind: 'deny', source, reason: SELF_CALL };

  let destination: Workload;
  let targetAddress: string;
  let targetPort: number;
  let service: Service | undefined;
  const direct = state.workloadByAddress(destIP);
  if (direct) {
    // A pod's own waypoint (§2.5 step 7), unless the waypoint itself is the one sending.
    if (direct.waypoint && !isWaypointOf(state, direct.waypoint, source)) {
      const bound = `${direct.namespace}/${direct.name}`;
      const subject = `${bound} (${formatAuthority(destIP, conn.destPort)})`;
      return viaWaypoint(state, settings, source, direct.waypoint, { scope: 'workload', subject, bound, destination: direct }, conn, random);
    }
    destination = direct;
    targetAddress = destIP;
    targetPort = conn.destPort;
  } else {
    service = state.serviceByVip(destIP);
    if (!service) return { kind: 'passthrough', source, address: destIP, port: conn.destPort };
    // The Service's waypoint (§2.5 step 4): no endpoint choice here, the waypoint balances.
    if (service.waypoint) {
      const bound = `${service.namespace}/${service.hostname}`;
      return viaWaypoint(state, settings, source, service.waypoint, { scope: 'service', subject: `${bound}:${conn.destPort}`, bound, service }, conn, random);
    }
    const upstream = pickEndpoint(state, service, conn.destPort, random);
    if ('deny' in upstream) return { kind: 'deny', source, service, reason: upstream.deny };
    destination = upstream.workload;
    targetAddress = upstream.address;
    targetPort = upstream.port;
  }
  const withService = service ? { service } : {};

  if (destination.tunnelProtocol !== 'HBONE') {
    return { kind: 'passthrough', source, destination, ...withService, address: targetAddress, port: targetPort };
  }
  if (settings.illegalPorts.has(targetPort)) return { kind: 'deny', source, ...withService, reason: SELF_CALL };
  const expectedIdentity = workloadIdentity(destination);
  if (!expectedIdentity) {
    return { kind: 'deny', source, ...withService, reason: `destination workload ${destination.namespace}/${destination.name} has no valid identity` };
  }
  const sourceIdentity = workloadIdentity(source);
  if (!sourceIdentity) return { kind: 'deny', source, ...withService, reason: `source workload ${source.namespace}/${source.name} has no valid identity` };
  if (destination.node === settings.nodeName) {
    return { kind: 'local', source, sourceIdentity, destination, ...withService, targetAddress, targetPort, expectedIdentity };
  }
  const sans = service ? serviceSubjectAltNames(service) : [];
  return {
    kind: 'hbone',
    source,
    sourceIdentity,
    destination,
    ...withService,
    hboneAddress: { address: targetAddress, port: settings.hbonePort },
    authority: formatAuthority(targetAddress, targetPort),
    targetAddress,
    targetPort,
    expectedIdentity,
    expectedIdentities: sans.length > 0 ? [expectedIdentity, ...sans] : [expectedIdentity],
  };
}

interface Binding {
  readonly scope: WaypointHop['scope'];
  readonly subject: string;
  readonly bound: string;
  readonly service?: Service;
  readonly destination?: Workload;
}

/** HBONE to a pod of the waypoint with the original address as authority, or a fail-closed refusal. */
function viaWaypoint(
  state: StateView,
  settings: PlanSettings,
  source: Workload,
  gateway: GatewayAddress,
  binding: Binding,
  conn: OutboundConnection,
  random: () => number,
): OutboundPlan {
  const destIP = unmapIpv4(conn.destIP);
  const context = { ...(binding.service ? { service: binding.service } : {}), ...(binding.destination ? { destination: binding.destination } : {}) };
  const resolution = resolveWaypoint(state, gateway, source, settings.hbonePort, random);
  if (resolution.kind === 'failed') {
    const { name: waypoint, problem } = resolution;
    return {
      kind: 'deny',
      source,
      ...context,
      waypoint: { subject: binding.subject, bound: binding.bound, waypoint, problem },
      reason: `${binding.subject} is bound to waypoint ${waypoint}, which ${problem}; refusing (fail closed)`,
    };
  }
  const { target } = resolution;
  const sourceIdentity = workloadIdentity(source);
  if (!sourceIdentity) return { kind: 'deny', source, ...context, reason: `source workload ${source.namespace}/${source.name} has no valid identity` };
  return {
    kind: 'hbone',
    source,
    sourceIdentity,
    destination: target.workload,
    ...(binding.service ? { service: binding.service } : {}),
    hboneAddress: { address: target.address, port: target.port },
    authority: formatAuthority(destIP, conn.destPort),
    targetAddress: destIP,
    targetPort: conn.destPort,
    expectedIdentity: target.identity,
    expectedIdentities: target.expectedIdentities,
    waypoint: { name: target.name, scope: binding.scope },
  };
}

/** A Service by its FQDN `<name>.<ns>.svc.<domain>` (the namespace is the second label). */
export function serviceByHostname(state: StateView, host: string): Service | undefined {
  const labels = host.toLowerCase().split('.');
  if (labels.length < 4 || labels[2] !== 'svc') return undefined;
  const service = state.serviceByKey(`${labels[1]}/${host.toLowerCase()}`);
  return service && service.hostname === host.toLowerCase() ? service : undefined;
}
