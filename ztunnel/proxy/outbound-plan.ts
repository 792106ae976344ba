// The outbound decision (pure, no sockets): given the state, this node and a captured connection
// (client IP → original destination), say what to do with it — an HBONE tunnel to another node,
// in-process delivery to a pod on this node, plain TCP passthrough, or a refusal with a reason.
// Follows ztunnel's outbound procedure (reference/istio-ambient.md §2.5) minus waypoints and
// multi-network, which later issues add as new plan kinds.

import { isIPv4, isIPv6 } from 'node:net';
import type { Service, Workload } from '../../pkg/api/workload-types';
import { formatAuthority, unmapIpv4 } from '../../pkg/hbone/authority';
import type { SpiffeId } from '../../pkg/identity/spiffe';
import type { ProxySettings } from './types';
import type { StateView } from '../state/types';
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

export type OutboundPlan =
  /** Tunnel to the destination's node: HBONE to `hboneAddress`, CONNECT `authority`. */
  | {
      readonly kind: 'hbone';
      readonly source: Workload;
      readonly sourceIdentity: SpiffeId;
      readonly destination: Workload;
      /** The Service the client dialled (by VIP), if any. */
      readonly service?: Service;
      readonly hboneAddress: { readonly address: string; readonly port: number };
      /** `podIP:targetPort`. */
      readonly authority: string;
      readonly targetAddress: string;
      readonly targetPort: number;
      /** The destination workload's identity. */
      readonly expectedIdentity: SpiffeId;
      /** The identity first, then the Service's subject alt names: the peer must present one of them. */
      readonly expectedIdentities: readonly SpiffeId[];
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
  | { readonly kind: 'deny'; readonly reason: string; readonly source?: Workload; readonly service?: Service };

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
    destination = direct;
    targetAddress = destIP;
    targetPort = conn.destPort;
  } else {
    service = state.serviceByVip(destIP);
    if (!service) return { kind: 'passthrough', source, address: destIP, port: conn.destPort };
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

/** A Service by its FQDN `<name>.<ns>.svc.<domain>` (the namespace is the second label). */
export function serviceByHostname(state: StateView, host: string): Service | undefined {
  const labels = host.toLowerCase().split('.');
  if (labels.length < 4 || labels[2] !== 'svc') return undefined;
  const service = state.serviceByKey(`${labels[1]}/${host.toLowerCase()}`);
  return service && service.hostname === host.toLowerCase() ? service : undefined;
}
