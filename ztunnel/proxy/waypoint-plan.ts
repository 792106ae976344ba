// Waypoint resolution for the outbound decision (pure, no sockets): a Service's or Workload's
// `waypoint` GatewayAddress → the waypoint pod to tunnel to (one healthy endpoint per connection),
// its identity and HBONE port — or why it cannot be reached, so the caller fails closed.
// reference/istio-ambient.md §2.5 steps 4 and 7, §3.5: a hostname names the waypoint's Service
// (`<namespace>/<hostname>`), an address names a workload or a Service VIP.

import type { GatewayAddress, Service, Workload } from '../../pkg/api/workload-types';
import type { SpiffeId } from '../../pkg/identity/spiffe';
import type { StateView } from '../state/types';
import { serviceSubjectAltNames, workloadAddress, workloadIdentity } from './workload-info';

/** The waypoint pod chosen for one connection. */
export interface WaypointTarget {
  /** `<ns>/<name>` of the waypoint (its Service or workload), as logs and access logs show it. */
  readonly name: string;
  readonly workload: Workload;
  /** Where to dial HBONE: the pod's IP and the GatewayAddress's HBONE port. */
  readonly address: string;
  readonly port: number;
  readonly identity: SpiffeId;
  /** The pod's identity first, then the waypoint Service's subject alt names. */
  readonly expectedIdentities: readonly SpiffeId[];
}

export type WaypointResolution =
  | { readonly kind: 'resolved'; readonly target: WaypointTarget }
  /** The binding cannot be honoured: refuse the connection (never bypass the waypoint). */
  | { readonly kind: 'failed'; readonly name: string; readonly problem: string };

/** The waypoint's workloads as named by its GatewayAddress (healthy or not), or why there are none. */
type Members =
  | { readonly name: string; readonly workloads: readonly Workload[]; readonly service?: Service }
  | { readonly name: string; readonly problem: string };

function serviceMembers(state: StateView, service: Service): Members {
  const key = `${service.namespace}/${service.hostname}`;
  return { name: `${service.namespace}/${service.name}`, service, workloads: state.endpointsOf(key).map((ep) => ep.workload) };
}

function membersOf(state: StateView, gateway: GatewayAddress, network: string): Members {
  if (gateway.kind === 'hostname') {
    const { namespace, hostname } = gateway.hostname;
    const service = state.serviceByKey(`${namespace}/${hostname}`);
    if (!service) return { name: `${namespace}/${hostname}`, problem: 'is not a known Service' };
    return serviceMembers(state, service);
  }
  const { address } = gateway.address;
  if (gateway.address.network !== network) {
    return { name: address, problem: `is on network "${gateway.address.network}" (multi-network waypoints are not supported)` };
  }
  const workload = state.workloadByAddress(address);
  if (workload) return { name: `${workload.namespace}/${workload.name}`, workloads: [workload] };
  const service = state.serviceByVip(address);
  if (service) return serviceMembers(state, service);
  return { name: address, problem: 'is not a known workload or Service address' };
}

/**
 * True when `source` is one of the workloads the GatewayAddress names: traffic the waypoint itself
 * sends must not be sent back to it (§2.5 step 7). Membership by workload, never by shared identity.
 */
export function isWaypointOf(state: StateView, gateway: GatewayAddress, source: Workload): boolean {
  const members = membersOf(state, gateway, source.network);
  return 'workloads' in members && members.workloads.some((w) => w.uid === source.uid);
}

/**
 * Picks a waypoint pod for one connection from `source`: a healthy workload with an address and a
 * valid identity on the source's network, at random. The waypoint pod's own tunnel protocol and
 * node do not matter: waypoints terminate HBONE themselves, so it is always an HBONE dial.
 */
export function resolveWaypoint(
  state: StateView,
  gateway: GatewayAddress,
  source: Workload,
  defaultHbonePort: number,
  random: () => number,
): WaypointResolution {
  const members = membersOf(state, gateway, source.network);
  if ('problem' in members) return { kind: 'failed', name: members.name, problem: members.problem };
  const candidates: { workload: Workload; address: string; identity: SpiffeId }[] = [];
  for (const workload of members.workloads) {
    if (workload.status !== 'HEALTHY' || workload.network !== source.network) continue;
    const address = workloadAddress(workload);
    const identity = workloadIdentity(workload);
    if (address !== undefined && identity !== undefined) candidates.push({ workload, address, identity });
  }
  if (candidates.length === 0) return { kind: 'failed', name: members.name, problem: 'has no ready endpoints' };
  const chosen = candidates[Math.min(candidates.length - 1, Math.floor(random() * candidates.length))] as (typeof candidates)[number];
  const sans = members.service ? serviceSubjectAltNames(members.service) : [];
  return {
    kind: 'resolved',
    target: {
      name: members.name,
      workload: chosen.workload,
      address: chosen.address,
      port: gateway.hboneMtlsPort > 0 ? gateway.hboneMtlsPort : defaultHbonePort,
      identity: chosen.identity,
      expectedIdentities: [chosen.identity, ...sans],
    },
  };
}
