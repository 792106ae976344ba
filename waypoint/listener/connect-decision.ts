// What the waypoint does with one HBONE CONNECT (pure): its `:authority` resolved against the
// state — bound → serve it as that target, with the client's identity, the host it dialled and its
// original address (the `forwarded` for-address ztunnel sends, honoured only when the workload at
// that address has the peer's identity — so a workload with its own certificate cannot claim
// another's address to dodge ipBlocks — else the tunnel's peer); not bound → refuse with 503 and
// a reason naming the authority and this waypoint.

import { formatAuthority } from '../../pkg/hbone/authority';
import type { ConnectRequest } from '../../pkg/hbone/types';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import type { StreamTarget, WaypointView } from '../state/view';

/** Who sent the stream (what the proxy's `Peer` carries). */
export interface StreamPeer {
  readonly identity?: string;
  readonly address: string;
  readonly port: number;
  /** The host of the CONNECT `:authority` (the VIP or pod IP the client dialled). */
  readonly dialledHost?: string;
}

/** The identity (SPIFFE URI) of the workload at an address, when the state knows one. */
export type AddressIdentity = (ip: string) => string | undefined;

export type ConnectDecision =
  | { readonly kind: 'serve'; readonly target: StreamTarget; readonly peer: StreamPeer }
  | { readonly kind: 'refuse'; readonly status: 503; readonly reason: string; readonly authority: string };

export function decideConnect(
  view: WaypointView, request: ConnectRequest, self: { readonly namespace: string; readonly name: string }, addressIdentity?: AddressIdentity,
): ConnectDecision {
  const { host, port } = request.authority;
  const target = view.resolveTarget(host, port);
  if (!target) {
    const authority = formatAuthority(host, port);
    return { kind: 'refuse', status: 503, reason: `${authority} is not bound to waypoint ${self.namespace}/${self.name}`, authority };
  }
  const fwd = request.forwarded;
  const identity = formatSpiffeId(request.peer.identity);
  const trusted = fwd?.forAddress !== undefined && (addressIdentity === undefined || addressIdentity(fwd.forAddress) === identity);
  const peer: StreamPeer = {
    identity,
    address: trusted && fwd?.forAddress !== undefined ? fwd.forAddress : request.peer.address,
    port: trusted && fwd?.forAddress !== undefined ? (fwd.forPort ?? 0) : request.peer.port,
    dialledHost: host,
  };
  return { kind: 'serve', target, peer };
}
