// The inbound decisions (pure, no sockets): for a CONNECT that arrived on one of this node's pod
// addresses (15008), and for captured plaintext (15006) — which local workload and port the
// connection is for, which client address the app should see, and which Service the metrics name.
// Follows reference/istio-ambient.md §2.6 and §2.7 (no waypoint or application-tunnel cases yet).

import type { Service, Workload } from '../../pkg/api/workload-types';
import { unmapIpv4 } from '../../pkg/hbone/authority';
import type { Authority, ForwardedInfo } from '../../pkg/hbone/types';
import { sameIdentity, type SpiffeId } from '../../pkg/identity/spiffe';
import type { StateView } from '../state/types';
import type { PlanSettings } from './outbound-plan';
import { workloadIdentity } from './workload-info';

export interface InboundTunnelRequest {
  /** The address the tunnel arrived on (a local pod's IP). */
  readonly localAddress: string;
  readonly authority: Authority;
  readonly peerIdentity: SpiffeId;
  /** The tunnel's peer socket address (usually the client's node). */
  readonly peerAddress: string;
  readonly forwarded?: ForwardedInfo;
}

export type InboundPlan =
  | {
      readonly kind: 'deliver';
      readonly destination: Workload;
      readonly address: string;
      readonly port: number;
      /** The source address the connection to the app carries (the real client when known). */
      readonly sourceAddress: string;
      /** The client workload, when its address and identity agree. */
      readonly sourceWorkload?: Workload;
      readonly service?: Service;
    }
  | { readonly kind: 'reject'; readonly status: 400 | 503; readonly reason: string; readonly destination?: Workload };

const SELF_CALL = 'attempted recursive call to ourselves';

/** The local workload owning `address`, if it is on this node. */
export function localWorkload(state: StateView, settings: PlanSettings, address: string): Workload | undefined {
  const workload = state.workloadByAddress(unmapIpv4(address));
  return workload && workload.node === settings.nodeName ? workload : undefined;
}

/** The Service a connection to `destination:port` is for: the `forwarded` host, else by target port. */
export function guessService(state: StateView, destination: Workload, port: number, host?: string): Service | undefined {
  const keys = Object.keys(destination.services);
  if (host !== undefined) {
    const key = keys.find((k) => k.endsWith(`/${host}`));
    if (key !== undefined) return state.serviceByKey(key);
  }
  for (const key of keys) {
    if ((destination.services[key] ?? []).some((m) => m.targetPort === port)) return state.serviceByKey(key);
  }
  return undefined;
}

/** `hostname:port` → the target port on `destination`, when it backs that Service; else undefined. */
function hostnameTarget(state: StateView, destination: Workload, host: string, servicePort: number): { service: Service; port: number } | undefined {
  const key = Object.keys(destination.services).find((k) => k.endsWith(`/${host}`));
  if (key === undefined) return undefined;
  const service = state.serviceByKey(key);
  if (!service || service.hostname !== host) return undefined;
  const own = (destination.services[key] ?? []).find((m) => m.servicePort === servicePort);
  const port = own ? own.targetPort : (service.ports.find((p) => p.servicePort === servicePort)?.targetPort ?? 0);
  return port > 0 ? { service, port } : undefined;
}

/** The workload at `address` when it has exactly `identity` (so a peer cannot claim another's address). */
function workloadWithIdentity(state: StateView, address: string | undefined, identity: SpiffeId): Workload | undefined {
  if (address === undefined) return undefined;
  const workload = state.workloadByAddress(address);
  if (!workload) return undefined;
  const id = workloadIdentity(workload);
  return id && sameIdentity(id, identity) ? workload : undefined;
}

/** Decides an inbound HBONE CONNECT. */
export function planInbound(state: StateView, settings: PlanSettings, req: InboundTunnelRequest): InboundPlan {
  const local = unmapIpv4(req.localAddress);
  const destination = localWorkload(state, settings, local);
  if (!destination) return { kind: 'reject', status: 503, reason: `no local workload for ${local}` };

  let port: number;
  let service: Service | undefined;
  if (req.authority.kind === 'hostname') {
    const target = hostnameTarget(state, destination, req.authority.host, req.authority.port);
    if (!target) return { kind: 'reject', status: 400, destination, reason: `target ${req.authority.host}:${req.authority.port} not allowed on ${local}` };
    port = target.port;
    service = target.service;
  } else {
    if (req.authority.host !== local) return { kind: 'reject', status: 400, destination, reason: `target IP ${req.authority.host} not allowed on ${local}` };
    port = req.authority.port;
  }
  if (settings.illegalPorts.has(port)) return { kind: 'reject', status: 400, destination, reason: SELF_CALL };

  // The app sees the real client only when the claimed address belongs to the peer's own identity.
  const claimed = workloadWithIdentity(state, req.forwarded?.forAddress, req.peerIdentity);
  const peerAddress = unmapIpv4(req.peerAddress);
  const sourceWorkload = claimed ?? workloadWithIdentity(state, peerAddress, req.peerIdentity);
  const sourceAddress = claimed ? (req.forwarded?.forAddress as string) : peerAddress;
  service ??= guessService(state, destination, port, req.forwarded?.host);
  return {
    kind: 'deliver',
    destination,
    address: local,
    port,
    sourceAddress,
    ...(sourceWorkload ? { sourceWorkload } : {}),
    ...(service ? { service } : {}),
  };
}

export interface PlaintextInboundRequest {
  /** The original destination (the accepted socket's local address with TPROXY). */
  readonly localAddress: string;
  readonly localPort: number;
  readonly clientIP: string;
}

/** Decides a captured plaintext connection to a local pod (15006). */
export function planPlaintextInbound(state: StateView, settings: PlanSettings, req: PlaintextInboundRequest): InboundPlan {
  const local = unmapIpv4(req.localAddress);
  const destination = localWorkload(state, settings, local);
  if (!destination) return { kind: 'reject', status: 503, reason: `no local workload for ${local}` };
  if (settings.illegalPorts.has(req.localPort)) return { kind: 'reject', status: 400, destination, reason: SELF_CALL };
  const clientIP = unmapIpv4(req.clientIP);
  const sourceWorkload = state.workloadByAddress(clientIP);
  const service = guessService(state, destination, req.localPort);
  return {
    kind: 'deliver',
    destination,
    address: local,
    port: req.localPort,
    sourceAddress: clientIP,
    ...(sourceWorkload ? { sourceWorkload } : {}),
    ...(service ? { service } : {}),
  };
}
