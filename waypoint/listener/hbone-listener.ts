// The waypoint's HBONE listener (connect_terminate): mTLS HTTP/2 CONNECT on 15008 with the
// waypoint's own certificate for every local address; each CONNECT is resolved (connect-decision)
// and either refused with 503 — logged once per authority per minute — or accepted, the stream
// itself handed to the proxy after the 200 (no splice).

import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createHboneServer } from '../../pkg/hbone/server';
import type { ConnectOutcome, ConnectRequest, HboneServer, HboneServerStats } from '../../pkg/hbone/types';
import type { Logger } from '../../pkg/log/logger';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import type { StreamTarget, WaypointView } from '../state/view';
import { decideConnect, type AddressIdentity, type StreamPeer } from './connect-decision';
import { RefusalLog } from './refusal-log';

/** What the listener needs of the L7 proxy (StreamProxy satisfies it). */
export interface StreamServer {
  serve(stream: Duplex, target: StreamTarget, peer: StreamPeer): void;
}

export interface HboneListenerOptions {
  readonly view: WaypointView;
  readonly proxy: StreamServer;
  /** The waypoint's certificate (may wait for the first fetch). */
  readonly certificate: () => Promise<WorkloadCertificate | undefined> | WorkloadCertificate | undefined;
  readonly self: { readonly namespace: string; readonly name: string };
  readonly logger: Logger;
  /** Who the workload at an address is (a `forwarded` for-address is trusted only when it is the peer). */
  readonly addressIdentity?: AddressIdentity;
  /** How long close() lets open tunnels finish after GOAWAY. */
  readonly drainTimeoutMs: number;
}

export interface HboneListener {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** GOAWAY, stop accepting, wait for open tunnels up to the drain deadline, then destroy them. */
  close(): Promise<void>;
  stats(): HboneServerStats & { readonly refused: number };
}

export function startHboneListener(options: HboneListenerOptions): HboneListener {
  const { view, proxy, self, logger } = options;
  const refusals = new RefusalLog((line) => logger.warn(line));
  let refused = 0;
  const onConnect = async (request: ConnectRequest): Promise<ConnectOutcome> => {
    const decision = decideConnect(view, request, self, options.addressIdentity);
    if (decision.kind === 'refuse') {
      refused++;
      refusals.refused(decision.authority, decision.reason);
      return { kind: 'rejected', status: decision.status, reason: decision.reason };
    }
    return { kind: 'accepted', onStream: (stream) => proxy.serve(stream, decision.target, decision.peer) };
  };
  const server: HboneServer = createHboneServer({
    certificateFor: () => options.certificate(),
    onConnect,
    limits: { drainTimeoutMs: options.drainTimeoutMs },
  });
  return {
    listen: (port, host) => server.listen(port, host),
    close: () => server.close(),
    stats: () => ({ ...server.stats(), refused }),
  };
}
