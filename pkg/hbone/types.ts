// The HBONE contract shared by ztunnel and the waypoint: what the server hands to its connect
// handler, what the handler answers, what a client asks the pool for, and the tunables with
// their defaults (ztunnel's numbers).

import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SpiffeId } from '../identity/spiffe';
import type { WorkloadCertificate } from '../tls/workload-cert';

/** The well-known HBONE port. */
export const HBONE_PORT = 15008;

/** A parsed `:authority`: an IP literal (IPv6 without brackets) or a hostname, and a port. */
export interface Authority {
  readonly kind: 'ipv4' | 'ipv6' | 'hostname';
  readonly host: string;
  readonly port: number;
}

/** `forwarded: for="<ip>:<port>";host=<fqdn>` as received. */
export interface ForwardedInfo {
  readonly forAddress?: string;
  readonly forPort?: number;
  readonly host?: string;
}

export interface ConnectRequest {
  readonly authority: Authority;
  /** The address and port the TLS connection arrived on (which workload it is for). */
  readonly localAddress: string;
  readonly localPort: number;
  /** The verified client: identity from its certificate, address from the socket. */
  readonly peer: { readonly identity: SpiffeId; readonly address: string; readonly port: number };
  readonly forwarded?: ForwardedInfo;
  /** Baggage entries (`k8s.namespace.name` etc.), parsed; unknown keys kept. */
  readonly baggage: ReadonlyMap<string, string>;
  readonly traceparent?: string;
  /** Aborted when the client resets or the connection dies before the handler answers. */
  readonly signal: AbortSignal;
}

export type ConnectOutcome =
  /** The server answers 200 and splices the stream to `upstream` (ztunnel). */
  | { readonly kind: 'connected'; readonly upstream: Duplex; readonly responseBaggage?: string }
  /**
   * The server answers 200 and hands the CONNECT stream itself (bytes both ways, half-close
   * carried) to `onStream`, which then owns it (a waypoint terminating the tunnel). Not called
   * when the client went away before the answer.
   */
  | { readonly kind: 'accepted'; readonly onStream: (stream: Duplex) => void; readonly responseBaggage?: string }
  | { readonly kind: 'rejected'; readonly status: 400 | 401 | 503; readonly reason: string };

export type ConnectHandler = (request: ConnectRequest) => Promise<ConnectOutcome>;

export interface HboneServerOptions {
  /**
   * The certificate for connections arriving on `localAddress` (may wait for a fetch; the
   * connection is held meanwhile, up to the handshake timeout); undefined closes the connection.
   */
  readonly certificateFor: (localAddress: string) => WorkloadCertificate | undefined | Promise<WorkloadCertificate | undefined>;
  readonly onConnect: ConnectHandler;
  readonly limits?: Partial<HboneServerLimits>;
}

export interface HboneServerLimits {
  readonly maxConcurrentStreams: number; // 200
  readonly maxHeaderListBytes: number; // 64 KiB
  readonly streamWindowBytes: number; // 4 MiB
  readonly connectionWindowBytes: number; // 16 MiB
  readonly maxFrameBytes: number; // 1 MiB
  readonly pingIntervalMs: number; // 10 s
  readonly pingTimeoutMs: number; // 20 s
  readonly handshakeTimeoutMs: number; // 10 s
  readonly maxConnections: number;
  /** A tunnel with one direction finished and no bytes for this long is torn down (10 min). */
  readonly halfClosedIdleTimeoutMs?: number;
  /** Streams reset before the server answered, per connection, tolerated in the window (100). */
  readonly maxPrematureResets?: number;
  /** The sliding window for counting premature resets (10 s). */
  readonly prematureResetWindowMs?: number;
  /** How long `close()` waits for open tunnels after GOAWAY before destroying them (5 s). */
  readonly drainTimeoutMs?: number;
}

/** What a client asks the pool for: one tunnelled stream. */
export interface HboneDialRequest {
  /** The source workload's certificate (its identity is part of the pool key). */
  readonly source: WorkloadCertificate;
  /** Local address to dial from (optional). */
  readonly sourceAddress?: string;
  /** Where the HBONE server listens, e.g. podIP:15008. */
  readonly destination: { readonly address: string; readonly port: number };
  /** The server must present exactly one of these identities. */
  readonly expectedIdentities: readonly SpiffeId[];
  /** The `:authority`, e.g. `198.18.1.5:8080` or `[fd00::5]:8080`. */
  readonly authority: string;
  /** Extra request headers (forwarded, baggage, traceparent). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** A tunnelled stream: raw bytes both ways, half-close carried end to end. */
export interface HboneStream {
  readonly stream: Duplex;
  /** Headers of the server's 200 (e.g. its baggage). */
  readonly responseHeaders: Readonly<Record<string, string | string[] | undefined>>;
}

export interface HbonePoolOptions {
  readonly maxStreamsPerConnection: number; // 100
  readonly idleTimeoutMs: number; // 5 min
  readonly pingIntervalMs: number; // 10 s
  readonly pingTimeoutMs: number; // 20 s
  readonly connectTimeoutMs: number; // 10 s
  readonly streamWindowBytes: number; // 4 MiB
  readonly connectionWindowBytes: number; // 16 MiB
  readonly maxFrameBytes: number; // 1 MiB
}

export interface HbonePoolStats {
  readonly connections: number;
  readonly activeStreams: number;
  readonly connectionsOpened: number;
}


// ---- Server surface and statistics (added by pkg/hbone). ----

export interface HboneServerStats {
  /** Accepted sockets that are not (yet) an HTTP/2 session: waiting for a certificate or TLS. */
  readonly pendingSockets: number;
  /** Live HTTP/2 sessions. */
  readonly sessions: number;
  readonly activeStreams: number;
  readonly streamsConnected: number;
  readonly streamsRejected: number;
  readonly handshakeFailures: number;
  /** Sessions closed because the client was not from our trust domain. */
  readonly sessionsRefused: number;
  /** Sessions closed for protocol abuse (rapid reset, missed PING, invalid frames). */
  readonly sessionsClosedForAbuse: number;
}

export interface HboneServer {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Serves an already-accepted socket (e.g. from a transparent listener). */
  handleSocket(socket: Socket): void;
  /** GOAWAY to every session, stop accepting, destroy what is left after the drain deadline. */
  close(): Promise<void>;
  stats(): HboneServerStats;
}
