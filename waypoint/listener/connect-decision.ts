// What the waypoint does with one HBONE CONNECT (pure): its `:authority` resolved against the
// state — bound → serve it as that target, with the client's identity and original address (the
// `forwarded` for-address ztunnel sends, else the tunnel's peer); not bound → refuse with 503 and
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
}

export type ConnectDecision =
  | { readonly kind: 'serve'; readonly target: StreamTarget; readonly peer: StreamPeer }
  | { readonly kind: 'refuse'; readonly status: 503; readonly reason: string; readonly authority: string };

export function decideConnect(view: WaypointView, request: ConnectRequest, self: { readonly namespace: string; readonly name: string }): ConnectDecision {
  const { host, port } = request.authority;
  const target = view.resolveTarget(host, port);
  if (!target) {
    const authority = formatAuthority(host, port);
    return { kind: 'refuse', status: 503, reason: `${authority} is not bound to waypoint ${self.namespace}/${self.name}`, authority };
  }
  const fwd = request.forwarded;
  const peer: StreamPeer = {
    identity: formatSpiffeId(request.peer.identity),
    address: fwd?.forAddress ?? request.peer.address,
    port: fwd?.forAddress !== undefined ? (fwd.forPort ?? 0) : request.peer.port,
  };
  return { kind: 'serve', target, peer };
}
